#!/usr/bin/env node
// Validates hello-server SBOMs offline: first against the official CycloneDX
// JSON schema of the document's specVersion (shipped by @cyclonedx/cyclonedx-library),
// then against what scripts/sbom promises and a schema cannot say: every
// package URL parses and matches its component, the C runtime, the C++
// runtime, libgcc and llhttp are there, and (when given) the hash, version and
// revision match the binary it describes.
//
// Exit status: 0 every file valid, 1 a file invalid, 2 bad usage or a missing prerequisite.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const USAGE = `Usage: scripts/sbom-validate.mjs [--binary FILE] [--version V] [--revision R] [--arch A] SBOM...

Checks each CycloneDX JSON SBOM against the official schema of its specVersion
(offline) and against the hello-server SBOM rules:
  - every component has a pkg:deb/debian purl that parses, names it, and
    carries arch and distro=debian-12 qualifiers;
  - the C runtime (libc6-dev), C++ runtime (libstdc++-12-dev), libgcc
    (libgcc-12-dev) of the target architecture, or their -cross twins, and
    node-llhttp are components the binary depends on;
  --binary FILE  the metadata component's SHA-256 is this file's
  --version V    the metadata component's version is V
  --revision R   its hello:revision property is R
  --arch A       its hello:architecture property is A (amd64, arm64)

Needs Node.js >= 20 and the npm packages (npm ci).
Exit status: 0 all valid, 1 a file is invalid, 2 bad usage or a missing prerequisite.`;

const RUNTIMES = [
  ['the C runtime', /^libc6-dev(-[a-z0-9]+-cross)?$/],
  ['the C++ runtime', /^libstdc\+\+-\d+-dev(-[a-z0-9]+-cross)?$/],
  ['libgcc', /^libgcc-\d+-dev(-[a-z0-9]+-cross)?$/],
  ['llhttp', /^node-llhttp$/],
];

function fail(message) {
  process.stderr.write(`sbom-validate: ${message}\n`);
  process.exit(2);
}

async function loadLibraries() {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const require = createRequire(path.join(root, 'package.json'));
  try {
    const cdx = require('@cyclonedx/cyclonedx-library');
    const { PackageURL } = require('packageurl-js');
    return { cdx, PackageURL };
  } catch (error) {
    fail(`the npm packages are missing (${error.code ?? error.message}): run 'npm ci' in ${root}`);
  }
  return undefined;
}

// The semantic rules; returns a list of problems.
function checkContent(bom, options, PackageURL) {
  const problems = [];
  const components = bom.components ?? [];
  const main = bom.metadata?.component;
  if (!main || main.name !== 'hello-server') problems.push('metadata.component is not hello-server');
  const prop = (name) => main?.properties?.find((p) => p.name === name)?.value;
  const arch = prop('hello:architecture');
  if (!arch) problems.push('metadata.component has no hello:architecture property');
  if (!prop('hello:revision')) problems.push('metadata.component has no hello:revision property');
  const sha = main?.hashes?.find((h) => h.alg === 'SHA-256')?.content;
  if (!sha) problems.push('metadata.component has no SHA-256 hash');

  for (const component of components) {
    let purl;
    try {
      purl = PackageURL.fromString(component.purl ?? '');
    } catch (error) {
      problems.push(`${component.name}: purl '${component.purl}' does not parse: ${error.message}`);
      continue;
    }
    if (purl.type !== 'deb' || purl.namespace !== 'debian')
      problems.push(
        `${component.name}: purl type/namespace is ${purl.type}/${purl.namespace}, not deb/debian`,
      );
    if (purl.name !== component.name) problems.push(`${component.name}: purl names '${purl.name}'`);
    if (purl.version !== component.version)
      problems.push(
        `${component.name}: purl version '${purl.version}' is not the component's '${component.version}'`,
      );
    if (!purl.qualifiers?.arch) problems.push(`${component.name}: purl has no arch qualifier`);
    if (purl.qualifiers?.distro !== 'debian-12')
      problems.push(`${component.name}: purl distro is '${purl.qualifiers?.distro}', not debian-12`);
    if (purl.qualifiers?.arch && !['all', arch].includes(purl.qualifiers.arch)) {
      problems.push(
        `${component.name}: purl arch '${purl.qualifiers.arch}' is neither the binary's (${arch}) nor all`,
      );
    }
  }
  const dependsOn = bom.dependencies?.find((d) => d.ref === main?.['bom-ref'])?.dependsOn ?? [];
  for (const [what, pattern] of RUNTIMES) {
    const found = components.filter((c) => pattern.test(c.name));
    if (found.length !== 1) {
      problems.push(`${what}: ${found.length} components match ${pattern}, want exactly 1`);
      continue;
    }
    if (!dependsOn.includes(found[0]['bom-ref']))
      problems.push(`${what}: hello-server does not depend on ${found[0]['bom-ref']}`);
    if (found[0].name.endsWith('-cross') && !found[0].name.endsWith(`-${arch}-cross`)) {
      problems.push(`${what}: ${found[0].name} is not a runtime for ${arch}`);
    }
  }
  if (options.binary) {
    const actual = createHash('sha256').update(readFileSync(options.binary)).digest('hex');
    if (sha !== actual) problems.push(`SHA-256 ${sha} is not ${options.binary}'s ${actual}`);
  }
  if (options.version && main?.version !== options.version)
    problems.push(`version '${main?.version}' is not '${options.version}'`);
  if (options.revision && prop('hello:revision') !== options.revision)
    problems.push(`revision '${prop('hello:revision')}' is not '${options.revision}'`);
  if (options.arch && arch !== options.arch) problems.push(`architecture '${arch}' is not '${options.arch}'`);
  return problems;
}

async function validateFile(file, options, { cdx, PackageURL }) {
  let text;
  let bom;
  try {
    text = readFileSync(file, 'utf8');
    bom = JSON.parse(text);
  } catch (error) {
    return [`cannot read it as JSON: ${error.message}`];
  }
  if (bom.bomFormat !== 'CycloneDX') return [`bomFormat is '${bom.bomFormat}', not CycloneDX`];
  const version = Object.values(cdx.Spec.Version).find((v) => v === bom.specVersion);
  if (!version || !['1.5', '1.6', '1.7'].includes(version))
    return [`specVersion '${bom.specVersion}' is not CycloneDX 1.5 or later`];
  const validator = new cdx.Validation.JsonValidator(version);
  const schemaErrors = await validator.validate(text);
  if (schemaErrors !== null) {
    return [
      `not valid against the CycloneDX ${version} JSON schema:`,
      ...schemaErrors.map(
        (e) => `  ${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`,
      ),
    ];
  }
  return checkContent(bom, options, PackageURL);
}

async function main() {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        binary: { type: 'string' },
        version: { type: 'string' },
        revision: { type: 'string' },
        arch: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    process.stderr.write(`sbom-validate: ${error.message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (parsed.positionals.length === 0) {
    process.stderr.write(`sbom-validate: no SBOM given\n${USAGE}\n`);
    process.exit(2);
  }
  const libraries = await loadLibraries();
  let invalid = 0;
  for (const file of parsed.positionals) {
    const problems = await validateFile(file, parsed.values, libraries);
    if (problems.length === 0) {
      const bom = JSON.parse(readFileSync(file, 'utf8'));
      const arch = bom.metadata.component.properties.find((p) => p.name === 'hello:architecture').value;
      process.stdout.write(
        `valid: ${file} (CycloneDX ${bom.specVersion}, hello-server ${bom.metadata.component.version} ${arch}, ${bom.components.length} components: ${bom.components.map((c) => `${c.name}@${c.version}`).join(' ')})\n`,
      );
    } else {
      invalid += 1;
      process.stdout.write(`INVALID: ${file}\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
    }
  }
  process.exit(invalid === 0 ? 0 : 1);
}

await main();
