// The JavaScript half of the Terraform checks: what Terraform cannot express (lifecycle,
// dependency order, backend, unused declarations, checkov skip reasons, tfvars names, cost
// model and documents), and proof that every check fails on a broken fixture. Terraform's own
// validate and tests (tests/tf-validate) check everything else.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { brokenFixtures } from './fixtures/broken.mjs';
import { checks } from './lib/checks.mjs';
import { buildContext } from './lib/context.mjs';
import { TF_ROOT } from './lib/tf.mjs';

const ctx = await buildContext();

function edit(text, edits, where) {
  let out = text;
  for (const [find, replace] of edits) {
    const count =
      typeof find === 'string'
        ? out.split(find).length - 1
        : (out.match(new RegExp(find.source, `${find.flags.replace('g', '')}g`)) ?? []).length;
    if (count !== 1)
      throw new Error(`fixture edit for ${where} matches ${count} times (want exactly 1): ${find}`);
    out = out.replace(find, replace);
  }
  return out;
}

function overridesOf(fixture) {
  const o = { root: {}, bootstrap: {}, registry: {}, tfvars: {} };
  for (const [file, edits] of Object.entries(fixture.root ?? {}))
    o.root[file] = edit(readFileSync(join(TF_ROOT, file), 'utf8'), edits, file);
  for (const [file, edits] of Object.entries(fixture.bootstrap ?? {}))
    o.bootstrap[file] = edit(
      readFileSync(join(TF_ROOT, 'bootstrap', file), 'utf8'),
      edits,
      `bootstrap/${file}`,
    );
  for (const [file, edits] of Object.entries(fixture.registry ?? {}))
    o.registry[file] = edit(readFileSync(join(TF_ROOT, 'registry', file), 'utf8'), edits, `registry/${file}`);
  for (const [env, edits] of Object.entries(fixture.tfvars ?? {}))
    o.tfvars[env] = edit(
      readFileSync(join(TF_ROOT, 'environments', `${env}.tfvars`), 'utf8'),
      edits,
      `${env}.tfvars`,
    );
  return o;
}

describe('the module passes', () => {
  for (const check of checks) {
    test(`${check.id}: ${check.title}`, () => {
      assert.deepEqual(check.run(ctx), []);
    });
  }
});

describe('each check fails on a broken fixture', () => {
  for (const fixture of brokenFixtures) {
    const check = checks.find((c) => c.id === fixture.check);
    test(`${fixture.check} fails when ${fixture.why}`, async () => {
      assert.ok(check, `no check named ${fixture.check}`);
      const broken = await buildContext(overridesOf(fixture));
      assert.ok(check.run(broken).length > 0, `${fixture.check} passed on a fixture where ${fixture.why}`);
    });
  }

  test('every check has at least one broken fixture', () => {
    const covered = new Set(brokenFixtures.map((f) => f.check));
    assert.deepEqual(
      checks.map((c) => c.id).filter((id) => !covered.has(id)),
      [],
    );
  });
});
