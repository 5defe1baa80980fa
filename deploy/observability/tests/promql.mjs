// Functions for checking the dashboard and the rules without a Prometheus server:
// which metric names a PromQL expression reads, Grafana's template variables,
// the allowlists, and a promtool-based parse check.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

export const OBSERVABILITY_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const RULE_FILES = ['recording.yml', 'alerts.yml'].map((f) => join(OBSERVABILITY_DIR, 'rules', f));
export const DASHBOARD_FILE = join(OBSERVABILITY_DIR, 'dashboards', 'hello.json');

// Words PromQL reserves outside function-call position; none is a metric name.
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'inf',
  'nan',
  'atan2',
]);
// Modifiers whose parenthesised argument is a list of label names.
const LABEL_LIST_MODIFIERS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

function skipQuoted(text, start) {
  const quote = text[start];
  let i = start + 1;
  while (i < text.length && text[i] !== quote) {
    i += text[i] === '\\' && quote !== '`' ? 2 : 1;
  }
  if (i >= text.length) throw new Error(`unterminated string at ${start}`);
  return i + 1;
}

function skipBalanced(text, start, open, close) {
  let depth = 0;
  let i = start;
  while (i < text.length) {
    const c = text[i];
    if (c === '"' || c === "'" || c === '`') {
      i = skipQuoted(text, i);
      continue;
    }
    if (c === open) depth += 1;
    if (c === close) {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
    i += 1;
  }
  throw new Error(`unbalanced '${open}' at ${start}`);
}

// Metric names an exact `__name__="..."` matcher selects, inside one {...} block.
function namesFromMatchers(block) {
  const names = [];
  const re = /__name__\s*(=~|!=|!~|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')/g;
  for (const m of block.matchAll(re)) {
    if (m[1] !== '=') throw new Error(`__name__${m[1]} cannot be checked against an allowlist`);
    names.push(m[2].slice(1, -1));
  }
  return names;
}

function nextNonSpace(text, i) {
  let j = i;
  while (j < text.length && /\s/.test(text[j])) j += 1;
  return j;
}

/**
 * The metric names an expression reads. Strings, label matchers, ranges,
 * label lists after by/without/on/ignoring/group_*, functions and keywords are
 * not metric names; everything else that looks like an identifier is.
 */
export function metricNames(expr) {
  const names = new Set();
  let i = 0;
  while (i < expr.length) {
    const c = expr[i];
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === '#') {
      while (i < expr.length && expr[i] !== '\n') i += 1;
    } else if (c === '"' || c === "'" || c === '`') {
      i = skipQuoted(expr, i);
    } else if (c === '{') {
      const end = skipBalanced(expr, i, '{', '}');
      for (const n of namesFromMatchers(expr.slice(i, end))) names.add(n);
      i = end;
    } else if (c === '[') {
      i = skipBalanced(expr, i, '[', ']');
    } else if (/[0-9.]/.test(c)) {
      // Numbers, durations (5m, 1h30m) and hex literals.
      while (i < expr.length && /[0-9a-zA-Z_.]/.test(expr[i])) i += 1;
    } else if (/[a-zA-Z_:]/.test(c)) {
      let j = i;
      while (j < expr.length && /[a-zA-Z0-9_:]/.test(expr[j])) j += 1;
      const word = expr.slice(i, j);
      const next = nextNonSpace(expr, j);
      const lower = word.toLowerCase();
      if (LABEL_LIST_MODIFIERS.has(lower) && expr[next] === '(') {
        i = skipBalanced(expr, next, '(', ')');
        continue;
      }
      // An aggregation may put its grouping first: `sum by (job) (...)`.
      const grouping = /^(by|without)\b/i.test(expr.slice(next));
      if (!KEYWORDS.has(lower) && expr[next] !== '(' && !grouping) names.add(word);
      i = j;
    } else {
      i += 1;
    }
  }
  return names;
}

/**
 * Replaces Grafana's template variables so the result is plain PromQL:
 * interval variables become a duration, any other variable a placeholder
 * (they appear inside label matcher strings).
 */
export function expandGrafanaVariables(expr) {
  const intervals = /\$\{?__(rate_interval|interval|range)\}?/g;
  const variables = /\$\{[a-zA-Z0-9_]+(:[a-zA-Z0-9_]+)?\}|\$[a-zA-Z_][a-zA-Z0-9_]*|\[\[[a-zA-Z0-9_]+\]\]/g;
  return expr.replace(intervals, '5m').replace(variables, 'x');
}

/** Every PromQL expression of a dashboard, with where it was found. */
export function dashboardExpressions(dashboard) {
  const found = [];
  const visit = (panel, path) => {
    for (const target of panel.targets ?? []) {
      if (typeof target.expr === 'string') {
        found.push({ where: `${path} "${panel.title}" ${target.refId}`, expr: target.expr });
      }
    }
    for (const inner of panel.panels ?? []) visit(inner, `${path} > row`);
  };
  (dashboard.panels ?? []).forEach((panel) => visit(panel, `panel ${panel.id}`));
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    const m = /^\s*label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$/s.exec(query ?? '');
    if (m) found.push({ where: `variable ${variable.name}`, expr: m[1] });
    else if (!/^\s*label_values\(\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$/.test(query ?? '')) {
      found.push({ where: `variable ${variable.name}`, expr: query ?? '' });
    }
  }
  return found;
}

/** Names listed in a metrics/*.txt allowlist (one a line, # comments). */
export function readAllowlist(name) {
  return readFileSync(join(OBSERVABILITY_DIR, 'metrics', name), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}

export function loadRuleGroups(files = RULE_FILES) {
  return files.flatMap((file) => parseYaml(readFileSync(file, 'utf8')).groups);
}

export function recordedNames(groups = loadRuleGroups()) {
  return groups
    .flatMap((g) => g.rules)
    .filter((r) => r.record)
    .map((r) => r.record);
}

/** Names the dashboard may read: the server's, HAProxy's, and recorded ones. */
export function dashboardAllowedNames(groups = loadRuleGroups()) {
  return new Set([
    ...readAllowlist('hello-server.txt'),
    ...readAllowlist('haproxy.txt'),
    ...recordedNames(groups),
  ]);
}

/** Problems with the metric names a list of {where, expr} reads. */
export function unknownMetricProblems(expressions, allowed) {
  const problems = [];
  for (const { where, expr } of expressions) {
    let names;
    try {
      names = metricNames(expandGrafanaVariables(expr));
    } catch (error) {
      problems.push(`${where}: ${error.message}`);
      continue;
    }
    for (const name of names) {
      if (!allowed.has(name)) problems.push(`${where}: unknown metric ${name}`);
    }
  }
  return problems;
}

/**
 * Parses every expression with promtool (as recording rules in a temporary
 * file, one group per expression so an error names the culprit).
 */
export function promqlParseProblems(expressions) {
  const dir = mkdtempSync(join(tmpdir(), 'promql-'));
  try {
    const file = join(dir, 'expressions.yml');
    const groups = expressions.map(({ expr }, n) => ({
      name: `expression-${n}`,
      rules: [{ record: `check:expression:${n}`, expr: expandGrafanaVariables(expr) }],
    }));
    writeFileSync(file, stringifyYaml({ groups }));
    const run = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    if (run.status === 0) return [];
    const output = `${run.stdout}${run.stderr}`;
    const culprits = [...output.matchAll(/group "expression-(\d+)"/g)].map((m) => Number(m[1]));
    if (culprits.length === 0) return [`promtool check rules failed: ${output.trim()}`];
    return [...new Set(culprits)].map(
      (n) => `${expressions[n].where}: does not parse: ${expressions[n].expr}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
