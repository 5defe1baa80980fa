// Loads a Terraform module with HashiCorp's HCL parser (@cdktf/hcl2json, WebAssembly) and
// exposes what the graph and the remaining JavaScript checks need: blocks with their parsed
// bodies and raw text, references found in expressions, and inline checkov annotations.
// Terraform itself validates the code (tests/tf-validate); this parse only reads it.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '@cdktf/hcl2json';

export const TF_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const REPO_ROOT = resolve(TF_ROOT, '../..');

// Reads every *.tf file of a directory (not recursive). `overrides` maps a file name to
// replacement text, which is how the broken fixtures are built from the real module.
export function readModuleFiles(dir, overrides = {}) {
  const names = readdirSync(dir)
    .filter((n) => n.endsWith('.tf'))
    .sort();
  for (const name of Object.keys(overrides)) if (!names.includes(name)) names.push(name);
  return names.map((name) => ({
    name,
    path: join(dir, name),
    text: overrides[name] ?? readFileSync(join(dir, name), 'utf8'),
  }));
}

// The text of a top-level block. Formatted HCL closes a top-level block with "}" in column 0,
// which is what the end search relies on.
function rawBlock(text, header) {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(header));
  if (start < 0) return { raw: '', line: 0 };
  let end = start;
  if (!lines[start].trimEnd().endsWith('{}')) {
    end = lines.findIndex((l, i) => i > start && l === '}');
    if (end < 0) end = lines.length - 1;
  }
  return { raw: lines.slice(start, end + 1).join('\n'), line: start + 1 };
}

// Parses one HCL file: { json } or { error } (the parser's first line). Results are kept by
// name and text: the broken fixtures change one file at a time, so the other files are
// parsed once per run. Callers must not modify the returned objects.
const parsed = new Map();
export function parseHcl(name, text) {
  const key = `${name}\0${text}`;
  if (!parsed.has(key)) {
    parsed.set(
      key,
      parse(name, text).then(
        (json) => ({ json }),
        (err) => ({ error: String(err.message ?? err).split('\n')[0] }),
      ),
    );
  }
  return parsed.get(key);
}

export async function loadModule(dir, overrides = {}) {
  const mod = {
    dir,
    files: [],
    blocks: [], // resources and data sources
    variables: {},
    locals: {},
    outputs: {},
    modules: {},
    providers: [],
    terraform: [],
    errors: [],
  };
  for (const file of readModuleFiles(dir, overrides)) {
    const { json, error } = await parseHcl(file.name, file.text);
    if (error) {
      mod.errors.push(`${file.name}: ${error}`);
      continue;
    }
    mod.files.push({ ...file, json });
    for (const kind of ['resource', 'data']) {
      for (const [type, byName] of Object.entries(json[kind] ?? {})) {
        for (const [name, bodies] of Object.entries(byName)) {
          const header = `${kind} "${type}" "${name}"`;
          const { raw, line } = rawBlock(file.text, header);
          mod.blocks.push({
            kind,
            type,
            name,
            address: kind === 'data' ? `data.${type}.${name}` : `${type}.${name}`,
            body: bodies[0],
            file: file.name,
            line,
            raw,
          });
        }
      }
    }
    for (const [name, bodies] of Object.entries(json.variable ?? {}))
      mod.variables[name] = { body: bodies[0], file: file.name };
    for (const localsBlock of json.locals ?? []) {
      for (const [name, expr] of Object.entries(localsBlock)) mod.locals[name] = { expr, file: file.name };
    }
    for (const [name, bodies] of Object.entries(json.output ?? {}))
      mod.outputs[name] = { body: bodies[0], file: file.name };
    for (const [name, bodies] of Object.entries(json.module ?? {}))
      mod.modules[name] = { body: bodies[0], file: file.name };
    for (const [name, bodies] of Object.entries(json.provider ?? {}))
      for (const body of bodies) mod.providers.push({ name, body, file: file.name });
    for (const body of json.terraform ?? []) mod.terraform.push({ body, file: file.name });
  }
  return mod;
}

export function block(mod, address) {
  return mod.blocks.find((b) => b.address === address);
}

// Every string in a value, with a path such as "vpc_config.0.subnet_ids".
function* strings(value, path = '') {
  if (typeof value === 'string') yield { path, value };
  else if (Array.isArray(value))
    for (const [i, v] of value.entries()) yield* strings(v, path ? `${path}.${i}` : String(i));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) yield* strings(v, path ? `${path}.${k}` : k);
}

// The contents of every ${ ... } in a parsed string, nested interpolations included.
function interpolations(str) {
  const out = [];
  for (let i = str.indexOf('${'); i >= 0; i = str.indexOf('${', i + 2)) {
    let depth = 0;
    for (let j = i + 1; j < str.length; j++) {
      if (str[j] === '{') depth++;
      else if (str[j] === '}' && --depth === 0) {
        out.push(str.slice(i + 2, j));
        break;
      }
    }
  }
  return out;
}

const ROOTS = 'var|local|data|module|each|count|path|terraform|self|aws_[a-z0-9_]+';
const TRAVERSAL_RE = new RegExp(`(?<![\\w.-])(${ROOTS})((?:\\.[A-Za-z_][\\w-]*|\\[[^\\]]*\\])+)`, 'g');

// References in one expression string: { root, parts, text } where parts are the attribute
// names that follow the root (index steps dropped), e.g. aws_lb.this.dns_name ->
// { root: "aws_lb", parts: ["this", "dns_name"] }.
function traversals(segment, refs) {
  for (const m of segment.matchAll(TRAVERSAL_RE)) {
    const steps = m[2].replace(/\[[^\]]*\]/g, '');
    const parts = [...steps.matchAll(/\.([A-Za-z_][\w-]*)/g)].map((p) => p[1]);
    refs.push({ root: m[1], parts, text: m[0] });
    // Index expressions are expressions too: aws_nat_gateway.this[var.x ? local.y : each.key]
    for (const index of m[2].matchAll(/\[([^\]]*)\]/g)) traversals(index[1], refs);
  }
  return refs;
}

function referencesIn(str) {
  const refs = [];
  for (const segment of interpolations(str)) traversals(segment, refs);
  return refs;
}

export function referencesOf(value) {
  const out = [];
  for (const { path, value: str } of strings(value))
    for (const ref of referencesIn(str)) out.push({ ...ref, path });
  return out;
}

// The address a reference points at: "var.x", "local.x", "data.t.n", "module.m", "t.n".
export function targetOf(ref) {
  if (ref.root === 'var' || ref.root === 'local' || ref.root === 'module')
    return ref.parts[0] ? `${ref.root}.${ref.parts[0]}` : null;
  if (ref.root === 'data') return ref.parts.length >= 2 ? `data.${ref.parts[0]}.${ref.parts[1]}` : null;
  if (ref.root.startsWith('aws_')) return ref.parts[0] ? `${ref.root}.${ref.parts[0]}` : null;
  return null; // each, count, path, terraform, self
}

// Inline annotations: checkov reads "#checkov:skip=ID:reason" inside the block.
export function checkovSkips(b) {
  const skips = new Map();
  for (const m of b.raw.matchAll(/#\s*checkov:skip=([A-Z0-9_]+)(?::([^\n]*))?/g))
    skips.set(m[1], (m[2] ?? '').trim());
  return skips;
}
