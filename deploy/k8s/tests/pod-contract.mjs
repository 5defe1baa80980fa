// The pod contract, for real: the image runs under `docker run` exactly as the rendered pod says
// (user, read-only root, capabilities, no-new-privileges, memory limit, ConfigMap environment),
// the probes are called on their paths and port, and the kubelet's shutdown is replayed: the
// preStop sleep, then SIGTERM; /readyz must turn 503 while requests are still served, and the
// process must exit 0 before terminationGracePeriodSeconds.
//
// Run by tests/pod-contract (which checks Docker and builds the image); not part of tests/check-manifests.
// POD_CONTRACT_OVERLAY (default overlays/local) and POD_CONTRACT_IMAGE (default: the overlay's).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { K8S_DIR, render } from './lib/kustomize.mjs';
import { dockerRunArgs, podContract } from './lib/podspec.mjs';

const execFileP = promisify(execFile);
const OVERLAY = process.env.POD_CONTRACT_OVERLAY || path.join(K8S_DIR, 'overlays/local');
const contract = podContract(render(OVERLAY));
const IMAGE = process.env.POD_CONTRACT_IMAGE || contract.image;
const NAME = `hello-pod-contract-${process.pid}-${Date.now()}`;

const state = {
  broken: undefined,
  started: false,
  hostPort: undefined,
  deletedAt: undefined,
  termAt: undefined,
};

async function docker(args, timeoutMs = 60_000) {
  const { stdout } = await execFileP('docker', args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** One HTTP GET the way the kubelet probes: a fresh connection, Connection: close, a timeout. */
function get(urlPath, timeoutSeconds) {
  return new Promise((resolve) => {
    const [host, port] = state.hostPort.split(':');
    const req = http.get(
      {
        host,
        port: Number(port),
        path: urlPath,
        agent: false,
        headers: { Connection: 'close' },
        timeout: timeoutSeconds * 1000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode, body }));
        res.on('error', (err) => resolve({ error: err.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutSeconds} s`)));
    req.on('error', (err) => resolve({ error: err.message }));
  });
}

const probeOk = (r) => r.status >= 200 && r.status < 400;

async function logs() {
  try {
    const { stdout, stderr } = await execFileP('docker', ['logs', '--tail', '40', NAME], { timeout: 10_000 });
    return `${stdout}${stderr}`.trim();
  } catch (err) {
    return `(no logs: ${err.message})`;
  }
}

/** A step runs only if every earlier one passed: later steps depend on the container's state. */
function step(name, fn, timeoutMs = 120_000) {
  test(name, { timeout: timeoutMs }, async (t) => {
    if (state.broken) {
      t.skip(`an earlier step failed: ${state.broken}`);
      return;
    }
    try {
      await fn(t);
    } catch (err) {
      state.broken = name;
      if (state.started) err.message = `${err.message}\ncontainer logs:\n${await logs()}`;
      throw err;
    }
  });
}

after(async () => {
  if (state.started) await docker(['rm', '-f', NAME], 30_000).catch(() => {});
});

describe(`pod contract of ${path.relative(process.cwd(), OVERLAY) || OVERLAY} with image ${IMAGE}`, () => {
  step('the image exists', async () => {
    await docker(['image', 'inspect', '--format', '{{.Id}}', IMAGE]).catch(() => {
      throw new Error(`image ${IMAGE} not found (make image builds it)`);
    });
  });

  step(
    `starts as ${contract.user}:${contract.group}, read-only root, capabilities dropped, no-new-privileges, the ConfigMap's environment`,
    async () => {
      const port = contract.probes.readiness.port;
      await docker([
        'run',
        '--detach',
        '--name',
        NAME,
        ...dockerRunArgs(contract),
        '--publish',
        `127.0.0.1::${port}`,
        IMAGE,
      ]);
      state.started = true;
      const inspect = JSON.parse(await docker(['inspect', NAME]))[0];
      assert.equal(inspect.Config.User, `${contract.user}:${contract.group}`);
      assert.equal(inspect.HostConfig.ReadonlyRootfs, contract.readOnlyRootFilesystem);
      assert.ok(contract.readOnlyRootFilesystem, 'the pod asks for a read-only root');
      assert.deepEqual(inspect.HostConfig.CapDrop, contract.capDrop);
      assert.ok(inspect.HostConfig.SecurityOpt.includes('no-new-privileges'));
      for (const [k, v] of Object.entries(contract.env))
        assert.ok(inspect.Config.Env.includes(`${k}=${v}`), `env ${k}`);
      state.hostPort = (await docker(['port', NAME, `${port}/tcp`]))
        .split('\n')
        .find((l) => l.startsWith('127.0.0.1:'));
      assert.ok(state.hostPort, `port ${port} is not published`);
    },
  );

  const s = contract.probes.startup;
  const budget = s.initialDelaySeconds + s.periodSeconds * s.failureThreshold;
  step(
    `startup probe GET ${s.path} on port ${s.port} succeeds within its budget (${budget} s)`,
    async () => {
      const deadline = Date.now() + budget * 1000;
      await sleep(s.initialDelaySeconds * 1000);
      let last;
      for (let attempt = 0; attempt < s.failureThreshold && Date.now() < deadline; attempt += 1) {
        const started = Date.now();
        last = await get(s.path, s.timeoutSeconds);
        if (probeOk(last)) return;
        const running = await docker(['inspect', '--format', '{{.State.Running}}', NAME]);
        if (running !== 'true')
          throw new Error(`the container exited before its startup probe passed (${JSON.stringify(last)})`);
        await sleep(Math.max(0, s.periodSeconds * 1000 - (Date.now() - started)));
      }
      throw new Error(`startup probe never passed: ${JSON.stringify(last)}`);
    },
    (budget + 30) * 1000,
  );

  for (const kind of ['readiness', 'liveness']) {
    const p = contract.probes[kind];
    step(
      `${kind} probe GET ${p.path} on port ${p.port} answers 2xx within ${p.timeoutSeconds} s`,
      async () => {
        const r = await get(p.path, p.timeoutSeconds);
        assert.ok(probeOk(r), JSON.stringify(r));
      },
    );
  }

  step('serves GET / with "Hello, world!"', async () => {
    const r = await get('/', 2);
    assert.equal(r.status, 200, JSON.stringify(r));
    assert.equal(r.body, 'Hello, world!');
  });

  step(
    `keeps serving and stays ready through the preStop sleep (${contract.preStopSeconds} s)`,
    async () => {
      state.deletedAt = Date.now();
      const end = state.deletedAt + contract.preStopSeconds * 1000;
      while (Date.now() < end) {
        const r = await get(contract.probes.readiness.path, contract.probes.readiness.timeoutSeconds);
        assert.equal(r.status, 200, `readiness during preStop: ${JSON.stringify(r)}`);
        await sleep(Math.min(1000, Math.max(0, end - Date.now())));
      }
    },
    (contract.preStopSeconds + 30) * 1000,
  );

  step(
    `after SIGTERM ${contract.probes.readiness.path} answers 503 while / is still served (drain delay ${contract.drainDelaySeconds} s)`,
    async () => {
      await docker(['kill', '--signal', 'TERM', NAME]);
      state.termAt = Date.now();
      const drainEnd = state.termAt + contract.drainDelaySeconds * 1000;
      let seen;
      while (Date.now() < drainEnd) {
        const r = await get(contract.probes.readiness.path, contract.probes.readiness.timeoutSeconds);
        if (r.status === 503) {
          seen = Date.now() - state.termAt;
          break;
        }
        assert.equal(r.status, 200, `readiness right after SIGTERM: ${JSON.stringify(r)}`);
        await sleep(100);
      }
      assert.ok(
        seen !== undefined,
        `${contract.probes.readiness.path} never answered 503 during the ${contract.drainDelaySeconds} s drain`,
      );
      // Only meaningful while the drain lasts: afterwards the listener is meant to close.
      if (Date.now() < drainEnd - 500) {
        const r = await get('/', 2);
        assert.equal(r.status, 200, `GET / during the drain: ${JSON.stringify(r)}`);
      }
    },
    (contract.drainDelaySeconds + 30) * 1000,
  );

  const grace = contract.terminationGracePeriodSeconds;
  step(
    `exits 0 after the drain and before terminationGracePeriodSeconds (${grace} s from deletion)`,
    async () => {
      const left = grace * 1000 - (Date.now() - state.deletedAt);
      assert.ok(left > 0, 'the grace period is already over');
      let code;
      try {
        code = Number(await docker(['wait', NAME], left));
      } catch (err) {
        if (err.killed || err.signal)
          throw new Error(`still running ${grace} s after deletion: the kubelet would SIGKILL it`);
        throw err;
      }
      const sinceTerm = (Date.now() - state.termAt) / 1000;
      assert.equal(code, 0, `exit code ${code}`);
      assert.ok(
        sinceTerm >= contract.drainDelaySeconds * 0.9,
        `exited ${sinceTerm.toFixed(1)} s after SIGTERM, before the ${contract.drainDelaySeconds} s drain ended`,
      );
      assert.ok(Date.now() - state.deletedAt < grace * 1000, 'exited after the grace period');
    },
    (grace + 30) * 1000,
  );

  step('every log line is a JSON object (HELLO_LOG_FORMAT=json)', async (t) => {
    if (contract.env.HELLO_LOG_FORMAT !== 'json') {
      t.skip(`HELLO_LOG_FORMAT is ${contract.env.HELLO_LOG_FORMAT}`);
      return;
    }
    const { stdout, stderr } = await execFileP('docker', ['logs', NAME], {
      timeout: 10_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const lines = `${stdout}\n${stderr}`.split('\n').filter((l) => l.trim() !== '');
    if (lines.length === 0) {
      t.skip('the server wrote no log lines');
      return;
    }
    for (const line of lines) {
      let parsed;
      assert.doesNotThrow(() => {
        parsed = JSON.parse(line);
      }, `not JSON: ${line}`);
      assert.equal(typeof parsed, 'object', `not a JSON object: ${line}`);
    }
  });
});
