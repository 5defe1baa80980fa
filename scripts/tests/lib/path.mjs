// PATH directories for tests that take a command away or put a stand-in first, so a suite can be
// run the way it runs on a machine without that command. Everything lives under one scratch
// directory, removed when the test process exits.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'hello-path-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

/** A PATH with every command of the current one except `names` (first occurrence wins, as in a shell). */
export function pathWithout(...names) {
  const dir = path.join(scratch, `without-${names.join('-')}`);
  if (existsSync(dir)) return dir;
  mkdirSync(dir);
  const seen = new Set(names);
  for (const from of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    let entries = [];
    try {
      entries = readdirSync(from);
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (seen.has(entry)) continue;
      seen.add(entry);
      symlinkSync(path.join(from, entry), path.join(dir, entry));
    }
  }
  return dir;
}

/** A directory holding one executable shell script `name` with `body`, to put first on PATH. */
export function standIn(name, body) {
  const dir = mkdtempSync(path.join(scratch, `${name}-`));
  writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return dir;
}
