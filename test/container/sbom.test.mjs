// The SBOM tools without Docker: scripts/sbom on this machine's release build
// and on synthetic linker maps, scripts/sbom-validate.mjs on good and broken
// fixtures. HELLO_BUILD_DIR names the release build (default build/release).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SBOM = path.join(ROOT, 'scripts/sbom');
const VALIDATE = path.join(ROOT, 'scripts/sbom-validate.mjs');
const FIXTURES = path.join(ROOT, 'test/container/fixtures');
const BUILD_DIR = process.env.HELLO_BUILD_DIR ?? path.join(ROOT, 'build/release');
const VERSION = readFileSync(path.join(ROOT, 'VERSION'), 'utf8').trim();

const run = (command, args) => spawnSync(command, args, { encoding: 'utf8' });
const dpkgVersion = (name) => execFileSync('dpkg-query', ['-W', '-f=${Version}', name], { encoding: 'utf8' });
const property = (component, name) => component.properties?.find((p) => p.name === name)?.value;

const scratch = mkdtempSync(path.join(tmpdir(), 'hello-sbom-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('scripts/sbom on the release build', () => {
  const output = path.join(scratch, 'release.cdx.json');
  const binary = path.join(BUILD_DIR, 'src/hello-server');

  test('writes an SBOM that validates against the CycloneDX schema and describes the binary', () => {
    const made = run(SBOM, [
      '--build-dir',
      BUILD_DIR,
      '--created',
      '2025-01-31T12:00:00Z',
      '--output',
      output,
    ]);
    assert.equal(
      made.status,
      0,
      `scripts/sbom failed (is ${BUILD_DIR} a release build? make build):\n${made.stderr}`,
    );
    const checked = run(VALIDATE, ['--binary', binary, '--version', VERSION, output]);
    assert.equal(checked.status, 0, checked.stdout + checked.stderr);
    assert.match(checked.stdout, /^valid: .*CycloneDX 1\.6/);
  });

  test('names the exact Debian versions that dpkg has for every linked package', () => {
    const bom = JSON.parse(readFileSync(output, 'utf8'));
    const names = bom.components.map((c) => c.name);
    for (const expected of ['node-llhttp'])
      assert.ok(names.includes(expected), `${expected} missing from ${names}`);
    assert.ok(
      names.some((n) => /^libc6-dev/.test(n)),
      `no C runtime in ${names}`,
    );
    assert.ok(
      names.some((n) => /^libstdc\+\+-12-dev/.test(n)),
      `no C++ runtime in ${names}`,
    );
    for (const component of bom.components) {
      assert.equal(component.version, dpkgVersion(component.name), component.name);
      assert.ok(property(component, 'hello:linked'), `${component.name} says nothing about what was linked`);
    }
    assert.equal(bom.metadata.timestamp, '2025-01-31T12:00:00Z');
  });

  test('is the same bytes when written twice (no clock, no random serial number)', () => {
    const again = path.join(scratch, 'again.cdx.json');
    assert.equal(
      run(SBOM, ['--build-dir', BUILD_DIR, '--created', '2025-01-31T12:00:00Z', '--output', again]).status,
      0,
    );
    assert.equal(readFileSync(again, 'utf8'), readFileSync(output, 'utf8'));
  });
});

describe('scripts/sbom on synthetic linker maps', () => {
  // A build directory with a map that names FILES the way GNU ld does.
  function fakeBuild(name, mapText) {
    const dir = path.join(scratch, name);
    mkdirSync(path.join(dir, 'src'), { recursive: true });
    writeFileSync(
      path.join(dir, 'CMakeCache.txt'),
      [
        'CMAKE_CXX_COMPILER:FILEPATH=g++',
        'CMAKE_PROJECT_VERSION:STATIC=9.9.9',
        'LLHTTP_SOURCE_DIR:PATH=/usr/share/llhttp',
        '',
      ].join('\n'),
    );
    copyFileSync('/bin/true', path.join(dir, 'src/hello-server'));
    writeFileSync(path.join(dir, 'src/hello-server.map'), mapText);
    return dir;
  }
  const libc = execFileSync('gcc', ['-print-file-name=libc.a'], { encoding: 'utf8' }).trim();
  const libstdcxx = execFileSync('g++', ['-print-file-name=libstdc++.a'], { encoding: 'utf8' }).trim();
  const members = (lines) =>
    `Archive member included to satisfy reference by file (symbol)\n\n${lines.join('\n')}\n\nDiscarded input sections\n\n`;

  test('lists what the map says was included, and not an archive that was loaded but unused', () => {
    const dir = fakeBuild(
      'good',
      `${members([
        `${libc}(printf.o)`,
        '                              main.cpp.o (printf)',
        `${libc}(vfprintf.o)`,
        '                              printf.o (vfprintf)',
        'libllhttp.a(llhttp.c.o)',
        '                              main.cpp.o (llhttp_init)',
      ])}Memory Configuration\n\nLinker script and memory map\n\nLOAD ${libstdcxx}\nLOAD src/CMakeFiles/hello-server.dir/main.cpp.o\nLOAD /tmp/ccABC.ltrans0.ltrans.o\n`,
    );
    const made = run(SBOM, ['--build-dir', dir]);
    assert.equal(made.status, 0, made.stderr);
    const bom = JSON.parse(made.stdout);
    const byName = Object.fromEntries(bom.components.map((c) => [c.name, c]));
    assert.deepEqual(Object.keys(byName).sort(), ['libc6-dev', 'node-llhttp']);
    assert.equal(property(byName['libc6-dev'], 'hello:linked'), 'libc.a (2 members)');
    assert.equal(property(byName['node-llhttp'], 'hello:linked'), 'llhttp.c');
    assert.equal(bom.metadata.component.version, '9.9.9');
    assert.equal(property(bom.metadata.component, 'hello:lto-partitions'), '1');
  });

  test('fails, naming the file, when the map names a linked file that no package installed', () => {
    const mystery = path.join(scratch, 'libmystery.a');
    writeFileSync(mystery, '!<arch>\n');
    const dir = fakeBuild(
      'unowned',
      members([
        `${libc}(printf.o)`,
        '   main.cpp.o (printf)',
        `${mystery}(mystery.o)`,
        '   main.cpp.o (mystery)',
      ]),
    );
    const made = run(SBOM, ['--build-dir', dir]);
    assert.equal(made.status, 1);
    assert.match(made.stderr, /libmystery\.a was linked into the binary but belongs to no Debian package/);
    assert.equal(made.stdout, '');
  });

  test('refuses a build without a linker map', () => {
    const dir = fakeBuild('nomap', '');
    rmSync(path.join(dir, 'src/hello-server.map'));
    const made = run(SBOM, ['--build-dir', dir]);
    assert.equal(made.status, 2);
    assert.match(made.stderr, /no linker map .*configure with a release preset/);
  });
});

describe('scripts/sbom-validate.mjs on fixtures', () => {
  const validate = (file, ...args) => run(VALIDATE, [...args, path.join(FIXTURES, file)]);

  test('accepts an SBOM that the image build wrote (arm64)', () => {
    const result = validate('sbom-valid-arm64.cdx.json', '--arch', 'arm64');
    assert.equal(result.status, 0, result.stdout);
  });

  for (const [file, message] of [
    [
      'sbom-broken-schema.cdx.json',
      /not valid against the CycloneDX 1\.6 JSON schema:\n.*\/metadata\/component\/hashes\/0\/content must match pattern/,
    ],
    [
      'sbom-broken-purl.cdx.json',
      /libc6-dev-arm64-cross: purl version '2\.36-9' is not the component's '2\.36-8cross1'/,
    ],
    ['sbom-broken-no-llhttp.cdx.json', /llhttp: 0 components match/],
  ]) {
    test(`rejects ${file}`, () => {
      const result = validate(file);
      assert.equal(result.status, 1, result.stdout);
      assert.match(result.stdout, message);
    });
  }

  test('rejects an SBOM that describes another binary, version or architecture', () => {
    const result = validate(
      'sbom-valid-arm64.cdx.json',
      '--binary',
      '/bin/true',
      '--version',
      '0.0.1',
      '--arch',
      'amd64',
    );
    assert.equal(result.status, 1);
    assert.match(result.stdout, /SHA-256 [0-9a-f]{64} is not \/bin\/true's/);
    assert.match(result.stdout, /version '1\.0\.0' is not '0\.0\.1'/);
    assert.match(result.stdout, /architecture 'arm64' is not 'amd64'/);
  });

  test('is a usage error without an SBOM', () => {
    assert.equal(run(VALIDATE, []).status, 2);
  });
});
