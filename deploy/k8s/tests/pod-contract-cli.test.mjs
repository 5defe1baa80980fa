// The offline half of the pod contract: the pod is derived from the rendered overlay (what the
// Docker run will use), what cannot be reproduced is refused, and the Docker entry points follow
// the skip/fail rules when no engine is reachable (no Docker needed: the engine address points
// nowhere, or the docker command is taken off PATH).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathWithout } from '../../../scripts/tests/lib/path.mjs';
import { K8S_DIR, RENDERS, render } from './lib/kustomize.mjs';
import { dockerRunArgs, podContract } from './lib/podspec.mjs';

const POD_CONTRACT = path.join(K8S_DIR, 'tests/pod-contract');
const SELFTEST = path.join(K8S_DIR, 'tests/pod-contract-selftest');
const NO_ENGINE = { DOCKER_HOST: 'unix:///nonexistent/docker.sock', DOCKER_CONTEXT: '' };
// Without the docker command at all (a machine without Docker) the reason names that instead.
const NO_ENGINE_REASON =
  'no Docker engine(?: reachable \\(docker info failed\\)|: the docker command is not installed)';

function run(script, args, env = {}) {
  const merged = { ...process.env, ...env };
  for (const [k, v] of Object.entries(merged)) if (v === '') delete merged[k];
  const r = spawnSync(script, args, { encoding: 'utf8', timeout: 120_000, env: merged });
  if (r.error) throw r.error;
  return r;
}

describe('pod derived from the rendered local overlay', () => {
  const contract = podContract(render(RENDERS.local.dir));
  test('user, filesystem, capabilities and privileges come from the securityContext', () => {
    assert.equal(contract.user, 65532);
    assert.equal(contract.group, 65532);
    assert.equal(contract.readOnlyRootFilesystem, true);
    assert.equal(contract.noNewPrivileges, true);
    assert.deepEqual(contract.capDrop, ['ALL']);
  });
  test('the environment is the generated ConfigMap', () => {
    assert.equal(contract.env.HELLO_PORT, '8080');
    assert.equal(contract.env.HELLO_DRAIN_DELAY, '65');
    assert.equal(contract.env.HELLO_SHUTDOWN_TIMEOUT, '20');
    assert.ok(Object.keys(contract.env).every((k) => k.startsWith('HELLO_')));
  });
  test('probes and the shutdown timeline', () => {
    assert.deepEqual(
      [contract.probes.startup.path, contract.probes.readiness.path, contract.probes.liveness.path],
      ['/healthz', '/readyz', '/healthz'],
    );
    assert.equal(contract.probes.readiness.port, 8080);
    assert.equal(contract.preStopSeconds, 10);
    assert.equal(contract.terminationGracePeriodSeconds, 105);
  });
  test('docker run arguments carry all of it', () => {
    const args = dockerRunArgs(contract).join(' ');
    for (const want of [
      '--user 65532:65532',
      '--read-only',
      '--cap-drop ALL',
      '--security-opt no-new-privileges',
      `--memory ${128 * 1024 * 1024}`,
      '--env HELLO_PORT=8080',
    ]) {
      assert.ok(args.includes(want), `missing ${want} in ${args}`);
    }
  });
});

describe('what the pod contract cannot reproduce is refused', () => {
  const fixture = (name) => render(path.join(K8S_DIR, 'tests/fixtures', name));
  test('a preStop exec hook', () =>
    assert.throws(() => podContract(fixture('app-prestop-sleep')), /preStop is not a sleep action/));
  test('an environment reference that does not resolve', () =>
    assert.throws(
      () => podContract(fixture('config-refs-exist')),
      /ConfigMap hello-features does not exist/,
    ));
  test('a volume (the stateful component)', () =>
    assert.throws(() => podContract(render(RENDERS.stateful.dir)), /volume mounts are not modelled/));
});

describe('Docker entry points without an engine', () => {
  for (const script of [POD_CONTRACT, SELFTEST]) {
    const name = path.basename(script);
    test(`${name}: --help exits 0`, () => {
      const r = run(script, ['--help']);
      assert.equal(r.status, 0);
      assert.match(r.stdout, /^Usage: /);
    });
    test(`${name}: an unknown argument exits 2`, () => {
      const r = run(script, ['--bogus']);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /unknown argument: --bogus/);
    });
    test(`${name}: no engine -> skipped, exit 77, one line saying why and how`, () => {
      const r = run(script, [], { ...NO_ENGINE, HELLO_NO_SKIP: '', HELLO_REQUIRE_DOCKER: '' });
      assert.equal(r.status, 77, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(`^skipped: ${NO_ENGINE_REASON}\\. To run it: \\S.*\\n$`));
      assert.equal(r.stdout, '');
    });
    test(`${name}: no docker command -> skipped, exit 77`, () => {
      const r = run(script, [], { PATH: pathWithout('docker'), HELLO_NO_SKIP: '', HELLO_REQUIRE_DOCKER: '' });
      assert.equal(r.status, 77, r.stdout + r.stderr);
      assert.match(
        r.stderr,
        /^skipped: no Docker engine: the docker command is not installed\. To run it: scripts\/install-packages docker\n$/,
      );
    });
    for (const variable of ['HELLO_NO_SKIP', 'HELLO_REQUIRE_DOCKER']) {
      test(`${name}: no engine with ${variable}=1 -> failure, exit 1`, () => {
        const r = run(script, [], {
          ...NO_ENGINE,
          HELLO_NO_SKIP: '',
          HELLO_REQUIRE_DOCKER: '',
          [variable]: '1',
        });
        assert.equal(r.status, 1, r.stdout + r.stderr);
        assert.match(
          r.stderr,
          new RegExp(
            `^error: ${NO_ENGINE_REASON} \\(HELLO_NO_SKIP=1 makes missing prerequisites failures\\)\\n$`,
          ),
        );
      });
    }
  }
  test('pod-contract: an overlay that is not a kustomization exits 2', () => {
    const r = run(POD_CONTRACT, ['--overlay', path.join(K8S_DIR, 'no-such-overlay')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /is not a kustomization directory/);
  });
  test('pod-contract: an empty --image exits 2', () => {
    const r = run(POD_CONTRACT, ['--image', '']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--image is empty/);
  });
});
