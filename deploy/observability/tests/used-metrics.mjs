// Prints, one per line, every metric name the dashboard and the rules read, so
// that a test against a running Prometheus can check each one has series.
import { readFileSync } from 'node:fs';
import {
  DASHBOARD_FILE,
  dashboardExpressions,
  expandGrafanaVariables,
  loadRuleGroups,
  metricNames,
} from './promql.mjs';

const expressions = [
  ...dashboardExpressions(JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8'))),
  ...loadRuleGroups()
    .flatMap((g) => g.rules)
    .map((r) => ({ expr: r.expr })),
];
const names = new Set(expressions.flatMap(({ expr }) => [...metricNames(expandGrafanaVariables(expr))]));
process.stdout.write(`${[...names].sort().join('\n')}\n`);
