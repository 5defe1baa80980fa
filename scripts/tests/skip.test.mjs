// The skip convention of `make test` (scripts/lib/prereq.sh): a suite whose prerequisite is missing
// prints one line, "skipped: <why>. To run it: <command>", and exits 77; HELLO_NO_SKIP=1 (or the
// older HELLO_REQUIRE_DOCKER=1) turns that into "error: ..." and exit 1; kubectl and Node.js are
// checked against one minimum each; scripts/test-summary lists the skips at the end from CTest's
// JUnit file; install-packages gives up at once when a download host is unreachable. The suites are run
// for real with a command taken off PATH or an old stand-in put first.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pathWithout, standIn } from './lib/path.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LIB = path.join(ROOT, 'scripts/lib/prereq.sh');
const ONE_SKIP_LINE = /^skipped: \S.*\. To run it: \S.*\n$/;
const KUBECTL_MINIMUM = readFileSync(LIB, 'utf8').match(/^readonly HELLO_KUBECTL_MINIMUM=(\S+)$/m)[1];
const NODE_MINIMUM = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).engines.node.replace(
  /^>=/,
  '',
);

function run(command, args, env = {}, options = {}) {
  // The project's .tools/bin would put a fetched kubectl back on PATH: pointed nowhere here.
  const merged = {
    ...process.env,
    HELLO_NO_SKIP: '',
    HELLO_REQUIRE_DOCKER: '',
    HELLO_TOOLS_BIN: path.join(ROOT, 'no-such-tools-dir'),
    ...env,
  };
  for (const [k, v] of Object.entries(merged)) if (v === '') delete merged[k];
  const r = spawnSync(command, args, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: merged,
    ...options,
  });
  if (r.error) throw r.error;
  return r;
}

const lib = (script, env) => run('bash', ['-c', `set -euo pipefail; source ${LIB}; ${script}`], env);

// A kubectl that answers `version --client -o json` like the real one (Debian 12's kubernetes-client
// prints gitVersion "v1.20.2").
const kubectlStandIn = (version) => {
  const [major, minor] = version.split('.');
  const json = JSON.stringify({
    clientVersion: { major, minor, gitVersion: `v${version}`, platform: 'linux/amd64' },
  });
  return standIn(
    'kubectl',
    `[ "$1" = version ] && { echo '${json}'; exit 0; }\necho "stand-in kubectl ${version}: $*" >&2\nexit 1`,
  );
};

describe('the one line and its exit status', () => {
  test('a missing prerequisite: one line on stderr, exit 77, nothing on stdout', () => {
    const r = lib(
      'prereq_skip "frobnicator is not installed (it frobs)" "apt-get install frob"; echo not reached',
    );
    assert.equal(r.status, 77);
    assert.equal(
      r.stderr,
      'skipped: frobnicator is not installed (it frobs). To run it: apt-get install frob\n',
    );
    assert.equal(r.stdout, '');
  });
  for (const variable of ['HELLO_NO_SKIP', 'HELLO_REQUIRE_DOCKER']) {
    test(`${variable}=1: the same situation is an error, exit 1`, () => {
      const r = lib('prereq_skip "frobnicator is not installed" "apt-get install frob"', { [variable]: '1' });
      assert.equal(r.status, 1);
      assert.equal(
        r.stderr,
        'error: frobnicator is not installed (HELLO_NO_SKIP=1 makes missing prerequisites failures)\n',
      );
    });
  }
  test('HELLO_NO_SKIP=0 still skips', () => {
    assert.equal(lib('prereq_skip "x" "y"', { HELLO_NO_SKIP: '0' }).status, 77);
  });
  test('versions compare field by field', () => {
    const cases = [
      ['1.27.0', '1.27', true],
      ['1.26.15', '1.27', false],
      ['1.100.0', '1.27', true],
      ['1.9.0', '1.27', false],
      ['18.19.0', '18.19', true],
      ['18.2.0', '18.19', false],
      ['20.20.2', '18.19', true],
    ];
    for (const [found, minimum, expected] of cases) {
      const r = lib(`prereq_version_at_least ${found} ${minimum}`);
      assert.equal(r.status === 0, expected, `${found} >= ${minimum}`);
    }
  });
});

describe('kubectl: present and at least the one minimum', () => {
  const suites = [
    ['k8s.manifests', 'deploy/k8s/tests/check-manifests', []],
    ['deploy.stubs', 'deploy/scripts/tests/bats-suite', ['stubs']],
  ];
  for (const [name, script, args] of suites) {
    test(`${name} without kubectl: skipped, and says how to get it`, () => {
      const r = run(script, args, { PATH: pathWithout('kubectl'), KUBECTL: '' });
      assert.equal(r.status, 77, r.stdout + r.stderr);
      assert.match(r.stderr, ONE_SKIP_LINE);
      assert.match(
        r.stderr,
        new RegExp(
          `^skipped: kubectl is not installed \\(.*minimum ${KUBECTL_MINIMUM}\\)\\. To run it: scripts/install-packages kubectl\\n$`,
        ),
      );
    });
    test(`${name} with kubectl 1.20.2 (Debian 12's kubernetes-client): too old, with the minimum`, () => {
      const r = run(script, args, { PATH: `${kubectlStandIn('1.20.2')}:${process.env.PATH}`, KUBECTL: '' });
      assert.equal(r.status, 77, r.stdout + r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          `^skipped: kubectl 1\\.20\\.2 \\(\\S+\\) is too old \\(minimum ${KUBECTL_MINIMUM}: .*\\)\\. To run it: scripts/install-packages kubectl\\n$`,
        ),
      );
    });
  }
  test('kubectl at the minimum passes the check', () => {
    const r = lib('prereq_kubectl && echo accepted', {
      PATH: `${kubectlStandIn(`${KUBECTL_MINIMUM}.0`)}:${process.env.PATH}`,
      KUBECTL: '',
    });
    assert.equal(r.stdout, 'accepted\n', r.stderr);
  });
  test('a kubectl that cannot tell its version is not trusted', () => {
    const r = lib('prereq_kubectl', {
      PATH: `${standIn('kubectl', 'exit 1')}:${process.env.PATH}`,
      KUBECTL: '',
    });
    assert.equal(r.status, 77);
    assert.match(r.stderr, /does not report its version/);
  });
  test('too old under HELLO_NO_SKIP=1 is a failure', () => {
    const r = run('deploy/k8s/tests/check-manifests', [], {
      PATH: `${kubectlStandIn('1.26.9')}:${process.env.PATH}`,
      KUBECTL: '',
      HELLO_NO_SKIP: '1',
    });
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /^error: kubectl 1\.26\.9 .* is too old .*\(HELLO_NO_SKIP=1 makes missing prerequisites failures\)\n$/,
    );
  });
});

describe('every suite skips in one line when what it needs is missing', () => {
  const cases = [
    [
      'container.image: no docker',
      'test/container/check-image',
      ['--no-build'],
      pathWithout('docker'),
      /no Docker engine: the docker command is not installed\. To run it: scripts\/install-packages docker/,
    ],
    // Where docker itself is missing (a fresh machine) the reason says that instead.
    [
      'container.image: no engine',
      'test/container/check-image',
      ['--no-build'],
      process.env.PATH,
      /no Docker engine( reachable|: the docker command)/,
      { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    ],
    [
      'observability.rules: no promtool',
      'deploy/observability/tests/check-rules',
      [],
      pathWithout('promtool'),
      /promtool is not installed .*To run it: scripts\/install-packages check/,
    ],
    [
      'metrics.promtool: no promtool',
      'test/metrics/promtool-check',
      [],
      pathWithout('promtool'),
      /promtool is not installed/,
    ],
    [
      'deploy.scripts: no unzip',
      'deploy/scripts/tests/bats-suite',
      ['scripts'],
      pathWithout('unzip'),
      /unzip is not installed \(install-pinned-tools unpacks/,
    ],
    [
      'deploy.scripts: no shellcheck',
      'deploy/scripts/tests/bats-suite',
      ['scripts'],
      pathWithout('shellcheck'),
      /shellcheck is not installed/,
    ],
    [
      'deploy.stubs: no bats',
      'deploy/scripts/tests/bats-suite',
      ['stubs'],
      pathWithout('bats'),
      /bats is not installed .*To run it: scripts\/install-packages check/,
    ],
    [
      'deploy.scripts: no bats libraries',
      'deploy/scripts/tests/bats-suite',
      ['scripts'],
      process.env.PATH,
      /the bats library bats-support is not installed .*To run it: scripts\/install-packages check/,
      { BATS_LIB_PATH: path.join(ROOT, 'no-such-bats-lib') },
    ],
    [
      'lint.clang-format: no clang-format',
      'scripts/lint',
      ['format'],
      pathWithout('clang-format'),
      /clang-format is not installed/,
    ],
    [
      'bench.smoke: no wrk',
      'bench/compare-servers',
      ['--smoke', '--no-install', '--server', '/bin/true'],
      pathWithout('wrk'),
      /wrk not installed .*To run it: scripts\/install-packages check/,
    ],
    [
      'docs.check: Node.js too old',
      'test/docs/check-docs',
      [],
      `${standIn('node', 'echo 16.20.2')}:${process.env.PATH}`,
      new RegExp(`node 16\\.20\\.2 is too old \\(minimum ${NODE_MINIMUM.replaceAll('.', '\\.')}\\)`),
    ],
    [
      'terraform.native: no terraform',
      'deploy/terraform/tests/tf-validate',
      [],
      pathWithout('terraform'),
      /terraform is not installed.*\. To run it: scripts\/install-packages terraform/,
    ],
    [
      'local.config: no node',
      'scripts/node-suite',
      ['deploy/local/tests/config.test.mjs'],
      pathWithout('node'),
      /node is not installed/,
    ],
  ];
  for (const [name, script, args, PATH, reason, env = {}] of cases) {
    test(name, () => {
      // bash itself is called by path: some PATHs here lack what /usr/bin/env would look for.
      const r = run('bash', [script, ...args], { PATH, ...env });
      assert.equal(r.status, 77, r.stdout + r.stderr);
      assert.match(r.stderr, ONE_SKIP_LINE);
      assert.match(r.stderr, reason);
    });
  }
});

describe('the summary at the end of make test', () => {
  const HAS_CTEST =
    spawnSync('ctest', ['--version']).status === 0 && spawnSync('cmake', ['--version']).status === 0;
  // A real CTest run over scripts that pass, skip (with and without the line), and fail.
  function ctestRun(tests) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hello-summary-'));
    const lines = ['cmake_minimum_required(VERSION 3.25)', 'project(summary NONE)', 'enable_testing()'];
    for (const [name, body] of Object.entries(tests)) {
      writeFileSync(path.join(dir, `${name}.sh`), `${body}\n`);
      lines.push(`add_test(NAME ${name} COMMAND sh ${path.join(dir, `${name}.sh`)})`);
      lines.push(`set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77)`);
    }
    writeFileSync(path.join(dir, 'CMakeLists.txt'), `${lines.join('\n')}\n`);
    const build = path.join(dir, 'build');
    assert.equal(spawnSync('cmake', ['-S', dir, '-B', build], { encoding: 'utf8' }).status, 0);
    spawnSync('ctest', ['--test-dir', build, '--output-junit', 'junit.xml'], { encoding: 'utf8' });
    return { build, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }
  const SKIP_DOCKER =
    'echo "skipped: no Docker engine reachable (docker info failed). To run it: sudo systemctl start docker" >&2; exit 77';

  test(
    'lists each skip with its reason, then each command with the suites it enables',
    { skip: HAS_CTEST ? false : 'cmake/ctest not installed' },
    () => {
      const { build, cleanup } = ctestRun({
        'unit.ok': 'echo fine',
        'container.image': SKIP_DOCKER,
        'k8s.pod-contract': SKIP_DOCKER,
        'k8s.manifests':
          'echo "skipped: kubectl 1.20.2 (/usr/bin/kubectl) is too old (minimum 1.27: a & b <c>). To run it: scripts/install-packages kubectl" >&2; exit 77',
      });
      try {
        const r = run('scripts/test-summary', [build]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(
          r.stdout,
          [
            '',
            'make test: 1 passed, 3 skipped, 0 failed',
            'Skipped, because a prerequisite is missing:',
            '  container.image              no Docker engine reachable (docker info failed)',
            '  k8s.pod-contract             no Docker engine reachable (docker info failed)',
            '  k8s.manifests                kubectl 1.20.2 (/usr/bin/kubectl) is too old (minimum 1.27: a & b <c>)',
            'To run them:',
            '  sudo systemctl start docker    # container.image, k8s.pod-contract',
            '  scripts/install-packages kubectl    # k8s.manifests',
            '',
          ].join('\n'),
        );
        const strict = run('scripts/test-summary', [build], { HELLO_NO_SKIP: '1' });
        assert.equal(strict.status, 1, 'HELLO_NO_SKIP=1: any skip fails the run');
        assert.match(strict.stderr, /^error: 3 suite\(s\) skipped \(HELLO_NO_SKIP=1/);
        // make test-fresh: a clean container may lack a Docker engine, nothing else here.
        const dockerOnly = run('scripts/test-summary', ['--allow-skips', 'Docker engine', build]);
        assert.equal(dockerOnly.status, 1);
        assert.match(
          dockerOnly.stderr,
          /^error: skipped for a reason that does not match \/Docker engine\/.*\n {2}k8s\.manifests +kubectl 1\.20\.2 .*\n$/,
        );
        assert.equal(
          run('scripts/test-summary', ['--allow-skips', 'docker engine|KUBECTL', build]).status,
          0,
          'case is ignored',
        );
      } finally {
        cleanup();
      }
    },
  );

  test(
    'a failure, and a 77 without its line, fail the summary; a failure shows its error line',
    { skip: HAS_CTEST ? false : 'cmake/ctest not installed' },
    () => {
      const { build, cleanup } = ctestRun({
        'a.fails': 'echo boom; exit 1',
        'b.silent': 'exit 77',
        'c.strict':
          'echo "error: kubectl is not installed (HELLO_NO_SKIP=1 makes missing prerequisites failures)" >&2; exit 1',
      });
      try {
        const r = run('scripts/test-summary', [build]);
        assert.equal(r.status, 1);
        assert.match(
          r.stdout,
          /make test: 0 passed, 0 skipped, 3 failed\nFailed:\n {2}a\.fails\n {2}b\.silent +exited 77 without a "skipped: \.\.\." line\n {2}c\.strict +error: kubectl is not installed \(HELLO_NO_SKIP=1/,
        );
      } finally {
        cleanup();
      }
    },
  );

  test('no junit.xml: exit 2 and says where it looked', () => {
    const r = run('scripts/test-summary', [path.join(os.tmpdir(), 'no-such-build-dir')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /junit\.xml is missing/);
  });
});

describe('install-packages', () => {
  test('kubectl without internet: fails within seconds, one line naming the host', () => {
    // A proxy that refuses connections stands in for a network without the download host.
    const proxy = 'http://127.0.0.1:9';
    const started = Date.now();
    const r = run('scripts/install-packages', ['kubectl'], {
      PATH: pathWithout('kubectl'),
      https_proxy: proxy,
      HTTPS_PROXY: proxy,
      no_proxy: '',
      NO_PROXY: '',
    });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
    assert.match(
      r.stderr,
      /^install-packages: kubectl \S+ not downloaded: dl\.k8s\.io is not reachable \(curl: .*\); install kubectl on PATH yourself/m,
    );
  });
  test('an unknown group exits 2 before installing anything', () => {
    const r = run('scripts/install-packages', ['build', 'nosuch']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown group 'nosuch'/);
    assert.equal(r.stdout, '');
  });
});

describe('the README says the same', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  test(`kubectl ${KUBECTL_MINIMUM} (scripts/lib/prereq.sh) is the one minimum the README gives for make test`, () => {
    assert.ok(
      new RegExp(`kubectl ${KUBECTL_MINIMUM.replace('.', '\\.')} or newer`).test(readme),
      `README.md does not say "kubectl ${KUBECTL_MINIMUM} or newer"`,
    );
  });
  test(`Node.js ${NODE_MINIMUM} (package.json engines) is the minimum the README gives`, () => {
    assert.ok(
      new RegExp(`Node\\.js ${NODE_MINIMUM.replace('.', '\\.')} or newer`).test(readme),
      `README.md does not say "Node.js ${NODE_MINIMUM} or newer"`,
    );
  });
});
