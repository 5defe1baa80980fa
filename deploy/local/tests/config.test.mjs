// Checks of the local stack that need no Docker engine: the Compose file, the
// ALB model's and the nodes' HAProxy configurations and Prometheus' agree with
// each other, with the behaviours deploy/local/README.md says they model (no
// retry anywhere, connection reuse, checks through the node port, pinned
// connections) and with the timing arithmetic of compose.yaml; the scripts
// reject bad usage; the wrk script counts failures by kind.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const LOCAL_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const COMPOSE_FILE = join(LOCAL_DIR, 'compose.yaml');
const ALB_CFG = join(LOCAL_DIR, 'haproxy', 'alb.cfg');
const NODE_CFG = join(LOCAL_DIR, 'haproxy', 'node.cfg');
const PROMETHEUS_YML = join(LOCAL_DIR, 'prometheus', 'prometheus.yml');
const STACK = join(LOCAL_DIR, 'stack');
const RELIABILITY = join(LOCAL_DIR, 'tests', 'reliability');
const PODS = ['hello-a', 'hello-b', 'hello-c'];
const NODES = ['node-a', 'node-b', 'node-c'];
const NODE_PORT = 30080;
// hello-server's default (contract): longer than the ALB's 60 s idle timeout.
const SERVER_IDLE_TIMEOUT_S = 75;
// The ALB's idle timeout (deploy/terraform/alb.tf) and the target group's thresholds.
const ALB_IDLE_TIMEOUT_S = 60;
const TARGET_GROUP_THRESHOLD = 2;
// kube-proxy's default --conntrack-tcp-timeout-established: 24 h.
const CONNTRACK_ESTABLISHED_S = 86400;

function has(command, args = ['--version']) {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

/** Seconds from a HAProxy or Compose duration: "1s", "500ms", "2m", "24h", bare ms for HAProxy. */
export function seconds(value, bareUnit = 'ms') {
  const m = /^(\d+(?:\.\d+)?)(us|ms|s|m|h|d)?$/.exec(String(value).trim());
  if (!m) throw new Error(`not a duration: ${value}`);
  const factor = { us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 }[m[2] ?? bareUnit];
  return Number(m[1]) * factor;
}

/** HAProxy configuration as {sectionHeader: [lines]} (comments dropped). */
export function haproxySections(text) {
  const sections = {};
  let current = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trimEnd();
    if (!line.trim()) continue;
    if (/^\S/.test(line)) {
      current = line.trim();
      sections[current] = [];
    } else if (current) {
      sections[current].push(line.trim().replace(/\s+/g, ' '));
    }
  }
  return sections;
}

function keywordValue(lines, keyword) {
  const line = lines.find((l) => l === keyword || l.startsWith(`${keyword} `));
  return line === undefined ? undefined : line.slice(keyword.length).trim();
}

function serverParam(line, name) {
  const words = line.split(/\s+/);
  const i = words.indexOf(name);
  return i >= 0 ? words[i + 1] : undefined;
}

const readSections = (file) => haproxySections(readFileSync(file, 'utf8'));

/** Check timings of one HAProxy backend: inter, fall, rise, check and connect timeouts. */
function checkTimings(sections, backend) {
  const defaults = sections.defaults;
  const defaultServer = sections[`backend ${backend}`].find((l) => l.startsWith('default-server '));
  return {
    inter: seconds(serverParam(defaultServer, 'inter')),
    fall: Number(serverParam(defaultServer, 'fall')),
    rise: Number(serverParam(defaultServer, 'rise')),
    checkTimeout: seconds(keywordValue(defaults, 'timeout check')),
    connectTimeout: seconds(keywordValue(defaults, 'timeout connect')),
  };
}

/** The timing-relevant settings of the stack, read from its files. */
export function readTimings() {
  const alb = readSections(ALB_CFG);
  const node = readSections(NODE_CFG);
  const compose = parseYaml(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true });
  const pod = compose.services['hello-a'];
  const env = pod.environment;
  const clientTimeout = /^readonly CLIENT_TIMEOUT_S=(\d+)$/m.exec(readFileSync(RELIABILITY, 'utf8'));
  return {
    alb: {
      ...checkTimings(alb, 'hello'),
      clientIdle: Math.max(
        seconds(keywordValue(alb.defaults, 'timeout http-keep-alive')),
        seconds(keywordValue(alb.defaults, 'timeout client')),
      ),
      serverTimeout: seconds(keywordValue(alb.defaults, 'timeout server')),
    },
    node: {
      ...checkTimings(node, 'pods'),
      idle: Math.min(
        seconds(keywordValue(node.defaults, 'timeout client')),
        seconds(keywordValue(node.defaults, 'timeout server')),
      ),
    },
    drainDelay: Number(env.HELLO_DRAIN_DELAY),
    shutdownTimeout: Number(env.HELLO_SHUTDOWN_TIMEOUT),
    serverIdle: Number(env.HELLO_IDLE_TIMEOUT ?? SERVER_IDLE_TIMEOUT_S),
    stopGrace: seconds(pod.stop_grace_period, 's'),
    clientTimeout: clientTimeout ? Number(clientTimeout[1]) : NaN,
  };
}

/** The timing arithmetic of compose.yaml, as a list of broken inequalities. */
export function timingProblems(t) {
  const problems = [];
  // Worst case for every node to stop sending new connections to a draining
  // pod (its /readyz answers 503 at once): `fall` failed checks, each up to one
  // interval away and one check timeout long.
  const detection = t.node.fall * (t.node.inter + t.node.checkTimeout);
  if (!(detection < t.drainDelay)) {
    problems.push(
      `node fall x (inter + timeout check) = ${detection} s must be < drain delay ${t.drainDelay} s`,
    );
  }
  if (!(t.drainDelay + t.shutdownTimeout < t.stopGrace)) {
    problems.push(
      `drain delay + shutdown timeout = ${t.drainDelay + t.shutdownTimeout} s must be < stop grace period ${t.stopGrace} s`,
    );
  }
  if (!(t.alb.clientIdle < t.serverIdle)) {
    problems.push(
      `ALB model idle timeout ${t.alb.clientIdle} s must be < server idle timeout ${t.serverIdle} s`,
    );
  }
  if (t.alb.clientIdle !== ALB_IDLE_TIMEOUT_S) {
    problems.push(
      `ALB model client idle timeout ${t.alb.clientIdle} s must be the ALB's ${ALB_IDLE_TIMEOUT_S} s`,
    );
  }
  if (t.alb.rise !== TARGET_GROUP_THRESHOLD || t.alb.fall !== TARGET_GROUP_THRESHOLD) {
    problems.push(
      `ALB model rise ${t.alb.rise} / fall ${t.alb.fall} must be ${TARGET_GROUP_THRESHOLD} / ${TARGET_GROUP_THRESHOLD}, the target group's thresholds`,
    );
  }
  if (!(t.node.idle >= CONNTRACK_ESTABLISHED_S)) {
    problems.push(
      `node idle timeouts ${t.node.idle} s must be >= ${CONNTRACK_ESTABLISHED_S} s (conntrack keeps an established flow that long; a node never closes a connection the ALB may reuse)`,
    );
  }
  // Every request gets an answer from the ALB model (a 504 at worst, a 503 when
  // it cannot connect to a node) before the test's client gives up on it.
  const albAnswersWithin = Math.max(t.alb.serverTimeout, t.alb.connectTimeout);
  if (!(albAnswersWithin < t.clientTimeout)) {
    problems.push(
      `ALB model answers within max(timeout server, timeout connect) = ${albAnswersWithin} s, which must be < the reliability client's timeout ${t.clientTimeout} s`,
    );
  }
  return problems;
}

describe('timing arithmetic (compose.yaml)', () => {
  test('the files of the stack satisfy it', () => {
    assert.deepEqual(timingProblems(readTimings()), []);
  });

  test('the check rejects broken timings (fixtures)', () => {
    const good = readTimings();
    const node = (change) => ({ ...good, node: { ...good.node, ...change } });
    const alb = (change) => ({ ...good, alb: { ...good.alb, ...change } });
    assert.match(timingProblems(node({ inter: 3 })).join(), /must be < drain delay/);
    assert.match(timingProblems({ ...good, drainDelay: 2 }).join(), /must be < drain delay/);
    assert.match(timingProblems({ ...good, stopGrace: 20 }).join(), /must be < stop grace period/);
    assert.match(timingProblems(alb({ clientIdle: 90 })).join(), /must be < server idle timeout/);
    assert.match(timingProblems(alb({ clientIdle: 30 })).join(), /must be the ALB's 60 s/);
    assert.match(timingProblems(alb({ fall: 3 })).join(), /target group's thresholds/);
    assert.match(timingProblems(node({ idle: 60 })).join(), /conntrack/);
    assert.match(timingProblems(alb({ serverTimeout: 60 })).join(), /client's timeout/);
    assert.match(timingProblems({ ...good, clientTimeout: NaN }).join(), /client's timeout/);
  });

  test('durations parse in HAProxy and Compose units', () => {
    assert.equal(seconds('1s'), 1);
    assert.equal(seconds('500ms'), 0.5);
    assert.equal(seconds('2m'), 120);
    assert.equal(seconds('24h'), 86400);
    assert.equal(seconds('1500'), 1.5);
    assert.equal(seconds('30', 's'), 30);
    assert.throws(() => seconds('soon'), /not a duration/);
  });
});

// --- no retry on the request path ---------------------------------------------

// A line that makes a proxy send a request again: HAProxy's retries (above 0),
// redispatch and retry-on (other than none), nginx's proxy_next_upstream
// (other than off). Comments are not configuration.
const RETRY =
  /^[^#]*((^|\s)retries\s+[1-9]|option\s+redispatch|retry-on\s+(?!none\b)[a-z]|proxy_next_upstream\s+(?!off\b)[a-z])/;

/** "file:line: text" for each line of the given files that enables a retry. */
export function retryLines(files) {
  return files.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .map((line, i) => [line, i + 1])
      .filter(([line]) => RETRY.test(line))
      .map(([line, n]) => `${relative(LOCAL_DIR, file)}:${n}: ${line.trim()}`),
  );
}

/** Every configuration file of the stack: all but documentation and tests. */
function stackFiles(dir = LOCAL_DIR) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'tests' ? [] : stackFiles(path);
    return name.endsWith('.md') ? [] : [path];
  });
}

describe('no retry anywhere on the request path (the ALB retries nothing)', () => {
  test('no file of the stack enables one', () => {
    assert.deepEqual(retryLines(stackFiles()), []);
  });

  test('the check finds every way of enabling one (fixtures)', (t) => {
    const file = join(process.env.TMPDIR ?? '/tmp', `retry-fixture-${process.pid}.cfg`);
    const lines = [
      '    retries 3',
      '    option redispatch 1',
      '    retry-on conn-failure',
      'proxy_next_upstream error timeout;',
      '    retries 0',
      '    retry-on none',
      '    # retries 3 in a comment',
      'proxy_next_upstream off;',
      '      retries: 3',
    ];
    t.after(() => spawnSync('rm', ['-f', file]));
    spawnSync('sh', ['-c', `printf '%s\\n' "$@" > ${file}`, 'sh', ...lines]);
    assert.deepEqual(
      retryLines([file]).map((l) => l.split(': ').slice(1).join(': ')),
      ['retries 3', 'option redispatch 1', 'retry-on conn-failure', 'proxy_next_upstream error timeout;'],
    );
  });

  test('both HAProxy configurations say so explicitly: retries 0, retry-on none (ALB model)', () => {
    const alb = readSections(ALB_CFG).defaults;
    const node = readSections(NODE_CFG).defaults;
    assert.equal(keywordValue(alb, 'retries'), '0');
    assert.equal(keywordValue(alb, 'retry-on'), 'none');
    assert.equal(keywordValue(node, 'retries'), '0');
  });
});

// --- the ALB model ---------------------------------------------------------------

describe('ALB model (haproxy/alb.cfg)', () => {
  const sections = readSections(ALB_CFG);
  const backend = sections['backend hello'];

  test('its targets are the nodes on the node port, never a pod', () => {
    const servers = backend.filter((l) => l.startsWith('server ')).map((l) => l.split(/\s+/).slice(1, 3));
    assert.deepEqual(
      servers,
      NODES.map((n) => [n, `${n}:${NODE_PORT}`]),
    );
  });

  test('checks GET /readyz through the node port and expects 200, like the target group', () => {
    assert.ok(backend.includes('option httpchk'));
    assert.match(keywordValue(backend, 'http-check send'), /meth GET uri \/readyz\b/);
    assert.equal(keywordValue(backend, 'http-check expect'), 'status 200');
    assert.match(keywordValue(backend, 'default-server'), /\bcheck\b/);
    assert.equal(
      serverParam(keywordValue(backend, 'default-server'), 'port'),
      undefined,
      'checks go to the traffic port',
    );
  });

  test('reuses target connections across clients, round robin, in HTTP mode', () => {
    assert.equal(keywordValue(backend, 'http-reuse'), 'always');
    assert.equal(keywordValue(backend, 'balance'), 'roundrobin');
    assert.equal(keywordValue(sections.defaults, 'mode'), 'http');
    for (const option of ['option http-server-close', 'option httpclose', 'option forceclose']) {
      assert.ok(!Object.values(sections).flat().includes(option), `${option} would disable keep-alive`);
    }
  });

  test('haproxy -c accepts it', { skip: has('haproxy', ['-v']) ? false : 'haproxy not installed' }, () => {
    const run = spawnSync('haproxy', ['-c', '-f', ALB_CFG], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
  });
});

// --- the nodes (kube-proxy) ------------------------------------------------------

describe('nodes (haproxy/node.cfg: kube-proxy, externalTrafficPolicy: Cluster)', () => {
  const sections = readSections(NODE_CFG);
  const backend = sections['backend pods'];

  test('forward TCP on the node port to any of the pods, chosen at random', () => {
    assert.equal(keywordValue(sections.defaults, 'mode'), 'tcp');
    assert.equal(keywordValue(sections['frontend nodeport'], 'bind'), `:${NODE_PORT}`);
    const servers = backend.filter((l) => l.startsWith('server ')).map((l) => l.split(/\s+/).slice(1, 3));
    assert.deepEqual(
      servers,
      PODS.map((p) => [p, `${p}:8080`]),
    );
    assert.equal(keywordValue(backend, 'balance'), 'random(1)');
  });

  test('send new connections only to ready pods (GET /readyz), and keep the existing ones', () => {
    assert.ok(backend.includes('option httpchk'));
    assert.match(keywordValue(backend, 'http-check send'), /meth GET uri \/readyz\b/);
    assert.equal(keywordValue(backend, 'http-check expect'), 'status 200');
    const all = Object.values(sections).flat().join('\n');
    assert.doesNotMatch(
      all,
      /on-marked-down|shutdown-sessions|on-error/,
      'a pod leaving the rotation must keep its connections',
    );
  });

  test('haproxy -c accepts it', { skip: has('haproxy', ['-v']) ? false : 'haproxy not installed' }, () => {
    const run = spawnSync('haproxy', ['-c', '-f', NODE_CFG], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
  });
});

// --- Compose ---------------------------------------------------------------------

describe('Compose file', () => {
  const compose = parseYaml(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true });
  const mounted = (service) =>
    (compose.services[service].volumes ?? [])
      .map((v) => v.split(':'))
      .find(([, target]) => target === '/usr/local/etc/haproxy/haproxy.cfg')?.[0];

  test('runs three pods of one image and three nodes, one of each per zone, publishing nothing', () => {
    const images = new Set();
    PODS.forEach((name, i) => {
      const service = compose.services[name];
      assert.ok(service, `${name} missing`);
      assert.equal(service.labels['hello.zone'], 'abc'[i]);
      assert.equal(service.ports, undefined, `${name} must not publish ports`);
      images.add(service.image);
    });
    assert.deepEqual([...images], ['${HELLO_IMAGE:-hello-server:latest}']);
    NODES.forEach((name, i) => {
      const service = compose.services[name];
      assert.ok(service, `${name} missing`);
      assert.equal(service.labels['hello.zone'], 'abc'[i]);
      assert.equal(mounted(name), './haproxy/node.cfg');
    });
    assert.equal(mounted('haproxy'), './haproxy/alb.cfg');
  });

  test('publishes the load balancer and Prometheus on 127.0.0.1, and the nodes only their statistics, on loopback ports Docker picks', () => {
    const published = Object.entries(compose.services).filter(([, s]) => s.ports);
    assert.deepEqual(published.map(([name]) => name).sort(), ['haproxy', ...NODES, 'prometheus'].sort());
    for (const [name, service] of published) {
      for (const port of service.ports) assert.match(port, /^"?127\.0\.0\.1:/, `${name}: ${port}`);
    }
    const statsBind = readSections(NODE_CFG)
      ['frontend stats'].find((l) => l.startsWith('bind '))
      .split(':')
      .pop();
    for (const node of NODES) assert.deepEqual(compose.services[node].ports, [`127.0.0.1::${statsBind}`]);
  });

  test('builds its own images on debian:bookworm-slim with the host network', () => {
    for (const name of ['haproxy', 'prometheus']) {
      const { build } = compose.services[name];
      assert.equal(build.network, 'host');
      const dockerfile = readFileSync(join(LOCAL_DIR, build.context, 'Dockerfile'), 'utf8');
      assert.match(dockerfile, /^ARG BASE_IMAGE=debian:bookworm-slim$/m);
      assert.match(dockerfile, /^FROM \$\{BASE_IMAGE\}$/m);
    }
    for (const node of NODES) assert.equal(compose.services[node].image, compose.services.haproxy.image);
  });

  const composeCommand = has('docker', ['compose', 'version'])
    ? ['docker', 'compose']
    : has('docker-compose')
      ? ['docker-compose']
      : null;
  test(
    'Compose itself accepts it',
    { skip: composeCommand ? false : 'no docker compose / docker-compose' },
    () => {
      const [command, ...args] = composeCommand;
      const run = spawnSync(command, [...args, '--file', COMPOSE_FILE, 'config', '--quiet'], {
        encoding: 'utf8',
        env: { ...process.env, HELLO_IMAGE: 'hello-server:test' },
      });
      assert.equal(run.status, 0, run.stderr);
    },
  );

  test('Prometheus scrapes every pod and the load balancer by their service names', () => {
    const config = parseYaml(readFileSync(PROMETHEUS_YML, 'utf8'));
    const targets = (job) =>
      config.scrape_configs.find((c) => c.job_name === job).static_configs.flatMap((s) => s.targets);
    assert.deepEqual(
      targets('hello'),
      PODS.map((r) => `${r}:9102`),
    );
    const statsBind = readSections(ALB_CFG)
      ['frontend stats'].find((l) => l.startsWith('bind '))
      .split(':')
      .pop();
    assert.deepEqual(targets('haproxy'), [`haproxy:${statsBind}`]);
  });
});

// --- scripts -----------------------------------------------------------------------

describe('scripts', () => {
  const run = (file, args, env = {}) =>
    spawnSync(file, args, {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 30000,
    });

  test('stack --help exits 0 and documents up, down and status', () => {
    const r = run(STACK, ['--help']);
    assert.equal(r.status, 0);
    for (const word of ['up', 'down', 'status', 'nodes', 'pods']) assert.match(r.stdout, new RegExp(word));
  });

  test('stack rejects bad usage with exit 2 before touching Docker', () => {
    const env = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
    for (const args of [[], ['launch'], ['up', '--bogus'], ['down', 'now']]) {
      const r = run(STACK, args, env);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /stack: /);
    }
    const badPort = run(STACK, ['status'], { HELLO_LOCAL_HTTP_PORT: '70000', PATH: process.env.PATH });
    assert.equal(badPort.status, 2);
  });

  test('stack without a Docker engine says so and exits 2', () => {
    const r = run(STACK, ['down'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /Docker engine/);
  });

  test('reliability without a Docker engine: skipped (77), or failed (1) when Docker is required', () => {
    const env = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
    const skipped = run(RELIABILITY, [], { ...env, HELLO_REQUIRE_DOCKER: '' });
    assert.equal(skipped.status, 77, skipped.stderr);
    const required = run(RELIABILITY, [], { ...env, HELLO_REQUIRE_DOCKER: '1' });
    assert.equal(required.status, 1, required.stderr);
    assert.match(required.stdout.trim().split('\n').pop(), /^0 passed, 1 failed$/);
  });

  test('reliability --help exits 0 and names every test, a bad argument exits 2', () => {
    const help = run(RELIABILITY, ['--help']);
    assert.equal(help.status, 0);
    for (const word of [
      'rolling restart',
      'scale-in',
      'kill -9',
      'node loss',
      'self-test',
      'RELIABILITY_OLD_DRAIN_REV',
    ]) {
      assert.ok(help.stdout.includes(word), `--help does not mention ${word}`);
    }
    assert.equal(run(RELIABILITY, ['--fast']).status, 2);
  });

  test(
    'shellcheck passes, following the shared lib.sh',
    { skip: has('shellcheck') ? false : 'shellcheck not installed' },
    () => {
      const r = run('shellcheck', ['--external-sources', '--source-path=SCRIPTDIR', STACK, RELIABILITY]);
      assert.equal(r.status, 0, r.stdout);
    },
  );
});

// `wrk -v` exits 1 even when present; only a failed spawn means it is missing.
const wrkMissing = Boolean(spawnSync('wrk', ['-v']).error);
describe(
  'wrk failure counting (count.lua)',
  { skip: wrkMissing ? 'wrk not installed (apt-get install -y wrk)' : false },
  () => {
    const STATUS = { '/502': 502, '/503': 503, '/504': 504, '/404': 404 };

    async function wrkAgainst(path, headers = []) {
      const connections = new Set();
      const server = createServer((req, res) => {
        res.statusCode = STATUS[req.url] ?? 200;
        res.end('x');
      });
      server.on('connection', (socket) => connections.add(socket));
      await new Promise((r) => server.listen(0, '127.0.0.1', r));
      try {
        const { port } = server.address();
        const child = spawn('wrk', [
          '-t1',
          '-c2',
          '-d1s',
          ...headers.flatMap((h) => ['-H', h]),
          '-s',
          join(LOCAL_DIR, 'tests', 'count.lua'),
          `http://127.0.0.1:${port}${path}`,
        ]);
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
        });
        await new Promise((r) => child.once('exit', r));
        const line = out.split('\n').find((l) => l.startsWith('RESULT '));
        assert.ok(line, out);
        const result = Object.fromEntries(
          line
            .slice(7)
            .split(' ')
            .map((kv) => kv.split('='))
            .map(([k, v]) => [k, Number(v)]),
        );
        return { ...result, connections: connections.size };
      } finally {
        server.close();
      }
    }

    for (const [path, key] of [
      ['/502', 's502'],
      ['/503', 's503'],
      ['/504', 's504'],
    ]) {
      test(`every ${path.slice(1)} is counted as non-2xx and as ${path.slice(1)}`, async () => {
        const r = await wrkAgainst(path);
        assert.ok(r.requests > 0);
        assert.equal(r.non2xx, r.requests);
        assert.equal(r[key], r.requests);
      });
    }

    test('another non-2xx is counted as non-2xx only', async () => {
      const r = await wrkAgainst('/404');
      assert.equal(r.non2xx, r.requests);
      assert.equal(r.s502 + r.s503 + r.s504, 0);
    });

    test('200s are not, and every request sent is counted', async () => {
      const r = await wrkAgainst('/');
      assert.ok(r.requests > 0);
      assert.equal(r.non2xx, 0);
      // Only what is still in flight when wrk stops is sent and not answered: about one request
      // per connection (2 here), a few more at most, never a share of the total.
      assert.ok(r.sent >= r.requests && r.sent - r.requests <= 4, `sent ${r.sent}, answered ${r.requests}`);
    });

    test('with Connection: close every request opens a new connection', async () => {
      const r = await wrkAgainst('/', ['Connection: close']);
      assert.ok(r.requests > 10);
      assert.ok(r.connections >= r.requests, `${r.connections} connections for ${r.requests} requests`);
    });
  },
);
