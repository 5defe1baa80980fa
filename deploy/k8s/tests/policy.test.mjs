// Every named check passes on every shipped render, and every check is shown to fail on a broken
// manifest: tests/fixtures/<name>/ layers one breakage over a shipped kustomization, and its
// expect.json names exactly the checks that must fail (all others must still pass).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CHECKS, TERRAFORM_VARIABLES, caVersionViolations, runChecks, terraformKubernetesVersion } from './lib/checks.mjs';
import { K8S_DIR, RENDERS, render } from './lib/kustomize.mjs';

const FIXTURES = path.join(K8S_DIR, 'tests/fixtures');
const fixtures = readdirSync(FIXTURES)
  .filter((d) => existsSync(path.join(FIXTURES, d, 'expect.json')))
  .sort()
  .map((d) => ({ name: d, dir: path.join(FIXTURES, d), ...JSON.parse(readFileSync(path.join(FIXTURES, d, 'expect.json'), 'utf8')) }));

const show = (results) => results.filter((r) => r.violations.length > 0).map((r) => `${r.id}: ${r.violations.join('; ')}`).join('\n');

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
      const failed = results.filter((r) => r.violations.length > 0).map((r) => r.id).sort();
      assert.deepEqual(failed, [...f.fails].sort(), show(results));
    });
  }
});

describe('fixture coverage', () => {
  test('every check has a fixture that makes it fail', () => {
    const covered = new Set(fixtures.flatMap((f) => f.fails));
    assert.deepEqual(CHECKS.map((c) => c.id).filter((id) => !covered.has(id)), []);
  });
  test('every fixture names checks that exist', () => {
    const ids = new Set(CHECKS.map((c) => c.id));
    assert.deepEqual(fixtures.flatMap((f) => f.fails.filter((id) => !ids.has(id)).map((id) => `${f.name}: ${id}`)), []);
  });
  test('check ids are unique', () => {
    const ids = CHECKS.map((c) => c.id);
    assert.deepEqual(ids.filter((id, i) => ids.indexOf(id) !== i), []);
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
      await assert.rejects(terraformKubernetesVersion(path.join(TF_FIXTURES, name)), /kubernetes_version has no default of the form 1\.N/, name);
    }
    await assert.rejects(terraformKubernetesVersion(path.join(TF_FIXTURES, 'missing.tf')), /ENOENT/);
  });
  test('a tag that is not a release tag fails whatever the cluster version', () => {
    const withTag = (tag) => ca.map((o) => (o.kind === 'Deployment'
      ? { ...o, spec: { ...o.spec, template: { ...o.spec.template, spec: { ...o.spec.template.spec, containers: [{ ...o.spec.template.spec.containers[0], image: `registry.k8s.io/autoscaling/cluster-autoscaler:${tag}` }] } } } }
      : o));
    assert.deepEqual(caVersionViolations(withTag('v1.35.2'), '1.35'), []);
    assert.equal(caVersionViolations(withTag('v1.35.2'), '1.34').length, 1);
    assert.equal(caVersionViolations(withTag('v1.35'), '1.35').length, 1);
    assert.equal(caVersionViolations(withTag('v1.350.0'), '1.35').length, 1);
  });
});

describe('documentation', () => {
  test('deploy/k8s/README.md lists every check', () => {
    const readme = readFileSync(path.join(K8S_DIR, 'README.md'), 'utf8');
    assert.deepEqual(CHECKS.map((c) => c.id).filter((id) => !readme.includes(`| \`${id}\` |`)), []);
  });
});
