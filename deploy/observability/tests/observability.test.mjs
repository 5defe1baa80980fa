// Checks of deploy/observability: the rules (promtool check and unit tests,
// mutations proving each alert's unit tests can fail, scope, runbooks, the
// metrics each environment has), the Grafana dashboards, the PrometheusRule
// generated for Kubernetes, the metric allowlists against the real exporters,
// and the local Prometheus configuration that loads the same rules.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import {
  CLUSTER_RULE_FILES,
  DASHBOARD_FILE,
  DASHBOARD_FILES,
  ENVIRONMENTS,
  OBSERVABILITY_DIR,
  RULE_FILES,
  allowedNames,
  dashboardExpressions,
  environmentsOf,
  expandGrafanaVariables,
  loadRuleGroups,
  metricNames,
  promqlParseProblems,
  readAllowlist,
  readAllowlistLabels,
  unknownMetricProblems,
  vectorSelectors,
} from './promql.mjs';
import { PROMETHEUS_RULE_FILE, driftProblems, renderPrometheusRule } from '../generate-prometheusrule.mjs';

const REPO_ROOT = resolve(OBSERVABILITY_DIR, '..', '..');
const UNIT_TEST_FILES = ['rules.test.yml', 'rules-6h.test.yml', 'rules-3d.test.yml', 'local.test.yml'].map(
  (f) => join(OBSERVABILITY_DIR, 'tests', f),
);
const GENERATOR = join(OBSERVABILITY_DIR, 'generate-prometheusrule.mjs');
const OPERATIONS_DOC = join(REPO_ROOT, 'docs', 'operations.md');
const LOCAL_DIR = join(REPO_ROOT, 'deploy', 'local');
const PROMETHEUS_CONFIG = join(LOCAL_DIR, 'prometheus', 'prometheus.yml');
const COMPOSE_FILE = join(LOCAL_DIR, 'compose.yaml');
// The service's scrape identity (design.md: namespace opendelta; the job is the
// name of the service, set by the ServiceMonitor's jobLabel and the local
// scrape configuration alike) and its metrics port.
const APP_JOB = 'hello';
const APP_NAMESPACE = 'opendelta';
const METRICS_PORT = 9102;
const ROUTES = ['/', '/healthz', '/readyz', '/metrics', '/version', 'other'];

function promtool(...args) {
  const run = spawnSync('promtool', args, { encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

function tempDir(t) {
  const dir = mkdtempSync(join(tmpdir(), 'observability-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const readDashboard = () => readJson(DASHBOARD_FILE);
const allRules = (groups) => groups.flatMap((g) => g.rules);
const ruleExpressions = (groups) =>
  allRules(groups).map((r) => ({ where: r.record ?? r.alert, expr: r.expr }));

// ---------------------------------------------------------------------------
// Policy: what every rule must carry. Each returns a list of problems.

const SEVERITIES = new Set(['critical', 'warning']);
const RUNBOOK = /^docs\/operations\.md#([a-z0-9_-]+)$/;

export function ruleProblems(groups) {
  const problems = [];
  for (const rule of allRules(groups)) {
    if (rule.record) {
      // level:metric:operations
      if (!/^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$/.test(rule.record)) {
        problems.push(`recording rule ${rule.record}: name is not level:metric:operations`);
      }
      continue;
    }
    const name = rule.alert;
    if (!/^Hello[A-Z][A-Za-z0-9]+$/.test(name ?? ''))
      problems.push(`alert ${name}: name must be HelloCamelCase`);
    if (!SEVERITIES.has(rule.labels?.severity))
      problems.push(`alert ${name}: severity must be critical or warning`);
    for (const key of ['summary', 'description', 'runbook_url']) {
      if (!rule.annotations?.[key]) problems.push(`alert ${name}: annotation ${key} missing`);
    }
    if (rule.annotations?.runbook_url && !RUNBOOK.test(rule.annotations.runbook_url)) {
      problems.push(
        `alert ${name}: runbook_url ${rule.annotations.runbook_url} is not docs/operations.md#<section>`,
      );
    }
  }
  return problems;
}

/**
 * Every selector of every rule names the job (and, for the rules a shared
 * cluster Prometheus runs, the namespace) with an exact matcher, so the rules
 * never read another service's series.
 */
export function scopeProblems(groups, { namespace }) {
  const problems = [];
  for (const { where, expr } of ruleExpressions(groups)) {
    for (const { name, matchers } of vectorSelectors(expr)) {
      const exact = (label) => matchers.find((m) => m.label === label && m.op === '=');
      if (!exact('job')) problems.push(`${where}: ${name} is not scoped to a job (job="...")`);
      if (namespace && exact('namespace')?.value !== namespace) {
        problems.push(`${where}: ${name} is not scoped to namespace="${namespace}"`);
      }
    }
  }
  return problems;
}

// Labels Prometheus or the scrape configuration adds to a target's series.
const TARGET_LABELS = new Set([
  'job',
  'instance',
  'namespace',
  'pod',
  'container',
  'service',
  'endpoint',
  'zone',
  '__name__',
]);

/** Label matchers on a listed metric use labels it has (metrics/*.txt) or a target label. */
export function labelProblems(expressions, labelsByMetric) {
  const problems = [];
  for (const { where, expr } of expressions) {
    for (const { name, matchers } of vectorSelectors(expandGrafanaVariables(expr))) {
      const labels = labelsByMetric.get(name);
      if (!labels) continue;
      for (const m of matchers) {
        if (!TARGET_LABELS.has(m.label) && !labels.includes(m.label))
          problems.push(`${where}: ${name} has no label ${m.label}`);
      }
    }
  }
  return problems;
}

function allowlistLabels() {
  return new Map(
    readdirSync(join(OBSERVABILITY_DIR, 'metrics'))
      .filter((f) => f.endsWith('.txt'))
      .flatMap((f) => [...readAllowlistLabels(f)]),
  );
}

// GitHub's heading anchors: the text lower-cased, punctuation other than - and
// _ dropped, spaces as hyphens, -1, -2 ... for repeats; headings in code blocks
// do not count.
export function headingAnchors(markdown) {
  const anchors = new Set();
  const seen = new Map();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const m = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = m[1]
      .replace(/`/g, '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Every runbook_url names a heading of docs/operations.md. */
export function runbookProblems(groups, markdown) {
  const anchors = headingAnchors(markdown);
  return allRules(groups)
    .filter((r) => r.alert)
    .flatMap((r) => {
      const m = RUNBOOK.exec(r.annotations?.runbook_url ?? '');
      if (!m) return [`alert ${r.alert}: no runbook_url of the form docs/operations.md#<section>`];
      return anchors.has(m[1]) ? [] : [`alert ${r.alert}: docs/operations.md has no heading #${m[1]}`];
    });
}

/** The unit tests of a promtool test file, summed up. */
function unitTestFigures(files) {
  const figures = {
    groups: 0,
    alertChecks: 0,
    quietChecks: 0,
    exprChecks: 0,
    fires: new Set(),
    quiet: new Set(),
    ruleFiles: new Set(),
  };
  for (const file of files) {
    const unit = parseYaml(readFileSync(file, 'utf8'));
    for (const r of unit.rule_files) figures.ruleFiles.add(resolve(dirname(file), r));
    for (const group of unit.tests) {
      figures.groups += 1;
      figures.exprChecks += (group.promql_expr_test ?? []).length;
      for (const check of group.alert_rule_test ?? []) {
        figures.alertChecks += 1;
        if ((check.exp_alerts ?? []).length === 0) {
          figures.quietChecks += 1;
          figures.quiet.add(check.alertname);
        } else {
          figures.fires.add(check.alertname);
        }
      }
    }
  }
  return figures;
}

const UNIT = unitTestFigures(UNIT_TEST_FILES);

describe('rules', () => {
  test('promtool check rules accepts every rule file', () => {
    const { status, output } = promtool('check', 'rules', ...RULE_FILES);
    assert.equal(status, 0, output);
    assert.equal(output.match(/SUCCESS: \d+ rules found/g)?.length, RULE_FILES.length, output);
  });

  test(`promtool test rules passes all ${UNIT.groups} test cases (${UNIT.alertChecks} alert checks, ${UNIT.quietChecks} of them must not fire; ${UNIT.exprChecks} expression checks)`, () => {
    const { status, output } = promtool('test', 'rules', ...UNIT_TEST_FILES);
    assert.equal(status, 0, output);
    assert.equal(output.match(/SUCCESS/g)?.length, UNIT_TEST_FILES.length, output);
  });

  test('the unit tests load every rule file, and show every alert both firing and staying quiet', () => {
    assert.deepEqual(
      RULE_FILES.filter((f) => !UNIT.ruleFiles.has(f)),
      [],
    );
    const alerts = allRules(loadRuleGroups())
      .filter((r) => r.alert)
      .map((r) => r.alert);
    assert.deepEqual(
      alerts.filter((a) => !UNIT.fires.has(a)).map((a) => `${a} never fires`),
      [],
    );
    assert.deepEqual(
      alerts.filter((a) => !UNIT.quiet.has(a)).map((a) => `${a} is never asked to stay quiet`),
      [],
    );
  });

  test('every alert has a severity, a summary, a description and a runbook_url; recorded names follow level:metric:operations', () => {
    assert.deepEqual(ruleProblems(loadRuleGroups()), []);
  });

  test('every runbook_url names a heading of docs/operations.md', () => {
    assert.deepEqual(runbookProblems(loadRuleGroups(), readFileSync(OPERATIONS_DOC, 'utf8')), []);
  });

  test(`every selector is scoped by job, and in the rules Kubernetes runs by namespace="${APP_NAMESPACE}" too`, () => {
    assert.deepEqual(scopeProblems(loadRuleGroups(CLUSTER_RULE_FILES), { namespace: APP_NAMESPACE }), []);
    assert.deepEqual(
      scopeProblems(loadRuleGroups(RULE_FILES.filter((f) => !CLUSTER_RULE_FILES.includes(f))), {}),
      [],
    );
  });

  test('label matchers use labels the exporters have (route on the request metrics)', () => {
    assert.deepEqual(labelProblems(ruleExpressions(loadRuleGroups()), allowlistLabels()), []);
  });

  for (const file of RULE_FILES) {
    const envs = environmentsOf(file);
    test(`rules/${basename(file)} reads only metrics that exist where it runs (${envs.join(', ')})`, () => {
      assert.deepEqual(
        unknownMetricProblems(ruleExpressions(loadRuleGroups([file])), allowedNames(envs)),
        [],
      );
    });
  }

  test('the rule checks reject broken rules (fixtures)', () => {
    const broken = [
      {
        name: 'broken',
        rules: [
          { record: 'http_requests_rate', expr: 'sum(rate(http_requests_total{job="hello"}[5m]))' },
          {
            alert: 'targetdown',
            expr: 'up == 0',
            labels: { severity: 'page' },
            annotations: { summary: 'x', runbook_url: 'https://example.com/x' },
          },
          {
            alert: 'HelloNoSuchSection',
            expr: 'up{job="hello", namespace="opendelta", route="/"} == 0',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'x',
              description: 'y',
              runbook_url: 'docs/operations.md#no-such-section',
            },
          },
        ],
      },
    ];
    assert.deepEqual(ruleProblems(broken), [
      'recording rule http_requests_rate: name is not level:metric:operations',
      'alert targetdown: name must be HelloCamelCase',
      'alert targetdown: severity must be critical or warning',
      'alert targetdown: annotation description missing',
      'alert targetdown: runbook_url https://example.com/x is not docs/operations.md#<section>',
    ]);
    assert.deepEqual(runbookProblems(broken, readFileSync(OPERATIONS_DOC, 'utf8')), [
      'alert targetdown: no runbook_url of the form docs/operations.md#<section>',
      'alert HelloNoSuchSection: docs/operations.md has no heading #no-such-section',
    ]);
    assert.deepEqual(scopeProblems(broken, { namespace: APP_NAMESPACE }), [
      `http_requests_rate: http_requests_total is not scoped to namespace="${APP_NAMESPACE}"`,
      'targetdown: up is not scoped to a job (job="...")',
      `targetdown: up is not scoped to namespace="${APP_NAMESPACE}"`,
    ]);
    assert.deepEqual(
      labelProblems(
        [{ where: 'HelloX', expr: 'process_open_fds{job="hello", route="/"} > 0' }],
        allowlistLabels(),
      ),
      ['HelloX: process_open_fds has no label route'],
    );
    // A rule reading HAProxy in a file Kubernetes runs, and a typo.
    const cluster = allowedNames(['local', 'kubernetes']);
    assert.deepEqual(
      unknownMetricProblems(
        [
          {
            where: 'HelloFlapping',
            expr: 'increase(haproxy_server_check_up_down_total{job="haproxy"}[15m]) >= 3',
          },
          { where: 'HelloTypo', expr: 'rate(http_request_total{job="hello"}[5m]) > 0' },
        ],
        cluster,
      ),
      [
        'HelloFlapping: unknown metric haproxy_server_check_up_down_total',
        'HelloTypo: unknown metric http_request_total',
      ],
    );
  });

  test('anchors follow GitHub: lower case, punctuation dropped, repeats numbered, code blocks ignored', () => {
    assert.deepEqual(
      [...headingAnchors('# A `b` (c)!\n## A b c\n```\n# not a heading\n```\n### HelloTargetDown\n')],
      ['a-b-c', 'a-b-c-1', 'hellotargetdown'],
    );
  });
});

// ---------------------------------------------------------------------------
// Mutation tests: break one alert at a time and require `promtool test rules`
// to fail on that alert, in the expected direction. A test suite that passed
// anyway would not be testing the alert.

const ruleFileOf = (alertname) =>
  RULE_FILES.find((f) => allRules(loadRuleGroups([f])).some((r) => r.alert === alertname));

// Runs every unit test that checks one alert, against rule files of which the
// alert's own is mutated.
function runUnitTestsWithAlert(t, alertname, mutate) {
  const dir = tempDir(t);
  const own = ruleFileOf(alertname);
  for (const file of RULE_FILES) {
    if (file !== own) {
      copyFileSync(file, join(dir, basename(file)));
      continue;
    }
    const doc = parseYaml(readFileSync(file, 'utf8'));
    mutate(allRules(doc.groups).find((r) => r.alert === alertname));
    writeFileSync(join(dir, basename(file)), stringifyYaml(doc));
  }
  let status = 0;
  let output = '';
  let ran = 0;
  for (const file of UNIT_TEST_FILES) {
    const unit = parseYaml(readFileSync(file, 'utf8'));
    const ruleFiles = unit.rule_files.map((r) => resolve(dirname(file), r));
    if (!ruleFiles.includes(own)) continue;
    unit.rule_files = ruleFiles.map((r) => join(dir, basename(r)));
    unit.tests = unit.tests
      .map(({ promql_expr_test: _, ...group }) => ({
        ...group,
        alert_rule_test: (group.alert_rule_test ?? []).filter((c) => c.alertname === alertname),
      }))
      .filter((group) => group.alert_rule_test.length > 0);
    if (unit.tests.length === 0) continue;
    ran += 1;
    writeFileSync(join(dir, basename(file)), stringifyYaml(unit));
    const run = promtool('test', 'rules', join(dir, basename(file)));
    if (run.status !== 0) status = run.status;
    output += run.output;
  }
  assert.ok(ran > 0, `no unit test checks ${alertname}`);
  return { status, output };
}

// The failed checks promtool reports, as {alertname, expected, got} with
// expected/got being "none" or "some" alerts.
function failedAlertChecks(output) {
  return output
    .split('alertname: ')
    .slice(1)
    .map((chunk) => ({
      alertname: chunk.slice(0, chunk.indexOf(',')),
      expected: /exp:\[\]/.test(chunk) ? 'none' : 'some',
      got: /got:\[\]/.test(chunk) ? 'none' : 'some',
    }));
}

// Every comparison against a threshold becomes ">= 0": the alert then fires
// whenever its input exists, which only a "stays quiet" test can catch.
const THRESHOLD = /(==|>=|>)\s*(\([^()]*\)|[0-9.]+)/g;
const dropThresholds = (expr) => expr.replace(THRESHOLD, '>= 0');

function expectFailure({ status, output }, alertname, expected, got, why) {
  assert.notEqual(status, 0, `promtool test rules passed with ${why}`);
  const checks = failedAlertChecks(output).filter((c) => c.alertname === alertname);
  assert.ok(
    checks.some((c) => c.expected === expected && c.got === got),
    output,
  );
}

describe('unit tests catch broken alerts (mutations)', { concurrency: 2 }, () => {
  for (const rule of allRules(loadRuleGroups()).filter((r) => r.alert)) {
    test(`${rule.alert}: a rule that never fires fails its "fires" test`, (t) => {
      const run = runUnitTestsWithAlert(t, rule.alert, (r) => {
        r.expr = 'vector(0) > 1';
      });
      expectFailure(run, rule.alert, 'some', 'none', 'a rule that never fires');
    });

    // absent() has no threshold to remove; its "stays quiet" test is about
    // targets that exist.
    if (dropThresholds(rule.expr) !== rule.expr) {
      test(`${rule.alert}: a rule without its threshold fails a "stays quiet" test`, (t) => {
        const run = runUnitTestsWithAlert(t, rule.alert, (r) => {
          r.expr = dropThresholds(r.expr);
        });
        expectFailure(run, rule.alert, 'none', 'some', 'the threshold removed');
      });
    }

    if (rule.for) {
      test(`${rule.alert}: a rule without its ${rule.for} hold fails a "not yet" test`, (t) => {
        const run = runUnitTestsWithAlert(t, rule.alert, (r) => {
          delete r.for;
        });
        expectFailure(run, rule.alert, 'none', 'some', 'the hold removed');
      });
    }
  }
});

// ---------------------------------------------------------------------------
// The PrometheusRule for Kubernetes: generated from the rule files, never edited.

const render = (files) => renderPrometheusRule(files, { parseYaml, stringifyYaml });

describe('PrometheusRule (deploy/k8s/components/monitoring)', () => {
  test('is exactly what the generator makes from the rule files Kubernetes runs (no drift)', () => {
    assert.deepEqual(
      driftProblems(readFileSync(PROMETHEUS_RULE_FILE, 'utf8'), render(CLUSTER_RULE_FILES)),
      [],
    );
  });

  test('carries every group and rule of those files, and none of the local-only ones', () => {
    const doc = parseYaml(readFileSync(PROMETHEUS_RULE_FILE, 'utf8'));
    const names = (groups) => allRules(groups).map((r) => r.alert ?? r.record);
    assert.deepEqual(names(doc.spec.groups), names(loadRuleGroups(CLUSTER_RULE_FILES)));
    const localOnly = names(loadRuleGroups(RULE_FILES.filter((f) => !CLUSTER_RULE_FILES.includes(f))));
    assert.ok(localOnly.length > 0);
    assert.deepEqual(
      names(doc.spec.groups).filter((n) => localOnly.includes(n)),
      [],
    );
    assert.equal(doc.metadata.namespace, APP_NAMESPACE);
  });

  test('the drift check fails when a rule file changes after generation (fixture), and the generator --check exits 1', (t) => {
    const dir = tempDir(t);
    const files = CLUSTER_RULE_FILES.map((f) => {
      const copy = join(dir, basename(f));
      writeFileSync(copy, readFileSync(f, 'utf8').replace('> (14.4 * 0.001)', '> (10 * 0.001)'));
      return copy;
    });
    const problems = driftProblems(readFileSync(PROMETHEUS_RULE_FILE, 'utf8'), render(files));
    assert.equal(problems.length, 3, problems.join('\n'));
    assert.match(problems[1], /committed: .*> \(14\.4 \* 0\.001\)/);
    assert.match(problems[2], /generated: .*> \(10 \* 0\.001\)/);

    const stale = join(dir, 'prometheusrule.yaml');
    writeFileSync(
      stale,
      readFileSync(PROMETHEUS_RULE_FILE, 'utf8').replace('severity: critical', 'severity: warning'),
    );
    const run = spawnSync(process.execPath, [GENERATOR, '--check', '--output', stale], { encoding: 'utf8' });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /is not what the rule files make .* first difference at line \d+/);
    const fresh = spawnSync(process.execPath, [GENERATOR, '--check'], { encoding: 'utf8' });
    assert.equal(fresh.status, 0, fresh.stderr);
  });

  test('the generator refuses a rule key it does not know instead of dropping it', (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'alerts.yml');
    writeFileSync(
      file,
      stringifyYaml({ groups: [{ name: 'g', rules: [{ alert: 'HelloX', expr: 'up == 0', fore: '5m' }] }] }),
    );
    assert.throws(() => render([file]), /rule HelloX: unknown key fore/);
  });
});

// ---------------------------------------------------------------------------
// The dashboards.

export function dashboardProblems(dashboard) {
  const problems = [];
  for (const key of ['uid', 'title']) {
    if (typeof dashboard[key] !== 'string' || !dashboard[key]) problems.push(`missing ${key}`);
  }
  if (!Number.isInteger(dashboard.schemaVersion)) problems.push('missing schemaVersion');
  if (!Array.isArray(dashboard.panels) || dashboard.panels.length === 0) problems.push('no panels');
  const variables = new Set((dashboard.templating?.list ?? []).map((v) => v.name));
  const ids = new Set();
  for (const panel of dashboard.panels ?? []) {
    const label = `panel ${panel.id} "${panel.title}"`;
    if (!Number.isInteger(panel.id)) problems.push(`${label}: id must be an integer`);
    else if (ids.has(panel.id)) problems.push(`${label}: duplicate id`);
    ids.add(panel.id);
    if (!panel.type || !panel.title) problems.push(`${label}: type and title required`);
    const g = panel.gridPos ?? {};
    if (![g.h, g.w, g.x, g.y].every(Number.isInteger) || g.x + g.w > 24) {
      problems.push(`${label}: gridPos must have integer h, w, x, y within 24 columns`);
    }
    if (!Array.isArray(panel.targets) || panel.targets.length === 0) problems.push(`${label}: no targets`);
    const refIds = new Set();
    for (const target of panel.targets ?? []) {
      if (typeof target.expr !== 'string' || !target.expr.trim())
        problems.push(`${label}: target without expr`);
      if (!target.refId || refIds.has(target.refId)) problems.push(`${label}: missing or duplicate refId`);
      refIds.add(target.refId);
    }
    for (const ds of [panel.datasource, ...(panel.targets ?? []).map((t) => t.datasource)]) {
      const ref = /^\$\{(\w+)\}$/.exec(ds?.uid ?? '');
      if (ds?.type !== 'prometheus' || !ref || !variables.has(ref[1])) {
        problems.push(`${label}: datasource must be the dashboard's Prometheus variable`);
        break;
      }
    }
  }
  return problems;
}

// What the dashboard must show, and a metric that proves each panel does.
const REQUIRED_PANELS = [
  {
    topic: 'request rate',
    title: /request rate/i,
    metrics: ['http_requests_total', 'namespace_job:http_requests:rate5m'],
  },
  {
    topic: 'error ratio',
    title: /error ratio/i,
    metrics: ['namespace_job:slo_errors_per_request:ratio_rate5m'],
  },
  { topic: 'latency quantiles', title: /latency/i, metrics: ['http_request_duration_seconds_bucket'] },
  { topic: 'connections', title: /connections/i, metrics: ['http_connections_active'] },
  { topic: 'CPU', title: /cpu/i, metrics: ['process_cpu_seconds_total'] },
  { topic: 'RSS', title: /rss|resident/i, metrics: ['process_resident_memory_bytes'] },
];

export function missingPanels(dashboard) {
  return REQUIRED_PANELS.filter(
    ({ title, metrics }) =>
      !(dashboard.panels ?? []).some((panel) => {
        if (!title.test(panel.title ?? '')) return false;
        const used = new Set(
          (panel.targets ?? []).flatMap((t) => [...metricNames(expandGrafanaVariables(t.expr ?? ''))]),
        );
        return metrics.some((m) => used.has(m));
      }),
  ).map((p) => p.topic);
}

describe('dashboards', () => {
  test('every dashboard in dashboards/ runs somewhere (ENVIRONMENTS in promql.mjs)', () => {
    const files = readdirSync(join(OBSERVABILITY_DIR, 'dashboards')).map((f) =>
      join(OBSERVABILITY_DIR, 'dashboards', f),
    );
    assert.deepEqual(
      files.filter((f) => !DASHBOARD_FILES.includes(f)),
      [],
    );
  });

  for (const file of DASHBOARD_FILES) {
    const name = basename(file);
    const envs = environmentsOf(file);
    describe(name, () => {
      test('is valid JSON with the fields Grafana needs', () => {
        assert.deepEqual(dashboardProblems(readJson(file)), []);
      });

      test('every PromQL expression parses (promtool)', () => {
        const expressions = dashboardExpressions(readJson(file));
        assert.ok(expressions.length >= 2, `only ${expressions.length} expressions found`);
        assert.deepEqual(promqlParseProblems(expressions), []);
      });

      test(`reads only metrics that exist where it runs (${envs.join(', ')}) and their labels`, () => {
        const expressions = dashboardExpressions(readJson(file));
        assert.deepEqual(unknownMetricProblems(expressions, allowedNames(envs)), []);
        assert.deepEqual(labelProblems(expressions, allowlistLabels()), []);
      });
    });
  }

  test('hello.json shows request rate, error ratio, latency quantiles, connections, CPU and RSS', () => {
    assert.deepEqual(missingPanels(readDashboard()), []);
  });

  test('the checks reject a broken dashboard (fixtures)', () => {
    const dashboard = readDashboard();
    const envs = environmentsOf(DASHBOARD_FILE);
    const panel = dashboard.panels.find((p) => /cpu/i.test(p.title));
    panel.targets[0].expr = 'rate(process_cpu_seconds{job="$job"}[$__rate_interval])';
    dashboard.panels[1].id = dashboard.panels[0].id;
    dashboard.panels[2].targets.push({
      refId: 'Z',
      datasource: dashboard.panels[2].datasource,
      expr: 'sum(rate(http_requests_total[5m])',
    });
    // The load balancer's panel back in the dashboard every environment gets.
    dashboard.panels[4].targets.push({
      refId: 'Y',
      datasource: dashboard.panels[4].datasource,
      expr: 'haproxy_server_status{proxy="hello", state="UP"}',
    });
    delete dashboard.panels[3].gridPos;
    const expressions = dashboardExpressions(dashboard);

    assert.deepEqual(unknownMetricProblems(expressions, allowedNames(envs)), [
      `panel ${dashboard.panels[4].id} "${dashboard.panels[4].title}" Y: unknown metric haproxy_server_status`,
      `panel ${panel.id} "${panel.title}" A: unknown metric process_cpu_seconds`,
    ]);
    assert.deepEqual(promqlParseProblems(expressions), [
      `panel ${dashboard.panels[2].id} "${dashboard.panels[2].title}" Z: does not parse: sum(rate(http_requests_total[5m])`,
    ]);
    assert.deepEqual(missingPanels(dashboard), ['CPU']);
    const problems = dashboardProblems(dashboard);
    assert.ok(
      problems.some((p) => p.endsWith('duplicate id')),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => p.includes('gridPos')),
      problems.join('\n'),
    );
    // kube-state-metrics in the local stack's dashboard.
    assert.deepEqual(
      unknownMetricProblems(
        [{ where: 'local', expr: 'kube_pod_status_ready{condition="false"}' }],
        allowedNames(['local']),
      ),
      ['local: unknown metric kube_pod_status_ready'],
    );
  });
});

describe('PromQL metric-name extraction', () => {
  const cases = [
    ['sum by (job) (rate(http_requests_total{code=~"5.."}[5m]))', ['http_requests_total']],
    ['sum(rate(a_total[5m])) by (le) / on(instance) group_left(zone) b', ['a_total', 'b']],
    ['histogram_quantile(0.99, sum without (instance) (rate(h_bucket[$__rate_interval])))', ['h_bucket']],
    ['topk(5, m) offset 1h30m > bool 0.5 and n unless o or Inf', ['m', 'n', 'o']],
    ['{__name__="by_name", job="x"} * on () group_right vector(1)', ['by_name']],
    ['label_replace(m, "dst", "$1", "src", "(.*)") # a comment with fake_metric', ['m']],
    [
      'changes(process_start_time_seconds{instance=~"$instance"}[1h]) @ end()',
      ['process_start_time_seconds'],
    ],
  ];
  for (const [expr, expected] of cases) {
    test(expr, () => {
      assert.deepEqual([...metricNames(expandGrafanaVariables(expr))].sort(), expected);
    });
  }

  test('a regex on __name__ cannot be checked and is reported', () => {
    assert.throws(() => metricNames('{__name__=~"http_.*"}'), /cannot be checked/);
  });

  test('Grafana variables become plain PromQL', () => {
    assert.equal(
      expandGrafanaVariables(
        'rate(m{job="$job",i=~"${instance:regex}",z="[[zone]]"}[$__rate_interval]) offset ${__interval}',
      ),
      'rate(m{job="x",i=~"x",z="x"}[5m]) offset 5m',
    );
  });
});

// ---------------------------------------------------------------------------
// The allowlists against the real exporters, when they are here to ask.

/** The series of an exposition text: [{name, labels}]. */
export function exposedSeries(text) {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s/.exec(line);
      if (!m) return { name: line, labels: {} };
      const labels = Object.fromEntries(
        [...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
      );
      return { name: m[1], labels };
    });
}

/**
 * What the server's metrics page lacks against metrics/hello-server.txt: a
 * listed metric, a listed label on its series, or a route outside the fixed set.
 */
export function expositionProblems(text, entries = readAllowlistLabels('hello-server.txt')) {
  const series = exposedSeries(text);
  const problems = [];
  for (const [name, labels] of entries) {
    const own = series.filter((s) => s.name === name);
    if (own.length === 0) {
      problems.push(`${name} is not exported`);
      continue;
    }
    for (const label of labels) {
      if (own.some((s) => !(label in s.labels)))
        problems.push(`${name} has series without the label ${label}`);
    }
  }
  for (const s of series.filter((x) => 'route' in x.labels && !ROUTES.includes(x.labels.route))) {
    problems.push(`${s.name} has route="${s.labels.route}", not one of ${ROUTES.join(' ')}`);
  }
  return problems;
}

async function fetchStatus(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await response.arrayBuffer();
  return response.status;
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

async function fetchText(url, attempts = 50) {
  let lastError;
  for (let i = 0; i < attempts; i += 1) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return await response.text();
      lastError = new Error(`${url}: HTTP ${response.status}`);
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw lastError;
}

function exposedNames(text) {
  return new Set(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(/[{ ]/)[0]),
  );
}

async function withProcess(t, command, args, body) {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise((r) => child.once('exit', r));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  });
  try {
    return await body();
  } catch (error) {
    error.message += `\n${command} stderr:\n${stderr}`;
    throw error;
  }
}

// Where `cmake --build --preset release` puts the server.
const SERVER_BINARY =
  process.env.HELLO_SERVER_BINARY ?? join(REPO_ROOT, 'build', 'release', 'src', 'hello-server');

describe('allowlists match the real exporters', () => {
  test('the exposition check rejects a page without the route label or with a route outside the set (fixtures)', () => {
    const contract = [
      'http_requests_total{method="GET",code="200",route="/"} 1',
      'http_request_duration_seconds_bucket{route="/",le="0.1"} 1',
      'http_request_duration_seconds_sum{route="/"} 0.001',
      'http_request_duration_seconds_count{route="/"} 1',
      'http_connections_active 1',
      'hello_build_info{version="1.0.0",revision="abc"} 1',
      'process_cpu_seconds_total 0.1',
      'process_resident_memory_bytes 1',
      'process_open_fds 1',
      'process_start_time_seconds 1',
    ].join('\n');
    assert.deepEqual(expositionProblems(`${contract}\n`), []);
    const old = contract
      .replace('code="200",route="/"', 'code="200"')
      .replace('route="/",le=', 'le=')
      .replace('_sum{route="/"}', '_sum')
      .concat('\nhttp_requests_total{method="GET",code="404",route="/wp-admin"} 1\n');
    assert.deepEqual(expositionProblems(old), [
      'http_requests_total has series without the label route',
      'http_request_duration_seconds_bucket has series without the label route',
      'http_request_duration_seconds_sum has series without the label route',
      'http_requests_total has route="/wp-admin", not one of / /healthz /readyz /metrics /version other',
    ]);
  });

  test(
    `hello-server serves metrics/hello-server.txt on its metrics port, with the route label, and no /metrics on the application port`,
    {
      skip: existsSync(SERVER_BINARY) ? false : `${SERVER_BINARY} not built (cmake --build --preset release)`,
    },
    async (t) => {
      const port = await freePort();
      const metricsPort = await freePort();
      const args = [
        '--address',
        '127.0.0.1',
        '--port',
        String(port),
        '--metrics-port',
        String(metricsPort),
        '--drain-delay',
        '0',
        '--log-level',
        'error',
      ];
      await withProcess(t, SERVER_BINARY, args, async () => {
        // One request of each kind first, so that labelled counters have a series.
        assert.equal(await fetchText(`http://127.0.0.1:${port}/`), 'Hello, world!');
        assert.equal(await fetchStatus(`http://127.0.0.1:${port}/no-such-page`), 404);
        const page = await fetchText(`http://127.0.0.1:${metricsPort}/metrics`);
        assert.deepEqual(expositionProblems(page), [], page);
        assert.equal(
          await fetchStatus(`http://127.0.0.1:${port}/metrics`),
          404,
          '/metrics answers on the application port',
        );
      });
    },
  );

  const haproxy = spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status === 0;
  test(
    'HAProxy exports every metric of metrics/haproxy.txt',
    {
      skip: haproxy ? false : 'haproxy not installed (apt-get install -y haproxy)',
    },
    async (t) => {
      const dir = tempDir(t);
      const port = await freePort();
      const config = join(dir, 'haproxy.cfg');
      writeFileSync(
        config,
        [
          'defaults',
          '  mode http',
          '  timeout connect 1s',
          '  timeout client 5s',
          '  timeout server 5s',
          'frontend stats',
          `  bind 127.0.0.1:${port}`,
          '  http-request use-service prometheus-exporter if { path /metrics }',
          'backend hello',
          '  option httpchk',
          '  server hello-a 127.0.0.1:9 check inter 1h',
          '',
        ].join('\n'),
      );
      await withProcess(t, 'haproxy', ['-db', '-f', config], async () => {
        const exported = exposedNames(await fetchText(`http://127.0.0.1:${port}/metrics`));
        const listed = readAllowlist('haproxy.txt');
        assert.deepEqual(
          listed.filter((n) => !exported.has(n)),
          [],
          'listed but not exported',
        );
        assert.deepEqual(
          [...exported].filter((n) => !listed.includes(n)),
          [],
          'exported but not listed',
        );
      });
    },
  );
});

// ---------------------------------------------------------------------------
// The local Prometheus loads these very rules, and labels the replicas the way
// the rules select them.

describe('local Prometheus configuration', () => {
  test('promtool check config accepts it, with the rules laid out as the Compose file mounts them', (t) => {
    const dir = tempDir(t);
    copyFileSync(PROMETHEUS_CONFIG, join(dir, 'prometheus.yml'));
    mkdirSync(join(dir, 'rules'));
    for (const file of ENVIRONMENTS.local.rules) copyFileSync(file, join(dir, 'rules', basename(file)));
    const { status, output } = promtool('check', 'config', join(dir, 'prometheus.yml'));
    assert.equal(status, 0, output);
    assert.match(output, new RegExp(`SUCCESS: ${ENVIRONMENTS.local.rules.length} rule files found`), output);
  });

  test('the Compose file mounts deploy/observability/rules where the configuration reads rules, and that is the local rule set', () => {
    const compose = parseYaml(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true });
    const mounts = (compose.services.prometheus.volumes ?? []).map((v) => {
      const [source, target] = v.split(':');
      return { source: resolve(LOCAL_DIR, source), target };
    });
    const configMount = mounts.find((m) => m.source === PROMETHEUS_CONFIG);
    assert.ok(configMount, 'prometheus.yml is not mounted');
    const config = parseYaml(readFileSync(PROMETHEUS_CONFIG, 'utf8'));
    const ruleGlobs = config.rule_files.map((g) => resolve(dirname(configMount.target), g));
    const rulesMount = mounts.find((m) => m.source === join(OBSERVABILITY_DIR, 'rules'));
    assert.ok(rulesMount, 'deploy/observability/rules is not mounted');
    assert.deepEqual(ruleGlobs, [`${rulesMount.target}/*.yml`]);
    // Prometheus' glob does not descend into directories.
    const loaded = readdirSync(join(OBSERVABILITY_DIR, 'rules'))
      .filter((f) => f.endsWith('.yml'))
      .map((f) => join(OBSERVABILITY_DIR, 'rules', f));
    assert.deepEqual(loaded.sort(), [...ENVIRONMENTS.local.rules].sort());
  });

  test(`the replicas are scraped on the metrics port ${METRICS_PORT} as job "${APP_JOB}" in namespace "${APP_NAMESPACE}", as the rules select them`, () => {
    const config = parseYaml(readFileSync(PROMETHEUS_CONFIG, 'utf8'));
    const job = config.scrape_configs.find((c) => c.job_name === APP_JOB);
    assert.ok(job, `no scrape job ${APP_JOB}`);
    const problems = (job.static_configs ?? []).flatMap((group) =>
      group.targets.flatMap((target) => [
        ...(target.endsWith(`:${METRICS_PORT}`) ? [] : [`${target}: not the metrics port ${METRICS_PORT}`]),
        ...(group.labels?.namespace === APP_NAMESPACE
          ? []
          : [`${target}: no label namespace: ${APP_NAMESPACE}`]),
      ]),
    );
    assert.deepEqual(problems, []);
  });
});
