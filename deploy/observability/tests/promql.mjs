// Functions for checking the dashboards and the rules without a Prometheus server:
// where each runs (ENVIRONMENTS), which metric names and label matchers a PromQL
// expression reads, Grafana's template variables, the allowlists, and a
// promtool-based parse check.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

export const OBSERVABILITY_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const rulesFile = (f) => join(OBSERVABILITY_DIR, 'rules', f);
const dashboardFile = (f) => join(OBSERVABILITY_DIR, 'dashboards', f);

/**
 * Where each rule file and dashboard runs, and the exporters there (metrics/*.txt).
 *   local       the local stack (deploy/local): the replicas and HAProxy, the ALB's
 *               stand-in. Its Prometheus loads every rules/*.yml.
 *   kubernetes  a cluster with the Prometheus Operator (EKS): the replicas, and
 *               kube-state-metrics and the kubelet's cAdvisor as kube-prometheus
 *               installs them. Its rules are the PrometheusRule generated from
 *               the rule files listed here (deploy/k8s/components/monitoring).
 * A rule file or dashboard may read only the metrics of every environment it is in.
 */
export const ENVIRONMENTS = {
  local: {
    metrics: ['hello-server.txt', 'haproxy.txt'],
    rules: ['recording.yml', 'alerts.yml', 'local.yml'].map(rulesFile),
    dashboards: ['hello.json', 'hello-local.json'].map(dashboardFile),
  },
  kubernetes: {
    metrics: ['hello-server.txt', 'kube-state-metrics.txt', 'cadvisor.txt'],
    rules: ['recording.yml', 'alerts.yml'].map(rulesFile),
    dashboards: ['hello.json', 'hello-kubernetes.json'].map(dashboardFile),
  },
};
// The rules of every environment, and the ones the cluster gets (generated).
export const RULE_FILES = [...new Set(Object.values(ENVIRONMENTS).flatMap((e) => e.rules))];
export const CLUSTER_RULE_FILES = ENVIRONMENTS.kubernetes.rules;
export const DASHBOARD_FILES = [...new Set(Object.values(ENVIRONMENTS).flatMap((e) => e.dashboards))];
export const DASHBOARD_FILE = dashboardFile('hello.json');

/** The environments a rule file or dashboard runs in. */
export function environmentsOf(file) {
  return Object.entries(ENVIRONMENTS)
    .filter(([, e]) => e.rules.includes(file) || e.dashboards.includes(file))
    .map(([name]) => name);
}

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

/** The matchers of one {...} block: [{label, op, value}]. */
export function parseMatchers(block) {
  const matchers = [];
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!=|!~|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)/g;
  for (const m of block.matchAll(re)) matchers.push({ label: m[1], op: m[2], value: m[3].slice(1, -1) });
  return matchers;
}

// Metric names an exact `__name__="..."` matcher selects, inside one {...} block.
function namesFromMatchers(matchers) {
  const names = [];
  for (const m of matchers.filter((x) => x.label === '__name__')) {
    if (m.op !== '=') throw new Error(`__name__${m.op} cannot be checked against an allowlist`);
    names.push(m.value);
  }
  return names;
}

function nextNonSpace(text, i) {
  let j = i;
  while (j < text.length && /\s/.test(text[j])) j += 1;
  return j;
}

/**
 * The vector selectors an expression reads, as [{name, matchers}]. Strings,
 * ranges, label lists after by/without/on/ignoring/group_*, functions and
 * keywords are not selectors; an identifier anywhere else is a metric name,
 * with the {...} block that follows it, if any.
 */
export function vectorSelectors(expr) {
  const selectors = [];
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
      const matchers = parseMatchers(expr.slice(i, end));
      for (const name of namesFromMatchers(matchers)) selectors.push({ name, matchers });
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
      if (!KEYWORDS.has(lower) && expr[next] !== '(' && !grouping) {
        if (expr[next] === '{') {
          const end = skipBalanced(expr, next, '{', '}');
          const matchers = parseMatchers(expr.slice(next, end));
          namesFromMatchers(matchers);
          selectors.push({ name: word, matchers });
          i = end;
          continue;
        }
        selectors.push({ name: word, matchers: [] });
      }
      i = j;
    } else {
      i += 1;
    }
  }
  return selectors;
}

/** The metric names an expression reads. */
export function metricNames(expr) {
  return new Set(vectorSelectors(expr).map((s) => s.name));
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

// A metrics/*.txt line: a name, optionally with its labels: name{label,label}.
function allowlistEntries(name) {
  return readFileSync(join(OBSERVABILITY_DIR, 'metrics', name), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([a-zA-Z0-9_,]*)\})?$/.exec(line);
      if (!m) throw new Error(`metrics/${name}: cannot read line "${line}"`);
      return { name: m[1], labels: m[2] === undefined ? undefined : m[2].split(',').filter(Boolean) };
    });
}

/** Names listed in a metrics/*.txt allowlist (one a line, # comments). */
export function readAllowlist(name) {
  return allowlistEntries(name).map((e) => e.name);
}

/** The labels an allowlist gives for its metrics: Map name -> [labels], for those that list them. */
export function readAllowlistLabels(name) {
  return new Map(
    allowlistEntries(name)
      .filter((e) => e.labels)
      .map((e) => [e.name, e.labels]),
  );
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

/**
 * Names a rule file or dashboard in the given environments may read: the
 * metrics every one of them has, the series their rules record, and `up`.
 */
export function allowedNames(environments) {
  const per = environments.map(
    (env) =>
      new Set([
        ...ENVIRONMENTS[env].metrics.flatMap(readAllowlist),
        ...recordedNames(loadRuleGroups(ENVIRONMENTS[env].rules)),
        'up',
      ]),
  );
  return new Set([...per[0]].filter((n) => per.every((set) => set.has(n))));
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
