// Every named check passes on every shipped render, and every check is shown to fail on a broken
// manifest: tests/fixtures/<name>/ layers one breakage over a shipped kustomization, and its
// expect.json names exactly the checks that must fail (all others must still pass).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CHECKS,
  TERRAFORM_ALB,
  TERRAFORM_VARIABLES,
  caVersionViolations,
  drainAlbViolations,
  runChecks,
  terraformAlbIdleTimeout,
  terraformKubernetesVersion,
} from './lib/checks.mjs';
import { K8S_DIR, RENDERS, render } from './lib/kustomize.mjs';

const FIXTURES = path.join(K8S_DIR, 'tests/fixtures');
const fixtures = readdirSync(FIXTURES)
  .filter((d) => existsSync(path.join(FIXTURES, d, 'expect.json')))
  .sort()
  .map((d) => ({
    name: d,
    dir: path.join(FIXTURES, d),
    ...JSON.parse(readFileSync(path.join(FIXTURES, d, 'expect.json'), 'utf8')),
  }));

const show = (results) =>
  results
    .filter((r) => r.violations.length > 0)
    .map((r) => `${r.id}: ${r.violations.join('; ')}`)
    .join('\n');

for (const [name, { dir, profiles }] of Object.entries(RENDERS)) {
  describe(`${path.relative(K8S_DIR, dir)} passes`, () => {
    const objects = render(dir);
    for (const result of runChecks(objects, profiles)) {
      test(`${result.id}: ${result.title}`, () => {
        assert.deepEqual(result.violations, [], `${name}: ${result.violations.join('; ')}`);
      });
    }
  });
}

describe('each broken fixture fails exactly its checks', () => {
  for (const f of fixtures) {
    test(`${f.name} -> ${f.fails.join(', ')}`, () => {
      assert.ok(RENDERS[f.render], `unknown render ${f.render}`);
      const results = runChecks(render(f.dir), RENDERS[f.render].profiles);
      const failed = results
        .filter((r) => r.violations.length > 0)
        .map((r) => r.id)
        .sort();
      assert.deepEqual(failed, [...f.fails].sort(), show(results));
    });
  }
});

describe('fixture coverage', () => {
  test('every check has a fixture that makes it fail', () => {
    const covered = new Set(fixtures.flatMap((f) => f.fails));
    assert.deepEqual(
      CHECKS.map((c) => c.id).filter((id) => !covered.has(id)),
      [],
    );
  });
  test('every fixture names checks that exist', () => {
    const ids = new Set(CHECKS.map((c) => c.id));
    assert.deepEqual(
      fixtures.flatMap((f) => f.fails.filter((id) => !ids.has(id)).map((id) => `${f.name}: ${id}`)),
      [],
    );
  });
  test('check ids are unique', () => {
    const ids = CHECKS.map((c) => c.id);
    assert.deepEqual(
      ids.filter((id, i) => ids.indexOf(id) !== i),
      [],
    );
  });
});

// ca-version takes the cluster's version from Terraform, so a cluster upgrade that leaves the
// autoscaler behind fails here; the Terraform fixtures stand for such an upgrade and for a
// variables.tf this check cannot read.
describe('ca-version follows the Terraform default kubernetes_version', () => {
  const TF_FIXTURES = path.join(FIXTURES, 'terraform');
  const ca = render(RENDERS.ca.dir);
  const caCheck = CHECKS.find((c) => c.id === 'ca-version');

  test('the shipped variables.tf has a 1.N default and the shipped autoscaler matches it', async () => {
    const minor = await terraformKubernetesVersion(TERRAFORM_VARIABLES);
    assert.match(minor, /^1\.\d+$/);
    assert.deepEqual(caVersionViolations(ca, minor), []);
    assert.ok(caCheck.title.includes(`(${minor})`), caCheck.title);
  });
  test('a cluster moved to the next minor (fixture terraform/next-minor.tf) fails the shipped autoscaler', async () => {
    const minor = await terraformKubernetesVersion(path.join(TF_FIXTURES, 'next-minor.tf'));
    assert.equal(minor, '1.36');
    const violations = caVersionViolations(ca, minor);
    assert.equal(violations.length, 1, violations.join('; '));
    assert.match(violations[0], /is for Kubernetes 1\.\d+, the cluster runs 1\.36/);
  });
  test('a variables.tf without a readable 1.N default is an error, not a pass', async () => {
    for (const name of ['no-default.tf', 'patch-version.tf']) {
      await assert.rejects(
        terraformKubernetesVersion(path.join(TF_FIXTURES, name)),
        /kubernetes_version has no default of the form 1\.N/,
        name,
      );
    }
    await assert.rejects(terraformKubernetesVersion(path.join(TF_FIXTURES, 'missing.tf')), /ENOENT/);
  });
  test('a tag that is not a release tag fails whatever the cluster version', () => {
    const withTag = (tag) =>
      ca.map((o) =>
        o.kind === 'Deployment'
          ? {
              ...o,
              spec: {
                ...o.spec,
                template: {
                  ...o.spec.template,
                  spec: {
                    ...o.spec.template.spec,
                    containers: [
                      {
                        ...o.spec.template.spec.containers[0],
                        image: `registry.k8s.io/autoscaling/cluster-autoscaler:${tag}`,
                      },
                    ],
                  },
                },
              },
            }
          : o,
      );
    assert.deepEqual(caVersionViolations(withTag('v1.35.2'), '1.35'), []);
    assert.equal(caVersionViolations(withTag('v1.35.2'), '1.34').length, 1);
    assert.equal(caVersionViolations(withTag('v1.35'), '1.35').length, 1);
    assert.equal(caVersionViolations(withTag('v1.350.0'), '1.35').length, 1);
  });
});

// drain-outlasts-alb-reuse takes the ALB's idle timeout from Terraform, so raising it there without
// lengthening the drain fails here.
describe('drain-outlasts-alb-reuse follows the ALB idle timeout of deploy/terraform/alb.tf', () => {
  const TF_FIXTURES = path.join(FIXTURES, 'terraform');
  const local = render(RENDERS.local.dir);

  test('the shipped alb.tf sets 60 s and the shipped drain outlasts it', async () => {
    const idle = await terraformAlbIdleTimeout(TERRAFORM_ALB);
    assert.equal(idle, 60);
    assert.deepEqual(drainAlbViolations(local, idle), []);
  });
  test('an ALB idle timeout raised to 120 s (fixture terraform/alb-idle-120.tf) fails the shipped drain', async () => {
    const idle = await terraformAlbIdleTimeout(path.join(TF_FIXTURES, 'alb-idle-120.tf'));
    assert.equal(idle, 120);
    const violations = drainAlbViolations(local, idle);
    assert.equal(violations.length, 1, violations.join('; '));
    assert.match(violations[0], /HELLO_DRAIN_DELAY 65 s < ALB idle timeout 120 s \+ 5 s/);
  });
  test('no idle_timeout means the AWS default, 60 s', async () => {
    assert.equal(await terraformAlbIdleTimeout(path.join(TF_FIXTURES, 'alb-default-idle.tf')), 60);
  });
  test('a file without aws_lb.this is an error, not a pass', async () => {
    await assert.rejects(
      terraformAlbIdleTimeout(path.join(TF_FIXTURES, 'no-alb.tf')),
      /no resource aws_lb\.this/,
    );
    await assert.rejects(terraformAlbIdleTimeout(path.join(TF_FIXTURES, 'missing.tf')), /ENOENT/);
  });
});

describe('documentation', () => {
  test('deploy/k8s/README.md lists every check', () => {
    const readme = readFileSync(path.join(K8S_DIR, 'README.md'), 'utf8');
    assert.deepEqual(
      CHECKS.map((c) => c.id).filter((id) => !readme.includes(`| \`${id}\` |`)),
      [],
    );
  });
});
