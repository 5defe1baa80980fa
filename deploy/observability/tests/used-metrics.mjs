// Prints, one per line, every metric name the dashboards and the rules of one
// environment read (default: local, the stack `make up` runs), so that a test
// against a running Prometheus can check each one has series.
// Usage: node deploy/observability/tests/used-metrics.mjs [local|kubernetes]
import { readFileSync } from 'node:fs';
import {
  ENVIRONMENTS,
  dashboardExpressions,
  expandGrafanaVariables,
  loadRuleGroups,
  metricNames,
} from './promql.mjs';

const name = process.argv[2] ?? 'local';
const environment = ENVIRONMENTS[name];
if (!environment) {
  process.stderr.write(
    `used-metrics: unknown environment '${name}' (one of ${Object.keys(ENVIRONMENTS).join(', ')})\n`,
  );
  process.exit(2);
}
const expressions = [
  ...environment.dashboards.flatMap((file) => dashboardExpressions(JSON.parse(readFileSync(file, 'utf8')))),
  ...loadRuleGroups(environment.rules)
    .flatMap((g) => g.rules)
    .map((r) => ({ expr: r.expr })),
];
const names = new Set(expressions.flatMap(({ expr }) => [...metricNames(expandGrafanaVariables(expr))]));
process.stdout.write(`${[...names].sort().join('\n')}\n`);
