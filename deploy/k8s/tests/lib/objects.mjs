// Helpers shared by the checks and the pod contract: finding workloads, containers and the
// environment a container will actually see.

export const WORKLOAD_KINDS = new Set([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
  'Pod',
]);

export const CLUSTER_SCOPED_KINDS = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PriorityClass',
  'StorageClass',
  'PersistentVolume',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
]);

export const ref = (o) =>
  `${o.kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;

/** Every object that runs pods, with its pod template's metadata and spec. */
export function workloads(objects) {
  const out = [];
  for (const obj of objects) {
    if (!WORKLOAD_KINDS.has(obj.kind)) continue;
    let template;
    if (obj.kind === 'Pod') template = { metadata: obj.metadata, spec: obj.spec };
    else if (obj.kind === 'CronJob') template = obj.spec?.jobTemplate?.spec?.template;
    else template = obj.spec?.template;
    out.push({ obj, podMeta: template?.metadata ?? {}, podSpec: template?.spec ?? {}, name: ref(obj) });
  }
  return out;
}

/** Containers of every kind in a pod spec, each tagged with where it sits. */
export function containers(podSpec) {
  const out = [];
  for (const field of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const c of podSpec?.[field] ?? []) out.push({ ...c, field });
  }
  return out;
}

export const APP_NAME = 'hello';
export const APP_NAMESPACE = 'opendelta';
const NAME_LABEL = 'app.kubernetes.io/name';

/** The hello workloads (Deployment, or StatefulSet with the stateful component). */
export function appWorkloads(objects) {
  return workloads(objects).filter(
    (w) => ['Deployment', 'StatefulSet'].includes(w.obj.kind) && w.podMeta.labels?.[NAME_LABEL] === APP_NAME,
  );
}

export function findObject(objects, kind, name, namespace) {
  return objects.find(
    (o) =>
      o.kind === kind &&
      o.metadata?.name === name &&
      (namespace === undefined || (o.metadata?.namespace ?? undefined) === namespace),
  );
}

/** Does a label selector ({matchLabels, matchExpressions}) select these labels? */
export function selectorMatches(selector, labels = {}) {
  if (!selector) return false;
  const ml = selector.matchLabels ?? {};
  const exprs = selector.matchExpressions ?? [];
  if (Object.keys(ml).length === 0 && exprs.length === 0) return true;
  for (const [k, v] of Object.entries(ml)) if (labels[k] !== v) return false;
  for (const e of exprs) {
    const has = Object.hasOwn(labels, e.key);
    const val = labels[e.key];
    if (e.operator === 'In' && !(has && e.values.includes(val))) return false;
    if (e.operator === 'NotIn' && has && e.values.includes(val)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/**
 * The environment a container starts with, resolved the way the kubelet does: envFrom sources in
 * order, then env entries (later wins). Values from ConfigMaps are looked up in the rendered
 * objects. Returns { env: {NAME: value}, problems: [text] } - a problem is a reference that does
 * not resolve (the kubelet would refuse to start the container).
 */
export function resolveEnv(objects, namespace, container) {
  const env = {};
  const sources = {};
  const problems = [];
  const configMap = (name) => findObject(objects, 'ConfigMap', name, namespace);
  for (const src of container.envFrom ?? []) {
    if (src.configMapRef) {
      const cm = configMap(src.configMapRef.name);
      if (!cm) {
        if (!src.configMapRef.optional)
          problems.push(`envFrom ConfigMap ${src.configMapRef.name} does not exist`);
        continue;
      }
      for (const [k, v] of Object.entries(cm.data ?? {})) {
        env[(src.prefix ?? '') + k] = v;
        sources[(src.prefix ?? '') + k] = `ConfigMap/${cm.metadata.name}`;
      }
    } else if (src.secretRef) {
      problems.push(`envFrom Secret ${src.secretRef.name} cannot be resolved offline`);
    }
  }
  for (const e of container.env ?? []) {
    if (Object.hasOwn(e, 'value') || !e.valueFrom) {
      env[e.name] = e.value ?? '';
      sources[e.name] = 'literal';
      continue;
    }
    const cmRef = e.valueFrom.configMapKeyRef;
    if (cmRef) {
      const cm = configMap(cmRef.name);
      if (!cm) {
        if (!cmRef.optional) problems.push(`env ${e.name}: ConfigMap ${cmRef.name} does not exist`);
      } else if (!Object.hasOwn(cm.data ?? {}, cmRef.key)) {
        if (!cmRef.optional) problems.push(`env ${e.name}: ConfigMap ${cmRef.name} has no key ${cmRef.key}`);
      } else {
        env[e.name] = cm.data[cmRef.key];
        sources[e.name] = `ConfigMap/${cm.metadata.name}`;
      }
      continue;
    }
    sources[e.name] = 'runtime';
    env[e.name] = undefined;
  }
  return { env, sources, problems };
}

/** A container port by name or number; undefined when it does not exist. */
export function findPort(container, port) {
  if (typeof port === 'number')
    return (
      (container.ports ?? []).find((p) => p.containerPort === port) ?? { containerPort: port, implicit: true }
    );
  return (container.ports ?? []).find((p) => p.name === port);
}

/** Kubernetes quantity -> number (bytes for memory/storage, cores for CPU). */
export function parseQuantity(q) {
  if (typeof q === 'number') return q;
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(q ?? '').trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  const units = {
    '': 1,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
  };
  return Object.hasOwn(units, m[2]) ? n * units[m[2]] : NaN;
}

/** Splits an image reference into name, tag and digest. */
export function parseImage(image) {
  let rest = String(image ?? '');
  let digest;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { name: rest, tag, digest };
}
