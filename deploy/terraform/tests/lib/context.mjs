// Builds the context every check runs on: the root module, the bootstrap and registry stacks
// and the environment files, parsed. Overrides replace file contents in memory, which is how the
// broken fixtures are made from the real code.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TF_ROOT, loadModule, parseHcl } from './tf.mjs';

export async function buildContext(overrides = {}) {
  const mod = await loadModule(TF_ROOT, overrides.root ?? {});
  const boot = await loadModule(join(TF_ROOT, 'bootstrap'), overrides.bootstrap ?? {});
  const registry = await loadModule(join(TF_ROOT, 'registry'), overrides.registry ?? {});
  const envDir = join(TF_ROOT, 'environments');
  const tfvars = {};
  const tfvarsErrors = [];
  const names = readdirSync(envDir)
    .filter((n) => n.endsWith('.tfvars'))
    .sort();
  for (const name of names) {
    const env = name.replace(/\.tfvars$/, '');
    const { json, error } = await parseHcl(
      name,
      overrides.tfvars?.[env] ?? readFileSync(join(envDir, name), 'utf8'),
    );
    if (error) tfvarsErrors.push(`environments/${name}: ${error}`);
    else tfvars[env] = json;
  }
  for (const m of [mod, boot, registry])
    if (m.errors.length)
      throw new Error(`cannot parse deploy/terraform (terraform validate says why): ${m.errors.join('; ')}`);
  return { mod, boot, registry, tfvars, tfvarsErrors };
}
