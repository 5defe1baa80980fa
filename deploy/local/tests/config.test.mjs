// Checks of the local stack that need no Docker engine: the Compose file, the
// HAProxy and Prometheus configurations agree with each other and with the
// timing arithmetic of README.md, the scripts reject bad usage, the Docker
// rules of the reliability test hold, and the wrk script counts failures.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const LOCAL_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const COMPOSE_FILE = join(LOCAL_DIR, 'compose.yaml');
const HAPROXY_CFG = join(LOCAL_DIR, 'haproxy', 'haproxy.cfg');
const PROMETHEUS_YML = join(LOCAL_DIR, 'prometheus', 'prometheus.yml');
const STACK = join(LOCAL_DIR, 'stack');
const RELIABILITY = join(LOCAL_DIR, 'tests', 'reliability');
const REPLICAS = ['hello-a', 'hello-b', 'hello-c'];
// hello-server's default (contract): longer than the ALB's 60 s idle timeout.
const SERVER_IDLE_TIMEOUT_S = 75;

function has(command, args = ['--version']) {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

/** Seconds from a HAProxy or Compose duration: "1s", "500ms", "2m", bare ms for HAProxy. */
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
      sections[current].push(line.trim());
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

/** The timing-relevant settings of the stack, read from its files. */
export function readTimings() {
  const sections = haproxySections(readFileSync(HAPROXY_CFG, 'utf8'));
  const defaults = sections.defaults;
  const backend = sections['backend hello'];
  const defaultServer = backend.find((l) => l.startsWith('default-server '));
  const compose = parseYaml(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true });
  const hello = compose.services['hello-a'];
  const env = hello.environment;
  return {
    checkInterval: seconds(serverParam(defaultServer, 'inter')),
    fall: Number(serverParam(defaultServer, 'fall')),
    rise: Number(serverParam(defaultServer, 'rise')),
    checkTimeout: seconds(keywordValue(defaults, 'timeout check')),
    lbClientIdle: Math.max(
      seconds(keywordValue(defaults, 'timeout http-keep-alive')),
      seconds(keywordValue(defaults, 'timeout client')),
    ),
    drainDelay: Number(env.HELLO_DRAIN_DELAY),
    shutdownTimeout: Number(env.HELLO_SHUTDOWN_TIMEOUT),
    serverIdle: Number(env.HELLO_IDLE_TIMEOUT ?? SERVER_IDLE_TIMEOUT_S),
    stopGrace: seconds(hello.stop_grace_period, 's'),
  };
}

/** The timing arithmetic of README.md, as a list of broken inequalities. */
export function timingProblems(t) {
  const problems = [];
  // Worst case for taking a draining replica (readiness 503) out of rotation:
  // `fall` failed checks, each up to one interval away and one check timeout long.
  const detection = t.fall * (t.checkInterval + t.checkTimeout);
  if (!(detection < t.drainDelay)) {
    problems.push(`fall x (inter + timeout check) = ${detection} s must be < drain delay ${t.drainDelay} s`);
  }
  if (!(t.drainDelay + t.shutdownTimeout < t.stopGrace)) {
    problems.push(`drain delay + shutdown timeout = ${t.drainDelay + t.shutdownTimeout} s must be < stop grace period ${t.stopGrace} s`);
  }
  if (!(t.lbClientIdle < t.serverIdle)) {
    problems.push(`load balancer idle timeout ${t.lbClientIdle} s must be < server idle timeout ${t.serverIdle} s`);
  }
  if (t.rise !== 2 || t.fall !== 2) {
    problems.push(`rise ${t.rise} / fall ${t.fall} must be 2 / 2, the target group's thresholds`);
  }
  return problems;
}

describe('timing arithmetic (README.md)', () => {
  test('the files of the stack satisfy it', () => {
    assert.deepEqual(timingProblems(readTimings()), []);
  });

  test('the check rejects broken timings (fixtures)', () => {
    const good = readTimings();
    assert.match(timingProblems({ ...good, checkInterval: 3 }).join(), /must be < drain delay/);
    assert.match(timingProblems({ ...good, drainDelay: 2 }).join(), /must be < drain delay/);
    assert.match(timingProblems({ ...good, stopGrace: 20 }).join(), /must be < stop grace period/);
    assert.match(timingProblems({ ...good, lbClientIdle: 90 }).join(), /must be < server idle timeout/);
    assert.match(timingProblems({ ...good, fall: 3 }).join(), /target group's thresholds/);
  });

  test('durations parse in HAProxy and Compose units', () => {
    assert.equal(seconds('1s'), 1);
    assert.equal(seconds('500ms'), 0.5);
    assert.equal(seconds('2m'), 120);
    assert.equal(seconds('1500'), 1.5);
    assert.equal(seconds('30', 's'), 30);
    assert.throws(() => seconds('soon'), /not a duration/);
  });
});

describe('HAProxy configuration', () => {
  const sections = haproxySections(readFileSync(HAPROXY_CFG, 'utf8'));
  const backend = sections['backend hello'];

  test('checks /readyz and expects 200, like the target group', () => {
    assert.ok(backend.includes('option httpchk'));
    assert.match(keywordValue(backend, 'http-check send'), /meth GET uri \/readyz\b/);
    assert.equal(keywordValue(backend, 'http-check expect'), 'status 200');
  });

  test('retries a request that met a dying replica on another one', () => {
    assert.ok(Number(keywordValue(backend, 'retries')) >= 1);
    assert.equal(keywordValue(backend, 'option redispatch'), '1');
    const retryOn = keywordValue(backend, 'retry-on').split(/\s+/);
    for (const event of ['conn-failure', 'empty-response', 'response-timeout']) {
      assert.ok(retryOn.includes(event), `retry-on lacks ${event}`);
    }
  });

  test('balances exactly the replicas of the Compose file', () => {
    const servers = backend.filter((l) => l.startsWith('server ')).map((l) => l.split(/\s+/).slice(1, 3));
    assert.deepEqual(servers, REPLICAS.map((r) => [r, `${r}:8080`]));
  });

  test('haproxy -c accepts it', { skip: has('haproxy', ['-v']) ? false : 'haproxy not installed' }, () => {
    const run = spawnSync('haproxy', ['-c', '-f', HAPROXY_CFG], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
  });
});

describe('Compose file', () => {
  const compose = parseYaml(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true });

  test('runs three replicas of one image, one per zone, publishing nothing', () => {
    const images = new Set();
    REPLICAS.forEach((name, i) => {
      const service = compose.services[name];
      assert.ok(service, `${name} missing`);
      assert.equal(service.labels['hello.zone'], 'abc'[i]);
      assert.equal(service.ports, undefined, `${name} must not publish ports`);
      images.add(service.image);
    });
    assert.deepEqual([...images], ['${HELLO_IMAGE:-hello-server:latest}']);
  });

  test('publishes only the load balancer and Prometheus, only on 127.0.0.1', () => {
    const published = Object.entries(compose.services).filter(([, s]) => s.ports);
    assert.deepEqual(published.map(([name]) => name).sort(), ['haproxy', 'prometheus']);
    for (const [name, service] of published) {
      for (const port of service.ports) assert.match(port, /^"?127\.0\.0\.1:/, `${name}: ${port}`);
    }
  });

  test('builds its own images on debian:bookworm-slim with the host network', () => {
    for (const name of ['haproxy', 'prometheus']) {
      const { build } = compose.services[name];
      assert.equal(build.network, 'host');
      const dockerfile = readFileSync(join(LOCAL_DIR, build.context, 'Dockerfile'), 'utf8');
      assert.match(dockerfile, /^ARG BASE_IMAGE=debian:bookworm-slim$/m);
      assert.match(dockerfile, /^FROM \$\{BASE_IMAGE\}$/m);
    }
  });

  const composeCommand = has('docker', ['compose', 'version']) ? ['docker', 'compose']
    : has('docker-compose') ? ['docker-compose'] : null;
  test('Compose itself accepts it', { skip: composeCommand ? false : 'no docker compose / docker-compose' }, () => {
    const [command, ...args] = composeCommand;
    const run = spawnSync(command, [...args, '--file', COMPOSE_FILE, 'config', '--quiet'], {
      encoding: 'utf8', env: { ...process.env, HELLO_IMAGE: 'hello-server:test' },
    });
    assert.equal(run.status, 0, run.stderr);
  });

  test('Prometheus scrapes every replica and the load balancer by their service names', () => {
    const config = parseYaml(readFileSync(PROMETHEUS_YML, 'utf8'));
    const targets = (job) => config.scrape_configs.find((c) => c.job_name === job)
      .static_configs.flatMap((s) => s.targets);
    assert.deepEqual(targets('hello'), REPLICAS.map((r) => `${r}:8080`));
    const statsBind = haproxySections(readFileSync(HAPROXY_CFG, 'utf8'))['frontend stats']
      .find((l) => l.startsWith('bind ')).split(':').pop();
    assert.deepEqual(targets('haproxy'), [`haproxy:${statsBind}`]);
  });
});

describe('scripts', () => {
  const run = (file, args, env = {}) => spawnSync(file, args, {
    encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30000,
  });

  test('stack --help exits 0 and documents up, down and status', () => {
    const r = run(STACK, ['--help']);
    assert.equal(r.status, 0);
    for (const word of ['up', 'down', 'status', '127.0.0.1']) assert.match(r.stdout, new RegExp(word));
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

  test('reliability --help exits 0, a bad argument exits 2', () => {
    assert.equal(run(RELIABILITY, ['--help']).status, 0);
    assert.equal(run(RELIABILITY, ['--fast']).status, 2);
  });

  test('shellcheck passes', { skip: has('shellcheck') ? false : 'shellcheck not installed' }, () => {
    const r = run('shellcheck', [STACK, RELIABILITY]);
    assert.equal(r.status, 0, r.stdout);
  });
});

// `wrk -v` exits 1 even when present; only a failed spawn means it is missing.
const wrkMissing = Boolean(spawnSync('wrk', ['-v']).error);
describe('wrk failure counting (count.lua)', { skip: wrkMissing ? 'wrk not installed (apt-get install -y wrk)' : false }, () => {
  async function wrkAgainst(path) {
    const server = createServer((req, res) => {
      res.statusCode = req.url === '/fail' ? 503 : 200;
      res.end('x');
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address();
      const child = spawn('wrk', ['-t1', '-c2', '-d1s', '-s', join(LOCAL_DIR, 'tests', 'count.lua'),
        `http://127.0.0.1:${port}${path}`]);
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      await new Promise((r) => child.once('exit', r));
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      assert.ok(line, out);
      return Object.fromEntries(line.slice(7).split(' ').map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
    } finally {
      server.close();
    }
  }

  test('every 503 is counted as non-2xx', async () => {
    const r = await wrkAgainst('/fail');
    assert.ok(r.requests > 0);
    assert.equal(r.non2xx, r.requests);
  });

  test('200s are not', async () => {
    const r = await wrkAgainst('/');
    assert.ok(r.requests > 0);
    assert.equal(r.non2xx, 0);
  });
});
