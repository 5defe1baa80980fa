// Builds the context every check runs on: the root module, the bootstrap stack, the
// environment files and the derived provider schema. Overrides replace file contents in
// memory, which is how the broken fixtures are made from the real code.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { TF_ROOT, loadModule, parseHcl } from "./tf.mjs";

export const SCHEMA_PATH = join(TF_ROOT, "tests/schema/aws-provider-v6.json");
let schemaCache;

export function loadSchema() {
  schemaCache ??= JSON.parse(readFileSync(SCHEMA_PATH, "utf8"));
  return schemaCache;
}

export async function buildContext(overrides = {}) {
  const mod = await loadModule(TF_ROOT, overrides.root ?? {});
  const boot = await loadModule(join(TF_ROOT, "bootstrap"), overrides.bootstrap ?? {});
  const envDir = join(TF_ROOT, "environments");
  const tfvars = {};
  const tfvarsFiles = [];
  const tfvarsErrors = [];
  const names = readdirSync(envDir).filter((n) => n.endsWith(".tfvars")).sort();
  for (const name of names) {
    const env = name.replace(/\.tfvars$/, "");
    const text = overrides.tfvars?.[env] ?? readFileSync(join(envDir, name), "utf8");
    tfvarsFiles.push({ name, path: `environments/${name}`, text });
    const { json, error } = await parseHcl(name, text);
    if (error) tfvarsErrors.push(`environments/${name}: ${error}`);
    else tfvars[env] = json;
  }
  return { mod, boot, tfvars, tfvarsFiles, tfvarsErrors, schema: overrides.schema ?? loadSchema() };
}
