// The project's JavaScript is in Prettier's format (the version pinned in package.json, the options in
// .prettierrc.json): `make format` rewrites it, this suite (lint.js-format in `make test`) checks it.
// The check runs the pinned Prettier itself, on every tracked .mjs/.js file, and shows once on a
// deliberately unformatted fixture that it can fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PRETTIER = path.join(ROOT, 'node_modules/prettier/bin/prettier.cjs');
const FIXTURE = 'scripts/tests/fixtures/unformatted.mjs';

function prettier(args) {
  const r = spawnSync(process.execPath, [PRETTIER, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.error) throw r.error;
  return r;
}

function trackedJavaScript() {
  const r = spawnSync('git', ['ls-files', '-z', '--', '*.mjs', '*.js'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) return null;
  return r.stdout.split('\0').filter((f) => f && !f.startsWith('scripts/tests/fixtures/'));
}

test('the pinned Prettier is the one installed', () => {
  const pinned = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).devDependencies.prettier;
  assert.match(pinned, /^\d+\.\d+\.\d+$/, 'package.json pins an exact Prettier version');
  assert.equal(prettier(['--version']).stdout.trim(), pinned);
});

test('every JavaScript file of the project is formatted (make format fixes it)', (t) => {
  // A source tarball without .git: Prettier walks the tree itself, under .prettierignore.
  const files = trackedJavaScript() ?? ['.'];
  if (files.length > 1)
    assert.ok(files.length > 20, `expected the project's JavaScript, got ${files.length} files`);
  const r = prettier(['--check', ...files]);
  assert.equal(r.status, 0, `not in Prettier's format (run make format):\n${r.stdout}${r.stderr}`);
});

test('the check fails on an unformatted file, and names it', () => {
  const r = prettier(['--check', '--ignore-path', '', FIXTURE]);
  assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
  assert.match(r.stderr + r.stdout, /unformatted\.mjs/);
});
