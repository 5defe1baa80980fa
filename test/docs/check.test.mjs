// The documentation check, run by test/docs/check-docs with Node's test runner from the repository root.
//
// What a reader copies from the docs must work: every `make` target they name exists, every
// relative link (and #anchor) resolves in a fresh clone, the generated Terraform graph matches
// the code, and the README's configuration table is exactly what `hello-server --help` prints.
// Each check is a function that returns a list of problems; the tests at the end run each one
// on the real files and again on a broken fixture, to prove it can fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

const ROOT = resolve(process.env.DOCS_CHECK_ROOT ?? process.cwd());

// --- reading markdown --------------------------------------------------------------------------

// The documents a reader follows: the README, CONTRIBUTING.md, docs/ and the README of each part
// under deploy/.
export function documentPaths(root) {
  const paths = [];
  for (const top of ['README.md', 'CONTRIBUTING.md']) if (existsSync(join(root, top))) paths.push(top);
  const listMarkdown = (dir) =>
    existsSync(join(root, dir))
      ? readdirSync(join(root, dir))
          .filter((name) => name.endsWith('.md'))
          .sort()
          .map((name) => `${dir}/${name}`)
      : [];
  paths.push(...listMarkdown('docs'));
  if (existsSync(join(root, 'deploy'))) {
    for (const part of readdirSync(join(root, 'deploy')).sort()) {
      if (existsSync(join(root, 'deploy', part, 'README.md'))) paths.push(`deploy/${part}/README.md`);
    }
  }
  return paths;
}

export function readDocuments(root, paths = documentPaths(root)) {
  return paths.map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));
}

// Splits a document into what is code and what is prose. Fenced blocks are code; in every other
// line, backtick spans are code. Links only count in prose, `make` commands only in code, so
// neither "make sure" in a sentence nor a URL in a code sample is mistaken for one.
export function splitMarkdown(text) {
  const lines = text.split('\n');
  const prose = []; // { line, text } with code spans blanked out
  const code = []; // { line, text, lang }
  const headings = []; // { line, text } outside fenced blocks
  let fence = null;
  let previous = '';
  lines.forEach((raw, index) => {
    const line = index + 1;
    const opener = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(raw);
    if (fence) {
      const closer = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(raw);
      if (closer && closer[1][0] === fence.char && closer[1].length >= fence.length) {
        fence = null;
      } else {
        code.push({ line, text: raw, lang: fence.lang });
      }
      previous = '';
      return;
    }
    if (opener) {
      fence = { char: opener[1][0], length: opener[1].length, lang: opener[2].toLowerCase() };
      previous = '';
      return;
    }
    let rest = '';
    let at = 0;
    while (at < raw.length) {
      const tick = raw.indexOf('`', at);
      if (tick < 0) {
        rest += raw.slice(at);
        break;
      }
      rest += raw.slice(at, tick);
      let run = tick;
      while (raw[run] === '`') run += 1;
      const marker = raw.slice(tick, run);
      const close = findClosingTicks(raw, run, marker.length);
      if (close < 0) {
        rest += marker;
        at = run;
        continue;
      }
      code.push({ line, text: raw.slice(run, close), lang: 'inline' });
      rest += ' '.repeat(close + marker.length - tick);
      at = close + marker.length;
    }
    prose.push({ line, text: rest });
    const atx = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/.exec(raw);
    if (atx) {
      headings.push({ line, text: atx[2] ?? '' });
    } else if (/^ {0,3}(=+|-+)[ \t]*$/.test(raw) && isSetextText(previous)) {
      headings.push({ line: line - 1, text: previous.trim() });
    }
    previous = raw;
  });
  return { prose, code, headings };
}

function findClosingTicks(raw, from, length) {
  let at = from;
  while (at < raw.length) {
    const tick = raw.indexOf('`', at);
    if (tick < 0) return -1;
    let run = tick;
    while (raw[run] === '`') run += 1;
    if (run - tick === length) return tick;
    at = run;
  }
  return -1;
}

// A line that a following "===" or "---" turns into a heading (not a list item, table row,
// quote or another heading, and not blank).
function isSetextText(line) {
  return line.trim() !== '' && !/^ {0,3}([-*+>|#]|\d+[.)])/.test(line) && !/^ {4}/.test(line);
}

// GitHub's heading anchors: the rendered text, lower-cased, without punctuation other than
// hyphens and underscores, spaces turned into hyphens; repeats get -1, -2, ...
export function slug(heading) {
  const rendered = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`+/g, '')
    .replace(/\*+/g, '')
    .replace(/(^|[^\p{L}\p{N}])_+([^_]+?)_+(?=[^\p{L}\p{N}]|$)/gu, '$1$2');
  return rendered
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

export function anchorsOf(text) {
  const anchors = new Set();
  const seen = new Map();
  const { headings, prose } = splitMarkdown(text);
  for (const heading of headings) {
    const base = slug(heading.text);
    const count = seen.get(base) ?? 0;
    anchors.add(count === 0 ? base : `${base}-${count}`);
    seen.set(base, count + 1);
  }
  for (const { text: line } of prose) {
    for (const match of line.matchAll(/<a\s+(?:[^>]*\s)?(?:id|name)=["']([^"']+)["']/gi))
      anchors.add(match[1]);
  }
  return anchors;
}

// --- make targets ------------------------------------------------------------------------------

// Options of make that take the next word as their argument.
const MAKE_OPTIONS_WITH_ARGUMENT = new Set([
  '-C',
  '-f',
  '-I',
  '-j',
  '-l',
  '-o',
  '-W',
  '--file',
  '--directory',
]);

// Targets named by `make ...` commands in a document's code (inline spans and fenced blocks).
export function makeTargetsNamed(text) {
  const named = [];
  for (const { line, text: code, lang } of splitMarkdown(text).code) {
    if (['mermaid', 'json', 'yaml', 'yml', 'hcl'].includes(lang)) continue;
    const uncommented = code.replace(/(^|\s)#.*$/, '');
    for (const match of uncommented.matchAll(/(?:^|[\s;&|(])make((?:[ \t]+[^\s;&|)]+)*)/g)) {
      const words = match[1].trim().split(/\s+/).filter(Boolean);
      for (let i = 0; i < words.length; i += 1) {
        const word = words[i];
        if (MAKE_OPTIONS_WITH_ARGUMENT.has(word)) {
          i += 1;
          continue;
        }
        if (word.startsWith('-') || word.includes('=')) continue;
        if (!/^[A-Za-z0-9_][A-Za-z0-9_./-]*$/.test(word)) break; // a placeholder or the next command
        named.push({ line, target: word });
      }
    }
  }
  return named;
}

// Every target GNU make knows from the Makefile (its database, read without running a recipe).
export function makefileTargets(root, makefile = join(root, 'Makefile')) {
  const result = spawnSync('make', ['-pRrq', '-f', resolve(makefile), '-C', root], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw new Error(`cannot run make: ${result.error.message}`);
  const lines = result.stdout.split('\n');
  const start = lines.findIndex((l) => l.startsWith('# Files'));
  if (start < 0) throw new Error(`make printed no database for ${makefile}: ${result.stderr.trim()}`);
  const targets = new Set();
  for (let i = start + 1; i < lines.length && !lines[i].startsWith('# Finished Make data base'); i += 1) {
    const match = /^([^\s#:=][^\s:=]*):(?!=)/.exec(lines[i]);
    if (match && lines[i - 1] !== '# Not a target:') targets.add(match[1]);
  }
  return targets;
}

export function checkMakeTargets(documents, targets) {
  const problems = [];
  for (const { path, text } of documents) {
    for (const { line, target } of makeTargetsNamed(text)) {
      if (!targets.has(target))
        problems.push(`${path}:${line}: \`make ${target}\`: no such target in the Makefile`);
    }
  }
  return problems;
}

// --- links -------------------------------------------------------------------------------------

const INLINE_LINK =
  /!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g;
const REFERENCE_DEFINITION = /^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/;
const HTML_LINK = /<(?:a|img)\s[^>]*?(?:href|src)=["']([^"']+)["']/gi;

export function linksOf(text) {
  const links = [];
  for (const { line, text: prose } of splitMarkdown(text).prose) {
    const definition = REFERENCE_DEFINITION.exec(prose);
    if (definition) links.push({ line, target: definition[1] });
    for (const match of prose.matchAll(INLINE_LINK)) links.push({ line, target: match[1] });
    for (const match of prose.matchAll(HTML_LINK)) links.push({ line, target: match[1] });
  }
  return links.map(({ line, target }) => ({ line, target: target.replace(/^<(.*)>$/, '$1') }));
}

function isExternal(target) {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');
}

// Paths that git ignores do not exist in a fresh clone, even when they exist here (build/).
function ignoredByGit(root, paths) {
  if (paths.length === 0) return new Set();
  const inside = spawnSync('git', ['-C', root, 'rev-parse', '--show-toplevel'], { encoding: 'utf8' });
  if (inside.status !== 0 || resolve(inside.stdout.trim()) !== resolve(root)) return new Set();
  const result = spawnSync('git', ['-C', root, 'check-ignore', '--no-index', '--stdin'], {
    input: paths.join('\n') + '\n',
    encoding: 'utf8',
  });
  return new Set(result.stdout.split('\n').filter(Boolean));
}

export function checkLinks(root, documents) {
  const problems = [];
  const anchorCache = new Map();
  const anchorsIn = (file) => {
    if (!anchorCache.has(file)) {
      const own = documents.find((d) => join(root, d.path) === file);
      anchorCache.set(file, anchorsOf(own ? own.text : readFileSync(file, 'utf8')));
    }
    return anchorCache.get(file);
  };
  const pending = [];
  for (const { path, text } of documents) {
    for (const { line, target } of linksOf(text)) {
      if (target === '' || isExternal(target)) continue;
      const where = `${path}:${line}: ${target}`;
      const hash = target.indexOf('#');
      const pathPart = hash < 0 ? target : target.slice(0, hash);
      const anchor = hash < 0 ? null : target.slice(hash + 1);
      let decoded;
      try {
        decoded = decodeURIComponent(pathPart.split('?')[0]);
      } catch {
        problems.push(`${where}: not a valid URL path`);
        continue;
      }
      if (decoded === '') {
        if (anchor && !anchorsOf(text).has(decodeURIComponent(anchor))) {
          problems.push(`${where}: no heading with that anchor`);
        }
        continue;
      }
      const file = decoded.startsWith('/')
        ? join(root, decoded)
        : resolve(dirname(join(root, path)), decoded);
      const inRepo = relative(root, file);
      if (inRepo.startsWith('..') || isAbsolute(inRepo)) {
        problems.push(`${where}: points outside the repository`);
        continue;
      }
      if (!existsSync(file)) {
        problems.push(`${where}: no such file`);
        continue;
      }
      const isDirectory = statSync(file).isDirectory();
      if (decoded.endsWith('/') && !isDirectory) {
        problems.push(`${where}: not a directory`);
        continue;
      }
      if (inRepo !== '')
        pending.push({ where, path: inRepo.split(sep).join('/') + (isDirectory ? '/' : '') });
      if (anchor !== null && anchor !== '' && !isDirectory && file.endsWith('.md')) {
        if (!anchorsIn(file).has(decodeURIComponent(anchor)))
          problems.push(`${where}: no heading with that anchor`);
      }
    }
  }
  const ignored = ignoredByGit(
    root,
    pending.map((p) => p.path),
  );
  for (const { where, path } of pending) {
    if (ignored.has(path)) problems.push(`${where}: git ignores it, so a clone does not have it`);
  }
  return problems;
}

// --- configuration table -----------------------------------------------------------------------

// The options `hello-server --help` prints: flag, environment variable and default.
export function parseHelp(help) {
  const options = [];
  for (const line of help.split('\n')) {
    const option = /^ {2}(?:(-[A-Za-z]),\s+)?(--[a-z][a-z0-9-]*)(?:\s+([A-Z][A-Z_]*))?(?:\s{2,}\S.*)?$/.exec(
      line,
    );
    if (option) {
      options.push({ flag: option[2], env: null, default: null });
      continue;
    }
    const env = /\[env (HELLO_[A-Z0-9_]+), default ([^\]]*)\]/.exec(line);
    if (env && options.length > 0) {
      options.at(-1).env = env[1];
      options.at(-1).default = env[2].trim();
    }
  }
  return options;
}

function tableCells(row) {
  return row
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

// The first table under the README's "Configuration" heading.
export function parseConfigurationTable(readme) {
  const lines = readme.split('\n');
  const heading = lines.findIndex((l) => /^#{2,3}\s+Configuration\b/.test(l));
  if (heading < 0) return { error: 'README.md has no "## Configuration" heading' };
  let start = heading + 1;
  while (start < lines.length && !lines[start].trim().startsWith('|')) {
    if (/^#{1,3}\s/.test(lines[start])) return { error: 'no table under "## Configuration"' };
    start += 1;
  }
  if (start >= lines.length) return { error: 'no table under "## Configuration"' };
  const header = tableCells(lines[start]).map((c) => c.toLowerCase());
  const column = (word) => header.findIndex((c) => c.includes(word));
  const flagColumn = column('flag');
  const envColumn = column('environment');
  const defaultColumn = column('default');
  if (flagColumn < 0 || envColumn < 0 || defaultColumn < 0) {
    return {
      error: 'the configuration table needs the columns "flag", "environment variable" and "default"',
    };
  }
  const rows = [];
  for (let i = start + 2; i < lines.length && lines[i].trim().startsWith('|'); i += 1) {
    const cells = tableCells(lines[i]);
    const flags = [...(cells[flagColumn] ?? '').matchAll(/--[a-z][a-z0-9-]*/g)].map((m) => m[0]);
    const env = /HELLO_[A-Z0-9_]+/.exec(cells[envColumn] ?? '')?.[0] ?? null;
    const defaultCell = cells[defaultColumn] ?? '';
    const codeDefault = /`([^`]*)`/.exec(defaultCell)?.[1];
    const defaultValue = (codeDefault ?? defaultCell.split(/\s+/)[0] ?? '').trim();
    rows.push({ line: i + 1, flags, env, default: defaultValue });
  }
  return { rows };
}

export function checkConfigurationTable(readme, help) {
  const options = parseHelp(help);
  if (options.length === 0) return ['hello-server --help printed no options'];
  const table = parseConfigurationTable(readme);
  if (table.error) return [`README.md: ${table.error}`];
  const problems = [];
  const byFlag = new Map();
  for (const row of table.rows) {
    if (row.flags.length === 0) problems.push(`README.md:${row.line}: a configuration row without a --flag`);
    for (const flag of row.flags) {
      if (byFlag.has(flag)) problems.push(`README.md:${row.line}: ${flag} is listed twice`);
      byFlag.set(flag, row);
    }
  }
  for (const option of options) {
    const row = byFlag.get(option.flag);
    if (!row) {
      problems.push(
        `README.md: the configuration table lacks ${option.flag}, which hello-server --help prints`,
      );
      continue;
    }
    if (row.env !== option.env) {
      problems.push(
        `README.md:${row.line}: ${option.flag}: environment variable ${row.env ?? 'none'}, --help says ${option.env ?? 'none'}`,
      );
    }
    if (option.default !== null && row.default !== option.default) {
      problems.push(
        `README.md:${row.line}: ${option.flag}: default "${row.default}", --help says "${option.default}"`,
      );
    }
  }
  const known = new Set(options.map((o) => o.flag));
  for (const [flag, row] of byFlag) {
    if (!known.has(flag))
      problems.push(`README.md:${row.line}: ${flag} is not an option of hello-server --help`);
  }
  return problems;
}

// The built server: HELLO_SERVER_BINARY, or where the release preset puts it.
export function serverBinary(root) {
  const candidates = [process.env.HELLO_SERVER_BINARY, join(root, 'build/release/src/hello-server')].filter(
    Boolean,
  );
  return candidates.find((c) => existsSync(c)) ?? null;
}

function serverHelp(root) {
  const binary = serverBinary(root);
  if (!binary) throw new Error('hello-server is not built: run `make build` (or set HELLO_SERVER_BINARY)');
  return execFileSync(binary, ['--help'], { encoding: 'utf8' });
}

// --- Terraform graph ---------------------------------------------------------------------------

export function checkGraph(root, file = join(root, 'docs/terraform-graph.md')) {
  const result = spawnSync('node', [join(root, 'scripts/docs/terraform-graph.mjs'), '--check', file], {
    cwd: root,
    encoding: 'utf8',
  });
  if (result.status === 0) return [];
  const output = `${result.stdout}${result.stderr}`.trim();
  return [`${relative(root, file)} is not what \`make tf-graph\` writes (exit ${result.status}): ${output}`];
}

// --- the source map ------------------------------------------------------------------------------

// docs/server.md's table "The sources: one concern per file" names every file under src/ (but
// its CMakeLists.txt) and no file that is gone. `a.cpp/.hpp` names a.cpp and a.hpp.
export function sourceMapNames(serverDoc) {
  const start = serverDoc.indexOf('## The sources: one concern per file');
  if (start < 0) return null;
  const names = new Set();
  for (const line of serverDoc.slice(start).split('\n').slice(1)) {
    if (line.startsWith('#')) break;
    if (!line.startsWith('|')) continue;
    const files = line.split('|')[1] ?? '';
    for (const [, name] of files.matchAll(/`([^`]+)`/g)) {
      const [first, ...more] = name.split('/');
      names.add(first);
      const stem = first.replace(/\.[^.]+$/, '');
      for (const extension of more) names.add(`${stem}${extension}`);
    }
  }
  return names;
}

export function checkSourceMap(serverDoc, sourceFiles) {
  const names = sourceMapNames(serverDoc);
  if (!names) return ['docs/server.md: no section "The sources: one concern per file"'];
  const problems = [];
  const files = new Set(sourceFiles.filter((f) => f !== 'CMakeLists.txt'));
  for (const file of [...files].sort()) {
    if (!names.has(file)) problems.push(`docs/server.md: the source map does not name src/${file}`);
  }
  for (const name of [...names].sort()) {
    if (!files.has(name))
      problems.push(`docs/server.md: the source map names src/${name}, which does not exist`);
  }
  return problems;
}

const sourceFiles = (root) =>
  readdirSync(join(root, 'src')).filter((f) => statSync(join(root, 'src', f)).isFile());

// --- the checks --------------------------------------------------------------------------------

function withTempDir(body) {
  const dir = mkdtempSync(join(tmpdir(), 'docs-check-'));
  try {
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(problems) {
  return problems.length === 0 ? '' : `\n  ${problems.join('\n  ')}`;
}

function assertNoProblems(problems) {
  if (problems.length > 0) assert.fail(`${problems.length} problem(s):${report(problems)}`);
}

const documents = readDocuments(ROOT);
const readme = documents.find((d) => d.path === 'README.md');
const withReadme = (extra) => [{ path: 'README.md', text: `${readme?.text ?? ''}\n${extra}\n` }];

test('README.md exists', () => {
  assert.ok(readme, 'README.md is missing');
});

test('every `make` target named in the docs exists in the Makefile', () => {
  const targets = makefileTargets(ROOT);
  const problems = checkMakeTargets(documents, targets);
  assertNoProblems(problems);
  const named = documents.flatMap((d) => makeTargetsNamed(d.text));
  assert.ok(named.length > 0, 'no `make` command found in the docs: the parser is broken');
});

test('every relative link in the docs resolves in a clone, anchors included', () => {
  const problems = checkLinks(ROOT, documents);
  assertNoProblems(problems);
});

test('docs/terraform-graph.md is what `make tf-graph` writes', () => {
  const problems = checkGraph(ROOT);
  assertNoProblems(problems);
});

test("the README's configuration table lists exactly the options of hello-server --help", () => {
  const problems = checkConfigurationTable(readme.text, serverHelp(ROOT));
  assertNoProblems(problems);
});

// --- each check on a broken fixture ------------------------------------------------------------

test('fixture: an unknown make target is reported', () => {
  const problems = checkMakeTargets(withReadme('Run `make no-such-target ENV=dev`.'), makefileTargets(ROOT));
  assert.ok(
    problems.some((p) => /`make no-such-target`: no such target/.test(p)),
    `not reported:${report(problems)}`,
  );
  assert.ok(!problems.some((p) => /ENV=dev/.test(p)), `a variable taken for a target:${report(problems)}`);
});

test('fixture: a target removed from a copy of the Makefile is reported where the README names it', () => {
  withTempDir((dir) => {
    const makefile = readFileSync(join(ROOT, 'Makefile'), 'utf8');
    assert.match(makefile, /^up:/m, 'the Makefile has no `up:` rule to remove');
    // Renamed the way a person would: the rule and its .PHONY line.
    const renamed = makefile.replace(/^up:/m, 'up-renamed:').replace(/^\.PHONY: up$/m, '.PHONY: up-renamed');
    writeFileSync(join(dir, 'Makefile'), renamed);
    const targets = makefileTargets(ROOT, join(dir, 'Makefile'));
    assert.ok(!targets.has('up') && targets.has('up-renamed') && targets.has('test'));
    const problems = checkMakeTargets(withReadme('```sh\nmake up\n```'), targets);
    assert.ok(
      problems.some((p) => /`make up`/.test(p)),
      `make up not reported:${report(problems)}`,
    );
  });
});

test('fixture: make commands are read from code only, with variables, options and chains', () => {
  const text = [
    'To make sure it works, make test.', // prose: not a command
    '`make deploy ENV=dev` and `make -C . image` then `cmake --build --preset release`',
    '```sh',
    'make up && curl 127.0.0.1:8080/   # make nothing here',
    'sudo make down; make -j2 run PORT=9000',
    '```',
    '```mermaid',
    'A[make believe]',
    '```',
  ].join('\n');
  assert.deepEqual(
    makeTargetsNamed(text).map((t) => `${t.line}:${t.target}`),
    ['2:deploy', '2:image', '4:up', '5:down', '5:run'],
  );
});

test('fixture: a dead link, a link out of the repository and a link into build output are reported', () => {
  const problems = checkLinks(
    ROOT,
    withReadme(
      [
        '[gone](docs/no-such-page.md)',
        '[outside](../outside.md)',
        '[built](build/)',
        '[ok](docs/costs.md) and `[not a link](docs/nope.md)` in code',
      ].join('\n'),
    ),
  );
  const ignoredChecked = spawnSync('git', ['-C', ROOT, 'rev-parse'], { encoding: 'utf8' }).status === 0;
  assert.ok(
    problems.some((p) => /no-such-page\.md: no such file/.test(p)),
    report(problems),
  );
  assert.ok(
    problems.some((p) => /outside\.md: points outside the repository/.test(p)),
    report(problems),
  );
  if (ignoredChecked && existsSync(join(ROOT, 'build'))) {
    assert.ok(
      problems.some((p) => /build\/: git ignores it/.test(p)),
      report(problems),
    );
  }
  assert.ok(!problems.some((p) => /nope\.md|costs\.md/.test(p)), report(problems));
});

test('fixture: a dead anchor, in the same file and in another one, is reported', () => {
  const problems = checkLinks(
    ROOT,
    withReadme(
      [
        '[here](#no-such-heading)',
        '[there](docs/costs.md#no-such-heading)',
        '[fine](docs/costs.md#costs)',
      ].join('\n'),
    ),
  );
  assert.ok(
    problems.some((p) => /: #no-such-heading: no heading with that anchor/.test(p)),
    report(problems),
  );
  assert.ok(
    problems.some((p) => /: docs\/costs\.md#no-such-heading: no heading with that anchor/.test(p)),
    report(problems),
  );
  assert.ok(!problems.some((p) => /costs\.md#costs/.test(p)), report(problems));
});

test("fixture: heading anchors follow GitHub's rules", () => {
  const text = [
    '# Deploy to AWS',
    '## Deploy to AWS',
    '## `make test`: what it runs',
    '## Kustomize vs. Helm (and why)',
    '## snake_case _emphasis_ **bold**',
    '```sh',
    '# not a heading',
    '```',
    'Setext heading',
    '--------------',
    '<a id="custom-anchor"></a>',
  ].join('\n');
  assert.deepEqual([...anchorsOf(text)].sort(), [
    'custom-anchor',
    'deploy-to-aws',
    'deploy-to-aws-1',
    'kustomize-vs-helm-and-why',
    'make-test-what-it-runs',
    'setext-heading',
    'snake_case-emphasis-bold',
  ]);
});

test('docs/server.md maps every file under src/ to its concern', () => {
  assertNoProblems(checkSourceMap(readFileSync(join(ROOT, 'docs/server.md'), 'utf8'), sourceFiles(ROOT)));
});

test('fixture: a source file missing from the map, and a mapped file that is gone, are reported', () => {
  const doc = readFileSync(join(ROOT, 'docs/server.md'), 'utf8');
  const files = sourceFiles(ROOT);
  assert.deepEqual(checkSourceMap(doc, [...files, 'new_concern.cpp']), [
    'docs/server.md: the source map does not name src/new_concern.cpp',
  ]);
  assert.deepEqual(
    checkSourceMap(
      doc,
      files.filter((f) => f !== 'worker_close.cpp' && f !== 'text.hpp'),
    ),
    [
      'docs/server.md: the source map names src/text.hpp, which does not exist',
      'docs/server.md: the source map names src/worker_close.cpp, which does not exist',
    ],
  );
});

test('fixture: a stale copy of the Terraform graph is reported', () => {
  withTempDir((dir) => {
    const graph = readFileSync(join(ROOT, 'docs/terraform-graph.md'), 'utf8');
    const edge = graph.split('\n').findIndex((l) => l.includes('-->'));
    assert.ok(edge >= 0, 'the graph has no edge to remove');
    const lines = graph.split('\n');
    lines.splice(edge, 1);
    writeFileSync(join(dir, 'terraform-graph.md'), lines.join('\n'));
    const problems = checkGraph(ROOT, join(dir, 'terraform-graph.md'));
    assert.equal(problems.length, 1, 'terraform-graph.mjs --check accepted a graph with an edge removed');
  });
});

test('fixture: a configuration table that drifts from --help is reported', () => {
  const help = serverHelp(ROOT);
  const lines = readme.text.split('\n');
  const rowOf = (flag) => lines.findIndex((l) => l.startsWith('|') && l.includes(`\`${flag}`));
  const port = rowOf('--port');
  const logFormat = rowOf('--log-format');
  assert.ok(port >= 0 && logFormat >= 0, 'the configuration table has no --port or --log-format row');

  const missing = lines.filter((_, i) => i !== port).join('\n');
  assert.ok(
    checkConfigurationTable(missing, help).some((p) => /lacks --port/.test(p)),
    'a missing row was not reported',
  );

  const wrongDefault = lines.map((l, i) => (i === logFormat ? l.replace('`json`', '`text`') : l)).join('\n');
  assert.ok(
    checkConfigurationTable(wrongDefault, help).some((p) => /--log-format: default "text"/.test(p)),
    'a wrong default was not reported',
  );

  const wrongEnv = lines.map((l, i) => (i === port ? l.replace('HELLO_PORT', 'HELLO_PORTS') : l)).join('\n');
  assert.ok(
    checkConfigurationTable(wrongEnv, help).some((p) => /--port: environment variable HELLO_PORTS/.test(p)),
    'a wrong environment variable was not reported',
  );

  const extra = [
    ...lines.slice(0, port),
    '| `--turbo` | `HELLO_TURBO` | `1` | faster |',
    ...lines.slice(port),
  ].join('\n');
  assert.ok(
    checkConfigurationTable(extra, help).some((p) => /--turbo is not an option/.test(p)),
    'an extra row was not reported',
  );

  const newOption = `${help}\n  --turbo N                   go faster\n                              [env HELLO_TURBO, default 1]\n`;
  assert.ok(
    checkConfigurationTable(readme.text, newOption).some((p) => /lacks --turbo/.test(p)),
    'an option added to --help was not reported',
  );
});

test('fixture: --help is parsed into every option with its variable and default', () => {
  const options = parseHelp(serverHelp(ROOT));
  const port = options.find((o) => o.flag === '--port');
  assert.deepEqual(port, { flag: '--port', env: 'HELLO_PORT', default: '8080' });
  assert.ok(options.some((o) => o.flag === '--help' && o.env === null));
  assert.ok(options.length >= 10, `only ${options.length} options parsed`);
});
