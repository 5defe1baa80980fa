// Every named check passes on every shipped render, and every check is shown to fail on a broken
// manifest: tests/fixtures/<name>/ layers one breakage over a shipped kustomization, and its
// expect.json names exactly the checks that must fail (all others must still pass).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CHECKS, runChecks } from './lib/checks.mjs';
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
      test(`${result.id}: ${CHECKS.find((c) => c.id === result.id).title}`, () => {
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

describe('documentation', () => {
  test('deploy/k8s/README.md lists every check', () => {
    const readme = readFileSync(path.join(K8S_DIR, 'README.md'), 'utf8');
    assert.deepEqual(CHECKS.map((c) => c.id).filter((id) => !readme.includes(`| \`${id}\` |`)), []);
  });
});
