#!/usr/bin/env node
// Derives a compact AWS provider schema (argument, attribute and block names with their
// required/optional/computed flags) for the resource and data source types the Terraform code
// uses, from the prebuilt @cdktf/provider-aws bindings, which are generated from the provider's
// own schema. The result is committed so the offline tests need neither terraform nor the
// registry; rerun this after adding a resource type or moving to another provider release.
//
//   node deploy/terraform/tests/schema/derive-schema.mjs            # npm pack into a temp dir
//   node deploy/terraform/tests/schema/derive-schema.mjs --from DIR # an unpacked package dir
//   node deploy/terraform/tests/schema/derive-schema.mjs --check    # exit 1 if the JSON is stale
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// 21.x of the prebuilt bindings tracks hashicorp/aws 6.x (21.22.1 is generated from 6.25.0).
export const PACKAGE = "@cdktf/provider-aws@21.22.1";

const here = dirname(fileURLToPath(import.meta.url));
const tfRoot = resolve(here, "../..");
const output = join(here, "aws-provider-v6.json");

function usage() {
  return [
    "usage: derive-schema.mjs [--from DIR] [--check] [--help]",
    "  --from DIR  read an already unpacked @cdktf/provider-aws package (its package.json is in DIR)",
    "  --check     do not write; exit 1 when the committed schema lacks a type the code uses",
    `Without --from, runs 'npm pack ${PACKAGE}' into a temporary directory (needs npm and tar).`,
  ].join("\n");
}

// Every resource and data source type named in the module and the bootstrap stack.
export function usedTypes(root = tfRoot) {
  const found = { resource: new Set(), data: new Set() };
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith(".") || entry.name === "tests") continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".tf")) {
        const text = readFileSync(path, "utf8");
        for (const m of text.matchAll(/^(resource|data)\s+"([a-z0-9_]+)"/gm)) found[m[1]].add(m[2]);
      }
    }
  };
  walk(root);
  return { resource: [...found.resource].sort(), data: [...found.data].sort() };
}

function unpack() {
  const dir = mkdtempSync(join(tmpdir(), "provider-aws-"));
  execFileSync("npm", ["pack", "--silent", "--pack-destination", dir, PACKAGE], { stdio: ["ignore", "ignore", "inherit"] });
  const tgz = readdirSync(dir).find((f) => f.endsWith(".tgz"));
  if (!tgz) throw new Error(`npm pack ${PACKAGE} produced no tarball`);
  execFileSync("tar", ["-xzf", join(dir, tgz), "-C", dir]);
  return { packageDir: join(dir, "package"), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// The generated TypeScript source travels inside each module's inline source map.
function typescriptOf(file) {
  const js = readFileSync(file, "utf8");
  const m = js.match(/sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/);
  if (!m) throw new Error(`${file}: no inline source map`);
  return JSON.parse(Buffer.from(m[1], "base64").toString("utf8")).sourcesContent[0];
}

function indexTypes(packageDir) {
  const lib = join(packageDir, "lib");
  const byType = new Map();
  for (const dir of readdirSync(lib)) {
    const file = join(lib, dir, "index.js");
    if (!existsSync(file)) continue;
    const text = readFileSync(file, "utf8");
    const m = text.match(/\.tfResourceType = "([a-z0-9_]+)";/);
    if (m) byType.set(`${dir.startsWith("data-aws-") ? "data" : dir === "provider" ? "provider" : "resource"}.${m[1]}`, file);
  }
  return byType;
}

function chunks(ts) {
  const classes = new Map();
  const functions = new Map();
  const interfaces = new Map();
  const starts = [...ts.matchAll(/^export (class|interface|function) (\w+)/gm)];
  starts.forEach((m, i) => {
    const body = ts.slice(m.index, i + 1 < starts.length ? starts[i + 1].index : ts.length);
    if (m[1] === "class") classes.set(m[2], body);
    if (m[1] === "function") functions.set(m[2], body);
    if (m[1] === "interface") interfaces.set(m[2], body);
  });
  return { classes, functions, interfaces };
}

const FLAG_RE = /\/\/ (\w+) - computed: (true|false), optional: (true|false), required: (true|false)\n(?:\s*private _\w+ = new (\w+)\(this, "\w+"(?:, (true|false))?\);)?/g;
const HCL_RE = /\n\s*(\w+): \{\n\s*value: [^\n]*,\n\s*isBlock: (true|false),\n\s*type: "(\w+)",/g;

function flagOf(computed, optional, required) {
  if (required === "true") return "required";
  if (optional === "true") return computed === "true" ? "optional+computed" : "optional";
  return "computed";
}

function lcfirst(s) {
  return s[0].toLowerCase() + s.slice(1);
}

// Blocks nested too deeply for the bindings are typed `any`; their doc comment still says
// "<name> block". Their contents cannot be checked, only their name.
const OPAQUE_RE = /\* (\w+) block\n(?:\s*\*[^\n]*\n)*?\s*\*\/\n\s*readonly \w+\??: any;/g;

function structSchema(src, className, hclText, where, interfaceName) {
  const body = src.classes.get(className);
  if (!body) throw new Error(`${where}: class ${className} not found`);
  const hcl = new Map([...hclText.matchAll(HCL_RE)].map((m) => [m[1], { isBlock: m[2] === "true", type: m[3] }]));
  const opaque = new Set([...(src.interfaces.get(interfaceName) ?? "").matchAll(OPAQUE_RE)].map((m) => m[1]));
  const out = { attributes: {}, blocks: {} };
  for (const m of body.matchAll(FLAG_RE)) {
    const [, name, computed, optional, required, nestedClass] = m;
    const info = hcl.get(name);
    if (opaque.has(name)) {
      out.blocks[name] = { nesting: "opaque", required: required === "true", attributes: {}, blocks: {} };
    } else if (info?.isBlock && nestedClass) {
      const single = nestedClass.endsWith("OutputReference");
      const struct = nestedClass.replace(/(OutputReference|List|Map)$/, "");
      const fn = src.functions.get(`${lcfirst(struct)}ToHclTerraform`) ?? "";
      const nested = structSchema(src, `${struct}OutputReference`, fn, `${where}.${name}`, struct);
      out.blocks[name] = {
        nesting: single || info.type === "struct" ? "single" : info.type,
        required: required === "true",
        ...nested,
      };
    } else {
      out.attributes[name] = flagOf(computed, optional, required);
    }
  }
  return out;
}

function schemaOf(file, tfType) {
  const ts = typescriptOf(file);
  const src = chunks(ts);
  const main = [...src.classes.entries()].find(([, body]) => body.includes(`public static readonly tfResourceType = "${tfType}";`));
  if (!main) throw new Error(`${file}: no class for ${tfType}`);
  const [className, body] = main;
  const synth = body.slice(body.indexOf("protected synthesizeHclAttributes()"));
  return structSchema(src, className, synth, tfType, `${className}Config`);
}

function sortDeep(value) {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortDeep(value[k])]));
  }
  return value;
}

export function derive(packageDir, types) {
  const pkg = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
  const index = indexTypes(packageDir);
  const schema = {
    source: {
      package: `${pkg.name}@${pkg.version}`,
      provider: `${pkg.cdktf?.provider?.name ?? "registry.terraform.io/hashicorp/aws"} ${pkg.cdktf?.provider?.version ?? "unknown"}`,
      note: "derived by tests/schema/derive-schema.mjs; do not edit by hand",
    },
    provider: schemaOf(index.get("provider.aws"), "aws"),
    resource: {},
    data: {},
  };
  for (const kind of ["resource", "data"]) {
    for (const type of types[kind]) {
      const file = index.get(`${kind}.${type}`);
      if (!file) throw new Error(`${kind} type ${type} does not exist in ${schema.source.package}`);
      schema[kind][type] = schemaOf(file, type);
    }
  }
  return sortDeep(schema);
}

function main(argv) {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(usage());
    return 0;
  }
  const types = usedTypes();
  if (argv.includes("--check")) {
    const committed = JSON.parse(readFileSync(output, "utf8"));
    const missing = [
      ...types.resource.filter((t) => !committed.resource[t]).map((t) => `resource ${t}`),
      ...types.data.filter((t) => !committed.data[t]).map((t) => `data ${t}`),
    ];
    if (missing.length) {
      console.error(`schema lacks: ${missing.join(", ")}; run ${relative(process.cwd(), fileURLToPath(import.meta.url))}`);
      return 1;
    }
    console.log("schema covers every type in use");
    return 0;
  }
  const fromIdx = argv.indexOf("--from");
  let packageDir;
  let cleanup = () => {};
  if (fromIdx >= 0) {
    packageDir = argv[fromIdx + 1];
    if (!packageDir || !existsSync(join(packageDir, "package.json"))) {
      console.error(`--from needs an unpacked package directory\n${usage()}`);
      return 2;
    }
  } else {
    for (const tool of ["npm", "tar"]) {
      try {
        execFileSync(tool, ["--version"], { stdio: "ignore" });
      } catch {
        console.error(`${tool} is missing: install Node.js (npm) and tar, or pass --from DIR`);
        return 2;
      }
    }
    ({ packageDir, cleanup } = unpack());
  }
  try {
    const schema = derive(packageDir, types);
    writeFileSync(output, `${JSON.stringify(schema, null, 1)}\n`);
    console.log(`wrote ${relative(process.cwd(), output)}: ${types.resource.length} resource and ${types.data.length} data source types from ${schema.source.package}`);
    return 0;
  } finally {
    cleanup();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
