#!/usr/bin/env node
// Renders docs/terraform-graph.md: a Mermaid graph of the resources, data sources and modules
// of deploy/terraform and the references between them, from the same HCL parse as the tests.
// Deterministic: the same code always gives the same bytes.
//
//   node scripts/docs/terraform-graph.mjs --write docs/terraform-graph.md
//   node scripts/docs/terraform-graph.mjs --check docs/terraform-graph.md   # exit 1 if stale
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The HCL parser comes from the repository's pinned devDependencies.
const { TF_ROOT, loadModule, referencesOf, targetOf } =
  await import('../../deploy/terraform/tests/lib/tf.mjs').catch((err) => {
    console.error(
      `cannot load the HCL parser (${err.code ?? err.message}): run 'npm ci' at the repository root`,
    );
    process.exit(2);
  });

const USAGE = `usage: terraform-graph.mjs (--write FILE | --check FILE | --stdout) [--help]
  --write FILE  write the Mermaid graph document to FILE
  --check FILE  exit 1 when FILE differs from what --write would produce
  --stdout      print the document`;

function nodeId(address) {
  return address.replace(/[^A-Za-z0-9]/g, '_');
}

// Block addresses a value refers to, following locals to what they refer to.
function targets(mod, value, seen = new Set()) {
  const out = new Set();
  for (const ref of referencesOf(value)) {
    const t = targetOf(ref);
    if (!t || t.startsWith('var.')) continue;
    if (t.startsWith('local.')) {
      if (seen.has(t)) continue;
      seen.add(t);
      const l = mod.locals[t.slice(6)];
      if (l) for (const x of targets(mod, l.expr, seen)) out.add(x);
    } else {
      out.add(t);
    }
  }
  return out;
}

function graphOf(mod) {
  const lines = ['flowchart LR'];
  const known = new Set(mod.blocks.map((b) => b.address));
  const byFile = new Map();
  for (const b of [...mod.blocks].sort((x, y) =>
    x.address < y.address ? -1 : x.address > y.address ? 1 : 0,
  )) {
    if (!byFile.has(b.file)) byFile.set(b.file, []);
    byFile.get(b.file).push(b);
  }
  for (const file of [...byFile.keys()].sort()) {
    lines.push(`  subgraph ${nodeId(file)}["${file}"]`);
    for (const b of byFile.get(file)) {
      const shape = b.kind === 'data' ? [`[/"`, `"/]`] : [`["`, `"]`];
      lines.push(`    ${nodeId(b.address)}${shape[0]}${b.address}${shape[1]}`);
    }
    lines.push('  end');
  }
  const edges = new Set();
  for (const b of mod.blocks) {
    const { lifecycle, ...body } = b.body;
    for (const t of targets(mod, body))
      if (known.has(t) && t !== b.address) edges.add(`  ${nodeId(b.address)} --> ${nodeId(t)}`);
  }
  lines.push(...[...edges].sort());
  return lines.join('\n');
}

export async function render() {
  const root = await loadModule(TF_ROOT);
  const boot = await loadModule(join(TF_ROOT, 'bootstrap'));
  for (const m of [root, boot]) if (m.errors.length) throw new Error(m.errors.join('\n'));
  return [
    '# Terraform graph',
    '',
    'Generated from `deploy/terraform` by `make tf-graph` (`scripts/docs/terraform-graph.mjs`, the same HCL parse',
    'as the Terraform tests); do not edit by hand. An arrow `A --> B` means that A refers to B, directly or',
    'through locals. Parallelograms are data sources; boxes are grouped by the file that declares them.',
    '',
    '## Root module (`deploy/terraform`)',
    '',
    '```mermaid',
    graphOf(root),
    '```',
    '',
    '## State bucket stack (`deploy/terraform/bootstrap`)',
    '',
    '```mermaid',
    graphOf(boot),
    '```',
    '',
  ].join('\n');
}

async function main(argv) {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const [mode, file] = argv;
  if (mode === '--stdout' && argv.length === 1) {
    process.stdout.write(await render());
    return 0;
  }
  if (!['--write', '--check'].includes(mode) || !file || argv.length !== 2) {
    console.error(USAGE);
    return 2;
  }
  const doc = await render();
  const path = resolve(file);
  if (mode === '--write') {
    writeFileSync(path, doc);
    console.log(`wrote ${file}`);
    return 0;
  }
  let current = null;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    // a missing file is simply not current
  }
  if (current !== doc) {
    console.error(`${file} is not current: run 'make tf-graph'`);
    return 1;
  }
  console.log(`${file} is current`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
