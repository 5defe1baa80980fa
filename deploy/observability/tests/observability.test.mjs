// Checks of deploy/observability: the rules (promtool check and unit tests,
// and mutations proving each alert's unit tests can fail), the Grafana
// dashboard, the metric allowlists against the real exporters, and the local
// Prometheus configuration that loads the same rules.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import {
  DASHBOARD_FILE,
  OBSERVABILITY_DIR,
  RULE_FILES,
  dashboardAllowedNames,
  dashboardExpressions,
  expandGrafanaVariables,
  loadRuleGroups,
  metricNames,
  promqlParseProblems,
  readAllowlist,
  unknownMetricProblems,
} from './promql.mjs';

const REPO_ROOT = resolve(OBSERVABILITY_DIR, '..', '..');
const UNIT_TESTS = join(OBSERVABILITY_DIR, 'tests', 'rules.test.yml');
const LOCAL_DIR = join(REPO_ROOT, 'deploy', 'local');
const PROMETHEUS_CONFIG = join(LOCAL_DIR, 'prometheus', 'prometheus.yml');
const COMPOSE_FILE = join(LOCAL_DIR, 'compose.yaml');

function promtool(...args) {
  const run = spawnSync('promtool', args, { encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

function tempDir(t) {
  const dir = mkdtempSync(join(tmpdir(), 'observability-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function readDashboard() {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8'));
}

// ---------------------------------------------------------------------------
// Policy: what every rule must carry. Returns a list of problems.

const SEVERITIES = new Set(['critical', 'warning']);

export function ruleProblems(groups) {
  const problems = [];
  for (const group of groups) {
    for (const rule of group.rules) {
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
      for (const key of ['summary', 'description']) {
        if (!rule.annotations?.[key]) problems.push(`alert ${name}: annotation ${key} missing`);
      }
    }
  }
  return problems;
}

// Names the rules may read: the dashboard's, plus Prometheus' own `up`.
function ruleAllowedNames(groups) {
  return new Set([...dashboardAllowedNames(groups), 'up']);
}

function ruleExpressions(groups) {
  return groups.flatMap((g) => g.rules).map((r) => ({ where: r.record ?? r.alert, expr: r.expr }));
}

describe('rules', () => {
  test('promtool check rules accepts every rule file', () => {
    const { status, output } = promtool('check', 'rules', ...RULE_FILES);
    assert.equal(status, 0, output);
    assert.equal(output.match(/SUCCESS: \d+ rules found/g)?.length, RULE_FILES.length, output);
  });

  test('promtool test rules passes every unit test', () => {
    const { status, output } = promtool('test', 'rules', UNIT_TESTS);
    assert.equal(status, 0, output);
    assert.match(output, /SUCCESS/);
  });

  test('every alert has a severity, a summary and a description; recorded names follow level:metric:operations', () => {
    assert.deepEqual(ruleProblems(loadRuleGroups()), []);
  });

  test('the rule policy rejects broken rules (fixture)', () => {
    const broken = [
      {
        name: 'broken',
        rules: [
          { record: 'http_requests_rate', expr: 'sum(rate(http_requests_total[5m]))' },
          {
            alert: 'targetdown',
            expr: 'up == 0',
            labels: { severity: 'page' },
            annotations: { summary: 'x' },
          },
        ],
      },
    ];
    assert.deepEqual(ruleProblems(broken), [
      'recording rule http_requests_rate: name is not level:metric:operations',
      'alert targetdown: name must be HelloCamelCase',
      'alert targetdown: severity must be critical or warning',
      'alert targetdown: annotation description missing',
    ]);
  });

  test('rules read only metrics the server or HAProxy export, recorded series, and up', () => {
    const groups = loadRuleGroups();
    assert.deepEqual(unknownMetricProblems(ruleExpressions(groups), ruleAllowedNames(groups)), []);
  });

  test('the metric-name check rejects a rule reading an unknown metric (fixture)', () => {
    const groups = loadRuleGroups();
    const problems = unknownMetricProblems(
      [{ where: 'HelloTypo', expr: 'rate(http_request_total[5m]) > 0' }],
      ruleAllowedNames(groups),
    );
    assert.deepEqual(problems, ['HelloTypo: unknown metric http_request_total']);
  });
});

// ---------------------------------------------------------------------------
// Mutation tests: break one alert at a time and require `promtool test rules`
// to fail on that alert, in the expected direction. A test suite that passed
// anyway would not be testing the alert.

function alertRules() {
  return loadRuleGroups()
    .flatMap((g) => g.rules)
    .filter((r) => r.alert);
}

// Runs the unit tests that check one alert, against a mutated alerts.yml.
function runUnitTestsWithAlerts(t, alertname, mutate) {
  const dir = tempDir(t);
  const alertsFile = join(OBSERVABILITY_DIR, 'rules', 'alerts.yml');
  const doc = parseYaml(readFileSync(alertsFile, 'utf8'));
  mutate(doc.groups.flatMap((g) => g.rules));
  writeFileSync(join(dir, 'alerts.yml'), stringifyYaml(doc));
  copyFileSync(join(OBSERVABILITY_DIR, 'rules', 'recording.yml'), join(dir, 'recording.yml'));
  const unitTests = parseYaml(readFileSync(UNIT_TESTS, 'utf8'));
  unitTests.rule_files = [join(dir, 'recording.yml'), join(dir, 'alerts.yml')];
  unitTests.tests = unitTests.tests
    .map(({ promql_expr_test: _, ...group }) => ({
      ...group,
      alert_rule_test: (group.alert_rule_test ?? []).filter((c) => c.alertname === alertname),
    }))
    .filter((group) => group.alert_rule_test.length > 0);
  assert.ok(unitTests.tests.length > 0, `no unit test checks ${alertname}`);
  writeFileSync(join(dir, 'rules.test.yml'), stringifyYaml(unitTests));
  return promtool('test', 'rules', join(dir, 'rules.test.yml'));
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

function mutateAlert(name, change) {
  return (rules) => {
    const rule = rules.find((r) => r.alert === name);
    assert.ok(rule, `alert ${name} not found`);
    change(rule);
  };
}

// Every comparison against a threshold becomes ">= 0": the alert then fires
// whenever its input exists, which only a "stays quiet" test can catch.
function dropThresholds(expr) {
  const mutated = expr.replace(/(==|>=|>)\s*(\([^()]*\)|[0-9.]+)/g, '>= 0');
  assert.notEqual(mutated, expr, `no threshold found in: ${expr}`);
  return mutated;
}

describe('unit tests catch broken alerts (mutations)', { concurrency: 2 }, () => {
  for (const rule of alertRules()) {
    test(`${rule.alert}: a rule that never fires fails its "fires" test`, (t) => {
      const { status, output } = runUnitTestsWithAlerts(
        t,
        rule.alert,
        mutateAlert(rule.alert, (r) => {
          r.expr = 'vector(0) > 1';
        }),
      );
      assert.notEqual(status, 0, 'promtool test rules passed with a rule that never fires');
      const checks = failedAlertChecks(output).filter((c) => c.alertname === rule.alert);
      assert.ok(
        checks.some((c) => c.expected === 'some' && c.got === 'none'),
        output,
      );
    });

    test(`${rule.alert}: a rule without its threshold fails a "stays quiet" test`, (t) => {
      const { status, output } = runUnitTestsWithAlerts(
        t,
        rule.alert,
        mutateAlert(rule.alert, (r) => {
          r.expr = dropThresholds(r.expr);
        }),
      );
      assert.notEqual(status, 0, 'promtool test rules passed with the threshold removed');
      const checks = failedAlertChecks(output).filter((c) => c.alertname === rule.alert);
      assert.ok(
        checks.some((c) => c.expected === 'none' && c.got === 'some'),
        output,
      );
    });

    if (rule.for) {
      test(`${rule.alert}: a rule without its ${rule.for} hold fails a "not yet" test`, (t) => {
        const { status, output } = runUnitTestsWithAlerts(
          t,
          rule.alert,
          mutateAlert(rule.alert, (r) => {
            delete r.for;
          }),
        );
        assert.notEqual(status, 0, 'promtool test rules passed with the hold removed');
        const checks = failedAlertChecks(output).filter((c) => c.alertname === rule.alert);
        assert.ok(
          checks.some((c) => c.expected === 'none' && c.got === 'some'),
          output,
        );
      });
    }
  }
});

// ---------------------------------------------------------------------------
// The dashboard.

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
    metrics: ['http_requests_total', 'job:http_requests:rate5m'],
  },
  { topic: 'error ratio', title: /error ratio/i, metrics: ['job:http_requests_error_ratio:rate5m'] },
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

describe('dashboard', () => {
  test('is valid JSON with the fields Grafana needs', () => {
    assert.deepEqual(dashboardProblems(readDashboard()), []);
  });

  test('shows request rate, error ratio, latency quantiles, connections, CPU and RSS', () => {
    assert.deepEqual(missingPanels(readDashboard()), []);
  });

  test('every PromQL expression parses (promtool)', () => {
    const expressions = dashboardExpressions(readDashboard());
    assert.ok(expressions.length >= 10, `only ${expressions.length} expressions found`);
    assert.deepEqual(promqlParseProblems(expressions), []);
  });

  test('reads only metrics the server or HAProxy export or the recording rules define', () => {
    assert.deepEqual(
      unknownMetricProblems(dashboardExpressions(readDashboard()), dashboardAllowedNames()),
      [],
    );
  });

  test('the checks reject a broken dashboard (fixtures)', () => {
    const dashboard = readDashboard();
    const panel = dashboard.panels.find((p) => /cpu/i.test(p.title));
    panel.targets[0].expr = 'rate(process_cpu_seconds{job="$job"}[$__rate_interval])';
    dashboard.panels[1].id = dashboard.panels[0].id;
    dashboard.panels[2].targets.push({
      refId: 'Z',
      datasource: dashboard.panels[2].datasource,
      expr: 'sum(rate(http_requests_total[5m])',
    });
    delete dashboard.panels[3].gridPos;
    const expressions = dashboardExpressions(dashboard);

    assert.deepEqual(unknownMetricProblems(expressions, dashboardAllowedNames()), [
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
  test(
    'hello-server exports every metric of metrics/hello-server.txt',
    {
      skip: existsSync(SERVER_BINARY) ? false : `${SERVER_BINARY} not built (cmake --build --preset release)`,
    },
    async (t) => {
      const port = await freePort();
      const args = [
        '--address',
        '127.0.0.1',
        '--port',
        String(port),
        '--drain-delay',
        '0',
        '--log-level',
        'error',
      ];
      await withProcess(t, SERVER_BINARY, args, async () => {
        // One request first, so that labelled counters have a series.
        assert.equal(await fetchText(`http://127.0.0.1:${port}/`), 'Hello, world!');
        const exported = exposedNames(await fetchText(`http://127.0.0.1:${port}/metrics`));
        const missing = readAllowlist('hello-server.txt').filter((n) => !exported.has(n));
        assert.deepEqual(missing, [], `exported: ${[...exported].join(', ')}`);
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
// The local Prometheus loads these very rules.

describe('local Prometheus configuration', () => {
  test('promtool check config accepts it, with the rules laid out as the Compose file mounts them', (t) => {
    const dir = tempDir(t);
    copyFileSync(PROMETHEUS_CONFIG, join(dir, 'prometheus.yml'));
    mkdirSync(join(dir, 'rules'));
    for (const file of RULE_FILES) copyFileSync(file, join(dir, 'rules', file.split('/').pop()));
    const { status, output } = promtool('check', 'config', join(dir, 'prometheus.yml'));
    assert.equal(status, 0, output);
    assert.match(output, new RegExp(`SUCCESS: ${RULE_FILES.length} rule files found`), output);
  });

  test('the Compose file mounts deploy/observability/rules where the configuration reads rules', () => {
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
  });
});
