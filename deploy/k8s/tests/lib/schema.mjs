// Two complementary object checks:
//  - schema: the JSON Schema of the Kubernetes 1.33 API (npm kubernetes-models 4.5.1): types,
//    required fields, enums. Its schemas allow extra properties, so a misspelled field passes.
//    The cluster runs a newer minor (deploy/terraform/variables.tf). Every kind used here is a GA
//    API, which Kubernetes only extends with optional fields between releases, so what passes
//    the 1.33 schema is valid on the newer cluster; CI's kubeconform also validates against the
//    cluster's own version.
//  - unknown fields: a round trip through @kubernetes/client-node's typed serializer keeps only
//    fields the API defines; whatever the round trip drops is unknown (a typo or a wrong level).
// The Prometheus Operator's kinds (monitoring.coreos.com/v1, components/monitoring) validate
// against the schemas of its CRDs, published as npm @kubernetes-models/prometheus-operator
// (pinned in package.json). Those schemas, like every CRD's, allow unknown fields (the API server
// prunes or, with kubectl's default strict field validation, rejects them at apply), and the
// typed client knows no CRD: for these kinds a misspelled field is found only at apply time.
import { createRequire } from 'node:module';
import { loadYaml, dumpYaml } from '@kubernetes/client-node';
import YAML from 'yaml';

const require = createRequire(import.meta.url);

// The package is ESM only: its model classes are loaded once, here.
const OPERATOR_GROUP = 'monitoring.coreos.com/v1';
const OPERATOR_KINDS = ['ServiceMonitor', 'PodMonitor', 'PrometheusRule', 'Probe'];
const operatorModels = Object.fromEntries(
  await Promise.all(
    OPERATOR_KINDS.map(async (kind) => [
      kind,
      (await import(`@kubernetes-models/prometheus-operator/${OPERATOR_GROUP}/${kind}`))[kind],
    ]),
  ),
);

/** Is this a kind whose schema is a CRD's (no typed client model)? */
export const isCustomResource = (obj) => obj?.apiVersion === OPERATOR_GROUP;

/** apps/v1 + Deployment -> the kubernetes-models class, or undefined. */
function modelClass(apiVersion, kind) {
  if (apiVersion === OPERATOR_GROUP) return operatorModels[kind];
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : [null, apiVersion];
  const modulePath = group
    ? `kubernetes-models/${group}/${version}/${kind}`
    : `kubernetes-models/${version}/${kind}`;
  try {
    return require(modulePath)[kind];
  } catch {
    return undefined;
  }
}

/** Schema errors of one object ([] when valid). */
export function schemaErrors(obj) {
  if (typeof obj?.apiVersion !== 'string' || typeof obj?.kind !== 'string') return ['no apiVersion/kind'];
  const Model = modelClass(obj.apiVersion, obj.kind);
  if (!Model) return [`no schema for ${obj.apiVersion} ${obj.kind}`];
  try {
    new Model(obj).validate();
    return [];
  } catch (err) {
    return [String(err.message ?? err)];
  }
}

/** Paths (and values) present in `a` but missing or different in `b`. */
function diff(a, b, path, out) {
  if (Array.isArray(a)) {
    if (!Array.isArray(b)) {
      out.push(`${path} (not kept as a list)`);
      return;
    }
    a.forEach((item, i) => diff(item, b[i], `${path}[${i}]`, out));
    return;
  }
  if (a !== null && typeof a === 'object') {
    if (b === null || typeof b !== 'object') {
      out.push(`${path} (not kept as an object)`);
      return;
    }
    for (const key of Object.keys(a)) {
      if (!Object.hasOwn(b, key)) out.push(`${path}.${key}`);
      else diff(a[key], b[key], `${path}.${key}`, out);
    }
    return;
  }
  if (a !== b) out.push(`${path} (${JSON.stringify(a)} became ${JSON.stringify(b)})`);
}

/** Fields of one object the typed API model does not know ([] when none). */
export function unknownFields(obj) {
  if (isCustomResource(obj)) return [];
  // JSON is YAML: the client parses exactly these values, with no dialect differences.
  const typed = loadYaml(JSON.stringify(obj));
  // An unknown kind falls back to a generic object that keeps everything: that must not pass.
  const typeName = typed?.constructor?.name ?? '';
  if (!/^V\d/.test(typeName))
    return [`${obj.apiVersion} ${obj.kind} is not a typed API kind (${typeName || 'untyped'})`];
  const back = YAML.parse(dumpYaml(typed));
  const out = [];
  diff(obj, back, '', out);
  return out.map((p) => p.replace(/^\./, ''));
}
