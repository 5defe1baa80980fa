// Offline checks of deploy/terraform (no terraform binary, no AWS): parse, format, references,
// plan-time keys, tfvars, provider v6 schema, checkov/trivy policy intent, design invariants,
// cost targets; and proof that every check fails on a broken fixture.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { brokenFixtures } from "./fixtures/broken.mjs";
import { allChecks, invariantChecks, policyChecks, structureChecks } from "./lib/checks.mjs";
import { buildContext } from "./lib/context.mjs";
import { TF_ROOT } from "./lib/tf.mjs";
import { usedTypes } from "./schema/derive-schema.mjs";

const ctx = await buildContext();

function edit(text, edits, where) {
  let out = text;
  for (const [find, replace] of edits) {
    const count = typeof find === "string" ? out.split(find).length - 1 : (out.match(new RegExp(find.source, `${find.flags.replace("g", "")}g`)) ?? []).length;
    if (count !== 1) throw new Error(`fixture edit for ${where} matches ${count} times (want exactly 1): ${find}`);
    out = out.replace(find, replace);
  }
  return out;
}

function overridesOf(fixture) {
  const o = { root: {}, bootstrap: {}, tfvars: {} };
  for (const [file, edits] of Object.entries(fixture.root ?? {})) o.root[file] = edit(readFileSync(join(TF_ROOT, file), "utf8"), edits, file);
  for (const [file, edits] of Object.entries(fixture.bootstrap ?? {})) o.bootstrap[file] = edit(readFileSync(join(TF_ROOT, "bootstrap", file), "utf8"), edits, `bootstrap/${file}`);
  for (const [env, edits] of Object.entries(fixture.tfvars ?? {})) o.tfvars[env] = edit(readFileSync(join(TF_ROOT, "environments", `${env}.tfvars`), "utf8"), edits, `${env}.tfvars`);
  return o;
}

const groups = [
  ["structure", structureChecks],
  ["policy (checkov/trivy IDs)", policyChecks],
  ["design invariants", invariantChecks],
];

for (const [name, checks] of groups) {
  describe(`the module passes: ${name}`, () => {
    for (const check of checks) {
      test(`${check.id}: ${check.title}`, async () => {
        assert.deepEqual(await check.run(ctx), []);
      });
    }
  });
}

describe("each check fails on a broken fixture", () => {
  for (const fixture of brokenFixtures) {
    const check = allChecks.find((c) => c.id === fixture.check);
    test(`${fixture.check} fails when ${fixture.why}`, async () => {
      assert.ok(check, `no check named ${fixture.check}`);
      const broken = await buildContext(overridesOf(fixture));
      const failures = await check.run(broken);
      assert.ok(failures.length > 0, `${fixture.check} passed on a fixture where ${fixture.why}`);
    });
  }

  test("every check has at least one broken fixture", () => {
    const covered = new Set(brokenFixtures.map((f) => f.check));
    assert.deepEqual(
      allChecks.map((c) => c.id).filter((id) => !covered.has(id)),
      [],
    );
  });
});

describe("the derived provider schema", () => {
  test("covers every resource and data source type the code uses", () => {
    const types = usedTypes();
    const missing = [...types.resource.filter((t) => !ctx.schema.resource[t]), ...types.data.filter((t) => !ctx.schema.data[t])];
    assert.deepEqual(missing, []);
  });

  test("comes from a 6.x provider release", () => {
    assert.match(ctx.schema.source.provider, /hashicorp\/aws 6\.\d+\.\d+$/);
  });
});
