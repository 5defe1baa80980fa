// The policy, as named checks. Each check returns a list of violations ([] = pass) for a set of
// rendered objects. `profile` says where a check applies:
//   all       every object (schema and unknown fields)
//   pss       every pod template: the Pod Security Standard "restricted" (which includes "baseline")
//   workload  every workload and the objects around it (what kube-score, Polaris, kube-linter check)
//   app       the hello server's objects (availability, probes, shutdown timing, exposure)
//   aws, local  what differs per overlay
//   monitoring  the Prometheus Operator's objects (components/monitoring)
//   ca        the cluster autoscaler
// tests/fixtures/<name>/ holds a broken manifest for every check; policy.test.mjs proves that each
// fixture fails exactly the checks it names.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseHcl } from '@cdktf/hcl2json';
import {
  APP_NAME,
  APP_NAMESPACE,
  CLUSTER_SCOPED_KINDS,
  appWorkloads,
  containers,
  findObject,
  findPort,
  parseImage,
  parseQuantity,
  ref,
  resolveEnv,
  selectorMatches,
  workloads,
} from './objects.mjs';
import { REPO_ROOT } from './kustomize.mjs';
import { schemaErrors, unknownFields } from './schema.mjs';

const REQUIRED_LABELS = ['app.kubernetes.io/name', 'app.kubernetes.io/part-of'];
const ZONE_KEY = 'topology.kubernetes.io/zone';
const HOST_KEY = 'kubernetes.io/hostname';
// Values from the project's shared contract (listed in deploy/k8s/README.md).
const APP_PORT = 8080;
const METRICS_PORT = 9102;
const NODE_PORT = 30080;
// Prometheus runs in the namespace named monitoring (kube-prometheus' default); the NetworkPolicy
// admits the metrics port from there only, by the label Kubernetes sets on every namespace.
const MONITORING_NAMESPACE_SELECTOR = { 'kubernetes.io/metadata.name': 'monitoring' };
const APP_USER = 65532;
const CA_IMAGE = 'registry.k8s.io/autoscaling/cluster-autoscaler';
const PLACEHOLDER_CIDR = '192.0.2.0/24';

// ---------------------------------------------------------------- helpers

/** Runs fn for every pod template; fn returns violation strings. */
const perPod = (objects, fn) => workloads(objects).flatMap((w) => fn(w).map((v) => `${w.name}: ${v}`));

/** Runs fn for every container of every pod template. */
const perContainer = (objects, fn) =>
  perPod(objects, (w) =>
    containers(w.podSpec).flatMap((c) => fn(c, w).map((v) => `container ${c.name}: ${v}`)),
  );

/**
 * Runs fn on a pod template's security context and on each container's (an empty object when
 * unset); its violations are prefixed "pod" or "container <name>".
 */
const securityContextViolations = (w, fn) =>
  [
    ['pod', w.podSpec.securityContext],
    ...containers(w.podSpec).map((c) => [`container ${c.name}`, c.securityContext]),
  ].flatMap(([where, sc]) => fn(sc ?? {}).map((v) => `${where} ${v}`));

/** securityContextViolations for every pod template. */
const perSecurityContext = (objects, fn) => perPod(objects, (w) => securityContextViolations(w, fn));

/** The one hello workload; a violation when there is none or more than one. */
function withApp(objects, fn) {
  const apps = appWorkloads(objects);
  if (apps.length !== 1) return [`expected one hello Deployment or StatefulSet, found ${apps.length}`];
  const w = apps[0];
  const c = w.podSpec.containers?.find((x) => x.name === APP_NAME) ?? w.podSpec.containers?.[0];
  if (!c) return [`${w.name}: no container`];
  return fn(w, c).map((v) => `${w.name}: ${v}`);
}

/** The app container's environment (ConfigMap values resolved). */
const appEnv = (objects, w, c) => resolveEnv(objects, w.obj.metadata?.namespace, c);

const isInt = (v) => Number.isInteger(v);
const seconds = (v) => (/^\d+$/.test(String(v ?? '')) ? Number(v) : NaN);

/** IPv4 CIDR -> {base, bits} or undefined; canonical = no host bits set. */
function parseCidr(cidr) {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(String(cidr));
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) return undefined;
  const base = ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base, bits, canonical: (base & mask) >>> 0 === base };
}
const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map(parseCidr);
function isPrivate(c) {
  return PRIVATE_RANGES.some((r) => {
    if (c.bits < r.bits) return false;
    const mask = (0xffffffff << (32 - r.bits)) >>> 0;
    return (c.base & mask) >>> 0 === r.base;
  });
}

/** Pods a workload template produces select-able by this selector? */
const selectsSomePod = (objects, selector, namespace) =>
  workloads(objects).some(
    (w) =>
      (w.obj.metadata?.namespace ?? undefined) === namespace && selectorMatches(selector, w.podMeta.labels),
  );

function versionFile() {
  return readFileSync(path.join(REPO_ROOT, 'VERSION'), 'utf8').trim();
}

// The cluster's Kubernetes minor version has one source: the default of Terraform's
// kubernetes_version. What must follow it (the autoscaler's image) is checked against that file,
// so changing the cluster version without the autoscaler fails here.
export const TERRAFORM_VARIABLES = path.join(REPO_ROOT, 'deploy/terraform/variables.tf');

/** The default of variable kubernetes_version in a Terraform file ("1.35"), read with
 *  HashiCorp's HCL parser; throws when the file, the variable or a "1.N" default is missing. */
export async function terraformKubernetesVersion(file = TERRAFORM_VARIABLES) {
  const json = await parseHcl(path.basename(file), readFileSync(file, 'utf8'));
  const value = json.variable?.kubernetes_version?.[0]?.default;
  if (typeof value !== 'string' || !/^1\.\d+$/.test(value)) {
    throw new Error(
      `${path.relative(REPO_ROOT, file)}: variable kubernetes_version has no default of the form 1.N (found ${JSON.stringify(value)})`,
    );
  }
  return value;
}

// Read once when the checks load; a failure becomes a violation of ca-version, not a crash.
const CLUSTER_VERSION = await terraformKubernetesVersion().then(
  (minor) => ({ minor }),
  (err) => ({ error: err.message }),
);

// The ALB's idle timeout has one source too: aws_lb.this in Terraform. The shutdown arithmetic
// and the server's idle timeout are checked against it.
export const TERRAFORM_ALB = path.join(REPO_ROOT, 'deploy/terraform/alb.tf');
const ALB_DEFAULT_IDLE_TIMEOUT = 60; // AWS's default when idle_timeout is not set

/** The idle timeout of resource aws_lb.this in a Terraform file, in seconds; throws when the file
 *  or the load balancer is missing or the value is not a whole number of seconds. */
export async function terraformAlbIdleTimeout(file = TERRAFORM_ALB) {
  const json = await parseHcl(path.basename(file), readFileSync(file, 'utf8'));
  const lb = json.resource?.aws_lb?.this?.[0];
  if (!lb) throw new Error(`${path.relative(REPO_ROOT, file)}: no resource aws_lb.this`);
  const value = lb.idle_timeout ?? ALB_DEFAULT_IDLE_TIMEOUT;
  if (!Number.isInteger(value))
    throw new Error(
      `${path.relative(REPO_ROOT, file)}: aws_lb.this idle_timeout is not a number of seconds (${JSON.stringify(value)})`,
    );
  return value;
}

const ALB_IDLE = await terraformAlbIdleTimeout().then(
  (seconds) => ({ seconds }),
  (err) => ({ error: err.message }),
);
const ALB_IDLE_TIMEOUT = ALB_IDLE.seconds;

// Shutdown arithmetic (deploy/k8s/base/deployment.yaml, docs/architecture.md).
// The time the removal of a deleted pod's endpoint takes to reach kube-proxy on every node: a
// budget, not a measurement. kube-proxy applies an EndpointSlice change within its
// --iptables-min-sync-period (1 s); the rest is the API server's watch fan-out on a busy cluster.
export const ENDPOINT_PROPAGATION_BUDGET = 10;
// What the drain must outlast beyond the ALB's idle timeout: the ALB's own timer granularity.
export const ALB_IDLE_MARGIN = 5;

// ---------------------------------------------------------------- Pod Security Standards

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
const RESTRICTED_VOLUME_TYPES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);
const SELINUX_TYPES = new Set([
  '',
  'container_t',
  'container_init_t',
  'container_kvm_t',
  'container_engine_t',
]);

const pssChecks = [
  {
    id: 'pss-host-namespaces',
    title: 'no host network, PID or IPC namespace',
    run: (objs) =>
      perPod(objs, (w) =>
        ['hostNetwork', 'hostPID', 'hostIPC'].filter((f) => w.podSpec[f] === true).map((f) => `${f} is true`),
      ),
  },
  {
    id: 'pss-privileged',
    title: 'no privileged container',
    run: (objs) =>
      perContainer(objs, (c) => (c.securityContext?.privileged === true ? ['privileged is true'] : [])),
  },
  {
    id: 'pss-capabilities',
    title: 'capabilities: drop ALL, add nothing but NET_BIND_SERVICE',
    run: (objs) =>
      perContainer(objs, (c) => {
        if (c.field === 'ephemeralContainers') return [];
        const caps = c.securityContext?.capabilities ?? {};
        const out = [];
        if (!(caps.drop ?? []).includes('ALL')) out.push('capabilities.drop does not include ALL');
        for (const cap of caps.add ?? []) {
          if (cap !== 'NET_BIND_SERVICE')
            out.push(
              `capabilities.add has ${cap}${BASELINE_CAPABILITIES.has(cap) ? '' : ' (not even baseline)'}`,
            );
        }
        return out;
      }),
  },
  {
    id: 'pss-host-path',
    title: 'no hostPath volume',
    run: (objs) =>
      perPod(objs, (w) =>
        (w.podSpec.volumes ?? []).filter((v) => v.hostPath).map((v) => `volume ${v.name} is a hostPath`),
      ),
  },
  {
    id: 'pss-host-ports',
    title: 'no host port',
    run: (objs) =>
      perContainer(objs, (c) =>
        (c.ports ?? []).filter((p) => p.hostPort).map((p) => `hostPort ${p.hostPort}`),
      ),
  },
  {
    id: 'pss-apparmor',
    title: 'AppArmor not Unconfined (field or annotation)',
    run: (objs) =>
      perPod(objs, (w) => [
        ...securityContextViolations(w, ({ appArmorProfile: p }) =>
          p && !['RuntimeDefault', 'Localhost'].includes(p.type) ? [`appArmorProfile ${p.type}`] : [],
        ),
        ...Object.entries(w.podMeta.annotations ?? {})
          .filter(
            ([k, v]) =>
              k.startsWith('container.apparmor.security.beta.kubernetes.io/') &&
              v !== 'runtime/default' &&
              !v.startsWith('localhost/'),
          )
          .map(([k, v]) => `annotation ${k}: ${v}`),
      ]),
  },
  {
    id: 'pss-selinux',
    title: 'SELinux: only container types, no custom user or role',
    run: (objs) =>
      perSecurityContext(objs, ({ seLinuxOptions: o }) => {
        if (!o) return [];
        const out = [];
        if (!SELINUX_TYPES.has(o.type ?? '')) out.push(`seLinuxOptions.type ${o.type}`);
        if (o.user) out.push('seLinuxOptions.user set');
        if (o.role) out.push('seLinuxOptions.role set');
        return out;
      }),
  },
  {
    id: 'pss-proc-mount',
    title: 'default /proc mount',
    run: (objs) =>
      perContainer(objs, (c) =>
        c.securityContext?.procMount && c.securityContext.procMount !== 'Default'
          ? [`procMount ${c.securityContext.procMount}`]
          : [],
      ),
  },
  {
    id: 'pss-sysctls',
    title: 'only safe sysctls',
    run: (objs) =>
      perPod(objs, (w) =>
        (w.podSpec.securityContext?.sysctls ?? [])
          .filter((s) => !SAFE_SYSCTLS.has(s.name))
          .map((s) => `sysctl ${s.name}`),
      ),
  },
  {
    id: 'pss-host-process',
    title: 'no Windows host process',
    run: (objs) =>
      perSecurityContext(objs, (sc) =>
        sc.windowsOptions?.hostProcess === true ? ['windowsOptions.hostProcess'] : [],
      ),
  },
  {
    id: 'pss-volume-types',
    title:
      'only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret volumes',
    run: (objs) =>
      perPod(objs, (w) =>
        (w.podSpec.volumes ?? []).flatMap((v) => {
          const types = Object.keys(v).filter((k) => k !== 'name');
          return types.filter((t) => !RESTRICTED_VOLUME_TYPES.has(t)).map((t) => `volume ${v.name} is ${t}`);
        }),
      ),
  },
  {
    id: 'pss-privilege-escalation',
    title: 'allowPrivilegeEscalation: false on every container',
    run: (objs) =>
      perContainer(objs, (c) =>
        c.securityContext?.allowPrivilegeEscalation === false
          ? []
          : ['allowPrivilegeEscalation is not false'],
      ),
  },
  {
    id: 'pss-run-as-non-root',
    title: 'runAsNonRoot: true (pod, or every container), never false',
    run: (objs) =>
      perPod(objs, (w) => {
        const pod = w.podSpec.securityContext?.runAsNonRoot;
        const out = [];
        if (pod === false) out.push('pod runAsNonRoot is false');
        for (const c of containers(w.podSpec)) {
          const own = c.securityContext?.runAsNonRoot;
          if (own === false) out.push(`container ${c.name} runAsNonRoot is false`);
          else if (own !== true && pod !== true) out.push(`container ${c.name} runAsNonRoot not set`);
        }
        return out;
      }),
  },
  {
    id: 'pss-run-as-user',
    title: 'runAsUser is never 0',
    run: (objs) => perSecurityContext(objs, (sc) => (sc.runAsUser === 0 ? ['runAsUser 0'] : [])),
  },
  {
    id: 'pss-seccomp',
    title: 'seccompProfile RuntimeDefault or Localhost (pod, or every container), never Unconfined',
    run: (objs) =>
      perPod(objs, (w) => {
        const ok = (p) => p && ['RuntimeDefault', 'Localhost'].includes(p.type);
        const pod = w.podSpec.securityContext?.seccompProfile;
        const out = [];
        if (pod && !ok(pod)) out.push(`pod seccompProfile ${pod.type}`);
        for (const c of containers(w.podSpec)) {
          const own = c.securityContext?.seccompProfile;
          if (own && !ok(own)) out.push(`container ${c.name} seccompProfile ${own.type}`);
          else if (!own && !ok(pod)) out.push(`container ${c.name} has no seccompProfile`);
        }
        return out;
      }),
  },
].map((c) => ({ ...c, profile: 'pss' }));

// ---------------------------------------------------------------- every workload

const workloadChecks = [
  {
    id: 'container-resources',
    title: 'requests for CPU, memory and ephemeral storage; a memory limit not below the request',
    run: (objs) =>
      perContainer(objs, (c) => {
        if (c.field === 'ephemeralContainers') return [];
        const req = c.resources?.requests ?? {};
        const lim = c.resources?.limits ?? {};
        const out = ['cpu', 'memory', 'ephemeral-storage']
          .filter((r) => req[r] === undefined)
          .map((r) => `no ${r} request`);
        if (lim.memory === undefined) out.push('no memory limit');
        else if (req.memory !== undefined && parseQuantity(lim.memory) < parseQuantity(req.memory))
          out.push('memory limit below request');
        return out;
      }),
  },
  {
    id: 'read-only-root-filesystem',
    title: 'readOnlyRootFilesystem: true',
    run: (objs) =>
      perContainer(objs, (c) =>
        c.securityContext?.readOnlyRootFilesystem === true ? [] : ['readOnlyRootFilesystem is not true'],
      ),
  },
  {
    id: 'image-pinned',
    title: 'images carry a tag other than latest, or a digest',
    run: (objs) =>
      perContainer(objs, (c) => {
        const img = parseImage(c.image);
        if (img.digest)
          return /^sha256:[0-9a-f]{64}$/.test(img.digest) ? [] : [`malformed digest in ${c.image}`];
        if (!img.tag) return [`${c.image} has no tag (means :latest)`];
        if (img.tag === 'latest') return [`${c.image} uses :latest`];
        return [];
      }),
  },
  {
    id: 'service-account-exists',
    title: 'every pod names a ServiceAccount that the manifests create',
    run: (objs) =>
      perPod(objs, (w) => {
        const sa = w.podSpec.serviceAccountName;
        if (!sa) return ['no serviceAccountName (would run as "default")'];
        return findObject(objs, 'ServiceAccount', sa, w.obj.metadata?.namespace)
          ? []
          : [`ServiceAccount ${sa} does not exist`];
      }),
  },
  {
    id: 'config-refs-exist',
    title: 'every ConfigMap reference in env/envFrom exists, with its key',
    run: (objs) => perContainer(objs, (c, w) => resolveEnv(objs, w.obj.metadata?.namespace, c).problems),
  },
  {
    id: 'env-var-expansion',
    title: '$(VAR) in command/args names an env var of the container (else Kubernetes passes it literally)',
    run: (objs) =>
      perContainer(objs, (c, w) => {
        const { env } = resolveEnv(objs, w.obj.metadata?.namespace, c);
        const out = [];
        for (const arg of [...(c.command ?? []), ...(c.args ?? [])]) {
          // $$(X) is the escape for a literal $(X).
          for (const m of String(arg).matchAll(/(\$*)\$\(([^)]*)\)/g)) {
            if (m[1].length % 2 === 1) continue;
            if (!Object.hasOwn(env, m[2])) out.push(`$(${m[2]}) is not defined`);
          }
        }
        return out;
      }),
  },
  {
    id: 'named-ports-exist',
    title: 'probe ports and Service target ports name container ports that exist',
    run: (objs) => {
      const out = perContainer(objs, (c) =>
        ['startupProbe', 'readinessProbe', 'livenessProbe'].flatMap((p) => {
          const port = c[p]?.httpGet?.port ?? c[p]?.tcpSocket?.port ?? c[p]?.grpc?.port;
          if (port === undefined || typeof port === 'number') return [];
          return findPort(c, port) ? [] : [`${p} port ${port} is not a container port`];
        }),
      );
      for (const svc of objs.filter((o) => o.kind === 'Service')) {
        const pods = workloads(objs).filter(
          (w) =>
            (w.obj.metadata?.namespace ?? undefined) === (svc.metadata?.namespace ?? undefined) &&
            selectorMatches(
              svc.spec?.selector ? { matchLabels: svc.spec.selector } : undefined,
              w.podMeta.labels,
            ),
        );
        for (const p of svc.spec?.ports ?? []) {
          if (typeof p.targetPort !== 'string') continue;
          for (const w of pods) {
            if (!containers(w.podSpec).some((c) => findPort(c, p.targetPort)))
              out.push(`${ref(svc)}: targetPort ${p.targetPort} is not a port of ${w.name}`);
          }
        }
      }
      return out;
    },
  },
  {
    id: 'selector-matches-template',
    title: 'workload selectors match their pod template labels',
    run: (objs) =>
      perPod(objs, (w) => {
        if (w.obj.kind === 'Pod' || w.obj.kind === 'CronJob' || w.obj.kind === 'Job') return [];
        return selectorMatches(w.obj.spec?.selector, w.podMeta.labels) &&
          Object.keys(w.obj.spec?.selector?.matchLabels ?? {}).length > 0
          ? []
          : ['spec.selector does not match the pod template labels'];
      }),
  },
  {
    id: 'rbac-refs',
    title: 'bindings refer to roles and ServiceAccounts that the manifests create',
    run: (objs) =>
      objs
        .filter((o) => ['RoleBinding', 'ClusterRoleBinding'].includes(o.kind))
        .flatMap((b) => {
          const out = [];
          const roleNs = b.roleRef.kind === 'Role' ? b.metadata?.namespace : undefined;
          if (!findObject(objs, b.roleRef.kind, b.roleRef.name, roleNs))
            out.push(`${ref(b)}: ${b.roleRef.kind} ${b.roleRef.name} does not exist`);
          for (const s of b.subjects ?? []) {
            if (
              s.kind === 'ServiceAccount' &&
              !findObject(objs, 'ServiceAccount', s.name, s.namespace ?? b.metadata?.namespace)
            ) {
              out.push(`${ref(b)}: ServiceAccount ${s.namespace}/${s.name} does not exist`);
            }
          }
          return out;
        }),
  },
  {
    id: 'prometheus-annotations',
    title: 'scrape annotations point at a container port and a path',
    run: (objs) =>
      perPod(objs, (w) => {
        const a = w.podMeta.annotations ?? {};
        if (a['prometheus.io/scrape'] === undefined) return [];
        const out = [];
        if (a['prometheus.io/scrape'] !== 'true')
          out.push(`prometheus.io/scrape is ${a['prometheus.io/scrape']}`);
        const port = Number(a['prometheus.io/port']);
        if (!containers(w.podSpec).some((c) => (c.ports ?? []).some((p) => p.containerPort === port)))
          out.push(`prometheus.io/port ${a['prometheus.io/port']} is not a container port`);
        if (!String(a['prometheus.io/path'] ?? '').startsWith('/')) out.push('prometheus.io/path missing');
        return out;
      }),
  },
  {
    id: 'labels',
    title: 'app.kubernetes.io/name and part-of on every object and pod template',
    run: (objs) => {
      const out = [];
      for (const o of objs) {
        for (const l of REQUIRED_LABELS) if (!o.metadata?.labels?.[l]) out.push(`${ref(o)}: no ${l} label`);
      }
      for (const w of workloads(objs)) {
        for (const l of REQUIRED_LABELS)
          if (!w.podMeta.labels?.[l]) out.push(`${w.name}: pod template has no ${l} label`);
      }
      return out;
    },
  },
  {
    id: 'namespace-set',
    title: 'every namespaced object names a namespace that exists (created here, or kube-system)',
    run: (objs) => {
      const created = new Set(objs.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
      return objs
        .filter((o) => !CLUSTER_SCOPED_KINDS.has(o.kind))
        .flatMap((o) => {
          const ns = o.metadata?.namespace;
          if (!ns) return [`${ref(o)}: no namespace (would land in the kubectl context's namespace)`];
          return created.has(ns) || ns === 'kube-system' ? [] : [`${ref(o)}: namespace ${ns} is not created`];
        });
    },
  },
].map((c) => ({ ...c, profile: 'workload' }));

// ---------------------------------------------------------------- the hello server

/** drain-outlasts-alb-reuse against a given ALB idle timeout (seconds). */
export function drainAlbViolations(objs, albIdleTimeout) {
  return withApp(objs, (w, c) => {
    const { drain } = appSettings(objs, w, c);
    const need = albIdleTimeout + ALB_IDLE_MARGIN;
    if (Number.isNaN(drain)) return ['HELLO_DRAIN_DELAY not resolvable'];
    return drain >= need
      ? []
      : [
          `HELLO_DRAIN_DELAY ${drain} s < ALB idle timeout ${albIdleTimeout} s + ${ALB_IDLE_MARGIN} s: the server may close a connection the ALB is about to reuse (502)`,
        ];
  });
}

/** The environment values the shutdown arithmetic and the port checks read. */
function appSettings(objs, w, c) {
  const { env } = appEnv(objs, w, c);
  return {
    port: seconds(env.HELLO_PORT),
    drain: seconds(env.HELLO_DRAIN_DELAY),
    shutdown: seconds(env.HELLO_SHUTDOWN_TIMEOUT),
    idle: seconds(env.HELLO_IDLE_TIMEOUT),
  };
}

function hpaFor(objs, w) {
  return objs.find(
    (o) =>
      o.kind === 'HorizontalPodAutoscaler' &&
      o.metadata?.name === APP_NAME &&
      o.metadata?.namespace === w.obj.metadata?.namespace,
  );
}

/** Pods a PDB lets go at a given replica count (Kubernetes rounds percentages up for maxUnavailable, up for minAvailable). */
function allowedDisruptions(pdb, replicas) {
  const s = pdb.spec ?? {};
  const pct = (v, up) => {
    const n = (Number(String(v).slice(0, -1)) * replicas) / 100;
    return up ? Math.ceil(n) : Math.floor(n);
  };
  if (s.maxUnavailable !== undefined) {
    return typeof s.maxUnavailable === 'string' ? pct(s.maxUnavailable, true) : s.maxUnavailable;
  }
  if (s.minAvailable !== undefined) {
    const min = typeof s.minAvailable === 'string' ? pct(s.minAvailable, true) : s.minAvailable;
    return replicas - min;
  }
  return replicas;
}

const appChecks = [
  {
    id: 'namespace-pss-labels',
    title: `namespace ${APP_NAMESPACE} enforces, warns and audits Pod Security "restricted"`,
    run: (objs) => {
      const ns = findObject(objs, 'Namespace', APP_NAMESPACE);
      if (!ns) return [`Namespace ${APP_NAMESPACE} is not created`];
      const l = ns.metadata.labels ?? {};
      return ['enforce', 'warn', 'audit']
        .filter((mode) => l[`pod-security.kubernetes.io/${mode}`] !== 'restricted')
        .map(
          (mode) =>
            `pod-security.kubernetes.io/${mode} is ${l[`pod-security.kubernetes.io/${mode}`] ?? 'unset'}`,
        );
    },
  },
  {
    id: 'app-replicas-from-hpa',
    title: 'the workload has no spec.replicas (the HPA owns the count)',
    run: (objs) =>
      withApp(objs, (w) =>
        w.obj.spec?.replicas !== undefined
          ? [`spec.replicas is set (${w.obj.spec.replicas}); every apply would reset the HPA's count`]
          : [],
      ),
  },
  {
    id: 'app-hpa',
    title: 'autoscaling/v2 HPA: min 3, max 12, CPU utilization 70 %',
    run: (objs) =>
      withApp(objs, (w) => {
        const hpa = hpaFor(objs, w);
        if (!hpa) return ['no HorizontalPodAutoscaler hello'];
        const out = [];
        if (hpa.apiVersion !== 'autoscaling/v2') out.push(`HPA apiVersion ${hpa.apiVersion}`);
        if (hpa.spec?.minReplicas !== 3)
          out.push(`HPA minReplicas ${hpa.spec?.minReplicas} (3: one per zone)`);
        if (hpa.spec?.maxReplicas !== 12) out.push(`HPA maxReplicas ${hpa.spec?.maxReplicas}`);
        const cpu = (hpa.spec?.metrics ?? []).find(
          (m) => m.type === 'Resource' && m.resource?.name === 'cpu',
        );
        if (cpu?.resource?.target?.type !== 'Utilization' || cpu.resource.target.averageUtilization !== 70)
          out.push('HPA has no CPU Utilization 70 % target');
        return out;
      }),
  },
  {
    id: 'hpa-targets-workload',
    title: 'the HPA scales the workload that exists',
    run: (objs) =>
      objs
        .filter((o) => o.kind === 'HorizontalPodAutoscaler')
        .flatMap((hpa) => {
          const t = hpa.spec?.scaleTargetRef ?? {};
          const target = findObject(objs, t.kind, t.name, hpa.metadata?.namespace);
          if (!target) return [`${ref(hpa)}: scaleTargetRef ${t.kind}/${t.name} does not exist`];
          return target.apiVersion === t.apiVersion
            ? []
            : [`${ref(hpa)}: scaleTargetRef apiVersion ${t.apiVersion}, target is ${target.apiVersion}`];
        }),
  },
  {
    id: 'app-pdb',
    title: 'PodDisruptionBudget: maxUnavailable 1, unhealthyPodEvictionPolicy AlwaysAllow',
    run: (objs) =>
      withApp(objs, (w) => {
        const pdb = findObject(objs, 'PodDisruptionBudget', APP_NAME, w.obj.metadata?.namespace);
        if (!pdb) return ['no PodDisruptionBudget hello'];
        const out = [];
        if (pdb.spec?.maxUnavailable !== 1) out.push(`PDB maxUnavailable ${pdb.spec?.maxUnavailable}`);
        if (pdb.spec?.minAvailable !== undefined) out.push('PDB sets minAvailable');
        if (pdb.spec?.unhealthyPodEvictionPolicy !== 'AlwaysAllow')
          out.push(`PDB unhealthyPodEvictionPolicy ${pdb.spec?.unhealthyPodEvictionPolicy}`);
        return out;
      }),
  },
  {
    id: 'pdb-below-hpa-min',
    title: 'at the HPA minimum the PDB still allows one eviction (minAvailable < HPA min), or drains hang',
    run: (objs) =>
      withApp(objs, (w) => {
        const hpa = hpaFor(objs, w);
        const min = hpa?.spec?.minReplicas ?? w.obj.spec?.replicas ?? 1;
        return objs
          .filter(
            (o) =>
              o.kind === 'PodDisruptionBudget' &&
              o.metadata?.namespace === w.obj.metadata?.namespace &&
              selectorMatches(o.spec?.selector, w.podMeta.labels),
          )
          .flatMap((pdb) => {
            const allowed = allowedDisruptions(pdb, min);
            return allowed >= 1 ? [] : [`${ref(pdb)} allows ${allowed} evictions at ${min} replicas`];
          });
      }),
  },
  {
    id: 'pdb-selects-pods',
    title: 'every PodDisruptionBudget selects pods of a workload',
    run: (objs) =>
      objs
        .filter((o) => o.kind === 'PodDisruptionBudget')
        .flatMap((pdb) =>
          selectsSomePod(objs, pdb.spec?.selector, pdb.metadata?.namespace)
            ? []
            : [`${ref(pdb)} selects no pod`],
        ),
  },
  {
    id: 'service-selects-pods',
    title: 'every Service with a selector selects pods of a workload',
    run: (objs) =>
      objs
        .filter((o) => o.kind === 'Service' && o.spec?.selector)
        .flatMap((svc) =>
          selectsSomePod(objs, { matchLabels: svc.spec.selector }, svc.metadata?.namespace)
            ? []
            : [`${ref(svc)} selects no pod`],
        ),
  },
  {
    id: 'networkpolicy-selects-pods',
    title: 'every NetworkPolicy selects pods of a workload',
    run: (objs) =>
      objs
        .filter((o) => o.kind === 'NetworkPolicy')
        .flatMap((np) =>
          selectsSomePod(objs, np.spec?.podSelector, np.metadata?.namespace)
            ? []
            : [`${ref(np)} selects no pod`],
        ),
  },
  {
    id: 'app-networkpolicy',
    title:
      'NetworkPolicy: the app port only from private (VPC) ranges, the metrics port only from the monitoring namespace; no egress',
    run: (objs) =>
      withApp(objs, (w, c) => {
        const np = findObject(objs, 'NetworkPolicy', APP_NAME, w.obj.metadata?.namespace);
        if (!np) return ['no NetworkPolicy hello'];
        const out = [];
        const types = np.spec?.policyTypes ?? [];
        if (!types.includes('Ingress') || !types.includes('Egress'))
          out.push(`policyTypes ${JSON.stringify(types)} (need Ingress and Egress)`);
        if ((np.spec?.egress ?? []).length > 0) out.push('egress rules present (the server needs none)');
        const appPort = findPort(c, 'http')?.containerPort;
        const metricsPort = findPort(c, 'metrics')?.containerPort;
        const isApp = (p) => p.port === appPort || p.port === 'http';
        const isMetrics = (p) =>
          metricsPort !== undefined && (p.port === metricsPort || p.port === 'metrics');
        const ingress = np.spec?.ingress ?? [];
        if (!ingress.some((r) => (r.ports ?? []).some(isApp))) out.push('no ingress rule for the app port');
        if (metricsPort !== undefined && !ingress.some((r) => (r.ports ?? []).some(isMetrics)))
          out.push(`no ingress rule for the metrics port ${metricsPort} (Prometheus could not scrape)`);
        for (const [i, rule] of ingress.entries()) {
          const ports = rule.ports ?? [];
          if (ports.length === 0) out.push(`ingress[${i}] allows every port`);
          for (const p of ports)
            if (!isApp(p) && !isMetrics(p))
              out.push(
                `ingress[${i}] port ${p.port} is neither the app port ${appPort} nor the metrics port ${metricsPort}`,
              );
          const from = rule.from ?? [];
          if (from.length === 0) out.push(`ingress[${i}] allows every source`);
          if (ports.some(isApp) && ports.some(isMetrics))
            out.push(`ingress[${i}] admits the app and the metrics port from the same sources`);
          if (ports.some(isMetrics)) {
            // Only pods of the monitoring namespace: never an address range (the nodes, the ALB).
            for (const f of from) {
              const ns = f.namespaceSelector;
              const exact =
                ns &&
                Object.keys(ns).length === 1 &&
                JSON.stringify(ns.matchLabels) === JSON.stringify(MONITORING_NAMESPACE_SELECTOR);
              if (!exact)
                out.push(
                  `ingress[${i}] admits the metrics port from ${JSON.stringify(f)}, not only from the namespace ${JSON.stringify(MONITORING_NAMESPACE_SELECTOR)}`,
                );
            }
            continue;
          }
          for (const f of from) {
            if (!f.ipBlock) {
              out.push(`ingress[${i}] has a pod/namespace selector source`);
              continue;
            }
            const cidr = parseCidr(f.ipBlock.cidr);
            if (!cidr || !cidr.canonical)
              out.push(`ingress[${i}] cidr ${f.ipBlock.cidr} is not a canonical IPv4 CIDR`);
            else if (f.ipBlock.cidr === PLACEHOLDER_CIDR)
              out.push(`ingress[${i}] still has the base's placeholder ${PLACEHOLDER_CIDR}`);
            else if (!isPrivate(cidr))
              out.push(`ingress[${i}] cidr ${f.ipBlock.cidr} is not inside a private (VPC) range`);
          }
        }
        return out;
      }),
  },
  {
    id: 'app-metrics-port',
    title: `the container declares port "metrics" ${METRICS_PORT} (HELLO_METRICS_PORT, if set, agrees); no probe uses it`,
    run: (objs) =>
      withApp(objs, (w, c) => {
        const metrics = findPort(c, 'metrics');
        if (!metrics) return ['no container port named metrics'];
        const out = [];
        if (metrics.containerPort !== METRICS_PORT)
          out.push(`port metrics is ${metrics.containerPort}, the contract says ${METRICS_PORT}`);
        const { env } = appEnv(objs, w, c);
        if (env.HELLO_METRICS_PORT !== undefined && Number(env.HELLO_METRICS_PORT) !== metrics.containerPort)
          out.push(
            `HELLO_METRICS_PORT ${env.HELLO_METRICS_PORT} but port metrics is ${metrics.containerPort}`,
          );
        for (const p of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
          const port = c[p]?.httpGet?.port;
          if (port === 'metrics' || port === metrics.containerPort)
            out.push(`${p} uses the metrics port (probes belong on the app port)`);
        }
        return out;
      }),
  },
  {
    id: 'metrics-not-exposed',
    title:
      'the metrics port is on a ClusterIP (headless) Service only: no NodePort or LoadBalancer Service, so never the ALB, reaches it',
    run: (objs) =>
      withApp(objs, (w, c) => {
        const metricsPort = findPort(c, 'metrics')?.containerPort;
        const ns = w.obj.metadata?.namespace;
        const services = objs.filter(
          (o) =>
            o.kind === 'Service' &&
            (o.metadata?.namespace ?? undefined) === ns &&
            o.spec?.selector &&
            selectorMatches({ matchLabels: o.spec.selector }, w.podMeta.labels),
        );
        const toMetrics = (p) => {
          const t = p.targetPort ?? p.port;
          return t === 'metrics' || (metricsPort !== undefined && t === metricsPort);
        };
        const out = [];
        for (const svc of services) {
          const type = svc.spec.type ?? 'ClusterIP';
          for (const p of (svc.spec.ports ?? []).filter(toMetrics)) {
            if (type !== 'ClusterIP')
              out.push(
                `${ref(svc)} (${type}) exposes the metrics port as ${p.name ?? p.port}: every node would open a node port for it`,
              );
          }
        }
        const named = services
          .filter((svc) => (svc.spec.type ?? 'ClusterIP') === 'ClusterIP')
          .flatMap((svc) =>
            (svc.spec.ports ?? []).filter(
              (p) => p.name === 'metrics' && p.port === METRICS_PORT && toMetrics(p),
            ),
          );
        if (named.length === 0)
          out.push(`no ClusterIP Service has port "metrics" ${METRICS_PORT} -> the container's metrics port`);
        return out;
      }),
  },
  {
    id: 'service-contract',
    title: `Service hello: NodePort, port 80 "http" -> targetPort http, nodePort ${NODE_PORT}`,
    run: (objs) => {
      const svc = findObject(objs, 'Service', APP_NAME, APP_NAMESPACE);
      if (!svc) return ['no Service hello'];
      const out = [];
      if (svc.spec?.type !== 'NodePort') out.push(`type ${svc.spec?.type}`);
      const http = (svc.spec?.ports ?? []).find((p) => p.name === 'http');
      if (!http) return [...out, 'no port named http'];
      if (http.port !== 80) out.push(`port ${http.port}`);
      if (http.targetPort !== 'http') out.push(`targetPort ${http.targetPort}`);
      if (http.nodePort !== NODE_PORT) out.push(`nodePort ${http.nodePort}`);
      return out.map((v) => `Service hello: ${v}`);
    },
  },
  {
    id: 'node-port-range',
    title: 'node ports lie in 30000-32767',
    run: (objs) =>
      objs
        .filter((o) => o.kind === 'Service')
        .flatMap((svc) =>
          (svc.spec?.ports ?? [])
            .filter(
              (p) =>
                p.nodePort !== undefined &&
                !(isInt(p.nodePort) && p.nodePort >= 30000 && p.nodePort <= 32767),
            )
            .map((p) => `${ref(svc)}: nodePort ${p.nodePort} outside 30000-32767`),
        ),
  },
  {
    id: 'app-run-as-ids',
    title: `the server runs as UID/GID ${APP_USER} (the image's user)`,
    run: (objs) =>
      withApp(objs, (w, c) => {
        const uid = c.securityContext?.runAsUser ?? w.podSpec.securityContext?.runAsUser;
        const gid = c.securityContext?.runAsGroup ?? w.podSpec.securityContext?.runAsGroup;
        const out = [];
        if (uid !== APP_USER) out.push(`runAsUser ${uid}`);
        if (gid !== APP_USER) out.push(`runAsGroup ${gid}`);
        return out;
      }),
  },
  {
    id: 'app-service-account-token',
    title: 'no API token: automountServiceAccountToken false on the ServiceAccount and the pod',
    run: (objs) =>
      withApp(objs, (w) => {
        const out = [];
        if (w.podSpec.automountServiceAccountToken !== false)
          out.push('pod automountServiceAccountToken is not false');
        const sa = findObject(
          objs,
          'ServiceAccount',
          w.podSpec.serviceAccountName,
          w.obj.metadata?.namespace,
        );
        if (sa && sa.automountServiceAccountToken !== false)
          out.push(`ServiceAccount ${sa.metadata.name} automountServiceAccountToken is not false`);
        return out;
      }),
  },
  {
    id: 'app-no-service-links',
    title: 'enableServiceLinks: false (the Service "hello" would inject HELLO_PORT=tcp://...)',
    run: (objs) =>
      withApp(objs, (w) =>
        w.podSpec.enableServiceLinks === false ? [] : ['enableServiceLinks is not false'],
      ),
  },
  {
    id: 'app-probes',
    title: 'httpGet probes: startup, readiness /readyz, liveness /healthz',
    run: (objs) =>
      withApp(objs, (w, c) => {
        const out = [];
        if (!c.startupProbe?.httpGet) out.push('no httpGet startupProbe');
        if (c.readinessProbe?.httpGet?.path !== '/readyz') out.push(`readinessProbe is not httpGet /readyz`);
        if (c.livenessProbe?.httpGet?.path !== '/healthz')
          out.push(
            `livenessProbe is not httpGet /healthz (a draining pod's /readyz is 503 and must not be restarted)`,
          );
        return out;
      }),
  },
  {
    id: 'app-topology',
    title: 'spread over zones (maxSkew 1) and preferably over nodes',
    run: (objs) =>
      withApp(objs, (w) => {
        const out = [];
        const tsc = (w.podSpec.topologySpreadConstraints ?? []).find((t) => t.topologyKey === ZONE_KEY);
        if (!tsc) out.push(`no topologySpreadConstraint over ${ZONE_KEY}`);
        else {
          if (tsc.maxSkew !== 1) out.push(`zone maxSkew ${tsc.maxSkew}`);
          if (!selectorMatches(tsc.labelSelector, w.podMeta.labels))
            out.push('zone spread labelSelector does not select the pods');
        }
        const anti = (
          w.podSpec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []
        ).find(
          (p) =>
            p.podAffinityTerm?.topologyKey === HOST_KEY &&
            selectorMatches(p.podAffinityTerm.labelSelector, w.podMeta.labels),
        );
        if (!anti) out.push(`no preferred pod anti-affinity over ${HOST_KEY}`);
        return out;
      }),
  },
  {
    id: 'app-rolling-update',
    title: 'rolling update with no capacity loss: maxUnavailable 0, maxSurge 1, minReadySeconds > 0',
    run: (objs) =>
      withApp(objs, (w) => {
        const s = w.obj.spec ?? {};
        const out = [];
        if (!(isInt(s.minReadySeconds) && s.minReadySeconds > 0))
          out.push(`minReadySeconds ${s.minReadySeconds}`);
        if (w.obj.kind === 'StatefulSet') {
          if ((s.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate')
            out.push(`updateStrategy ${s.updateStrategy.type}`);
          return out;
        }
        if (s.strategy?.type !== 'RollingUpdate') out.push(`strategy ${s.strategy?.type}`);
        if (s.strategy?.rollingUpdate?.maxUnavailable !== 0)
          out.push(`maxUnavailable ${s.strategy?.rollingUpdate?.maxUnavailable}`);
        if (s.strategy?.rollingUpdate?.maxSurge !== 1)
          out.push(`maxSurge ${s.strategy?.rollingUpdate?.maxSurge}`);
        return out;
      }),
  },
  {
    id: 'app-prestop-sleep',
    title: 'preStop uses the built-in sleep action (the image has no shell)',
    run: (objs) =>
      withApp(objs, (w, c) => {
        const pre = c.lifecycle?.preStop;
        if (!pre) return ['no preStop hook'];
        if (pre.exec) return ['preStop exec needs a shell/binary the image does not have'];
        return isInt(pre.sleep?.seconds) && pre.sleep.seconds > 0
          ? []
          : ['preStop is not a sleep of > 0 seconds'];
      }),
  },
  {
    id: 'prestop-covers-endpoint-propagation',
    title: `preStop sleep >= ${ENDPOINT_PROPAGATION_BUDGET} s, the budget for a deleted pod's endpoint removal to reach every node (then SIGTERM)`,
    run: (objs) =>
      withApp(objs, (w, c) => {
        const pre = c.lifecycle?.preStop?.sleep?.seconds ?? 0;
        return pre >= ENDPOINT_PROPAGATION_BUDGET
          ? []
          : [
              `preStop sleep ${pre} s < ${ENDPOINT_PROPAGATION_BUDGET} s: nodes may still send new connections after SIGTERM`,
            ];
      }),
  },
  {
    id: 'drain-outlasts-alb-reuse',
    title: `drain delay >= the ALB's idle timeout (deploy/terraform/alb.tf, ${ALB_IDLE_TIMEOUT ?? 'unreadable'} s) + ${ALB_IDLE_MARGIN} s: the ALB has closed every connection pinned to the pod before the server closes one`,
    run: (objs) => (ALB_IDLE.error ? [ALB_IDLE.error] : drainAlbViolations(objs, ALB_IDLE_TIMEOUT)),
  },
  {
    id: 'grace-period-arithmetic',
    title: 'preStop sleep + drain delay + shutdown timeout < terminationGracePeriodSeconds',
    run: (objs) =>
      withApp(objs, (w, c) => {
        const { drain, shutdown } = appSettings(objs, w, c);
        const pre = c.lifecycle?.preStop?.sleep?.seconds ?? 0;
        const grace = w.podSpec.terminationGracePeriodSeconds ?? 30;
        if (Number.isNaN(drain) || Number.isNaN(shutdown))
          return ['HELLO_DRAIN_DELAY / HELLO_SHUTDOWN_TIMEOUT not resolvable'];
        const total = pre + drain + shutdown;
        return total < grace
          ? []
          : [
              `preStop ${pre} + drain ${drain} + shutdown ${shutdown} = ${total} >= terminationGracePeriodSeconds ${grace}`,
            ];
      }),
  },
  {
    id: 'app-config-from-configmap',
    title: 'HELLO_* settings come from a ConfigMap, none inline',
    run: (objs) =>
      withApp(objs, (w, c) => {
        const out = [];
        const { sources } = appEnv(objs, w, c);
        for (const e of c.env ?? [])
          if (e.name.startsWith('HELLO_') && !e.valueFrom?.configMapKeyRef)
            out.push(`env ${e.name} is not from a ConfigMap`);
        for (const k of ['HELLO_PORT', 'HELLO_DRAIN_DELAY', 'HELLO_SHUTDOWN_TIMEOUT']) {
          if (!String(sources[k] ?? '').startsWith('ConfigMap/'))
            out.push(`${k} does not come from a ConfigMap`);
        }
        return out;
      }),
  },
  {
    id: 'app-port-consistent',
    title:
      'HELLO_PORT = the "http" container port = the contract\'s; a prometheus.io/port annotation, if any, = the "metrics" container port',
    run: (objs) =>
      withApp(objs, (w, c) => {
        const { port } = appSettings(objs, w, c);
        const http = findPort(c, 'http');
        const out = [];
        if (!http) return ['no container port named http'];
        if (port !== http.containerPort)
          out.push(`HELLO_PORT ${port} but port http is ${http.containerPort}`);
        // The metrics port itself is app-metrics-port's: one check per property.
        const metrics = findPort(c, 'metrics');
        const ann = w.podMeta.annotations?.['prometheus.io/port'];
        if (ann !== undefined && metrics && Number(ann) !== metrics.containerPort)
          out.push(`prometheus.io/port ${ann} but port metrics is ${metrics.containerPort}`);
        if (http.containerPort !== APP_PORT)
          out.push(`port http is ${http.containerPort}, the contract says ${APP_PORT}`);
        return out;
      }),
  },
  {
    id: 'app-idle-timeout',
    title: `HELLO_IDLE_TIMEOUT > the ALB's ${ALB_IDLE_TIMEOUT ?? 'unreadable'} s idle timeout (else the ALB reuses connections the server closed: 502s)`,
    run: (objs) =>
      withApp(objs, (w, c) => {
        if (ALB_IDLE.error) return [ALB_IDLE.error];
        const { idle } = appSettings(objs, w, c);
        return idle > ALB_IDLE_TIMEOUT ? [] : [`HELLO_IDLE_TIMEOUT ${Number.isNaN(idle) ? 'unset' : idle}`];
      }),
  },
].map((c) => ({ ...c, profile: 'app' }));

// ---------------------------------------------------------------- per overlay

const overlayChecks = [
  {
    id: 'aws-image-by-digest',
    profile: 'aws',
    title: 'on AWS the server image is pinned by digest',
    run: (objs) =>
      withApp(objs, (w, c) =>
        /^sha256:[0-9a-f]{64}$/.test(parseImage(c.image).digest ?? '')
          ? []
          : [`image ${c.image} is not pinned by digest`],
      ),
  },
  {
    id: 'local-image-version',
    profile: 'local',
    title: 'locally the server image is hello-server:<VERSION> (what `make image` builds)',
    run: (objs) =>
      withApp(objs, (w, c) => {
        const want = `hello-server:${versionFile()}`;
        return c.image === want ? [] : [`image ${c.image}, want ${want}`];
      }),
  },
];

// ---------------------------------------------------------------- Prometheus Operator

const monitoringChecks = [
  {
    id: 'monitoring-servicemonitor',
    title:
      'a ServiceMonitor scrapes the app\'s metrics port through a ClusterIP Service, with the job "hello" the rules select',
    run: (objs) =>
      withApp(objs, (w, c) => {
        const ns = w.obj.metadata?.namespace;
        const monitors = objs.filter((o) => o.kind === 'ServiceMonitor' && o.metadata?.namespace === ns);
        if (monitors.length === 0) return [`no ServiceMonitor in namespace ${ns}`];
        return monitors.flatMap((sm) => {
          const out = [];
          const services = objs.filter(
            (o) =>
              o.kind === 'Service' &&
              o.metadata?.namespace === ns &&
              selectorMatches(sm.spec?.selector, o.metadata?.labels),
          );
          if (services.length !== 1)
            return [`${ref(sm)} selects ${services.length} Services (want the one with the metrics port)`];
          const svc = services[0];
          if ((svc.spec?.type ?? 'ClusterIP') !== 'ClusterIP')
            out.push(`${ref(sm)} selects ${ref(svc)} of type ${svc.spec.type}`);
          for (const e of sm.spec?.endpoints ?? []) {
            const port = (svc.spec?.ports ?? []).find((p) => p.name === e.port);
            if (!port) out.push(`${ref(sm)}: endpoint port ${e.port} is not a port of ${ref(svc)}`);
            else if (findPort(c, port.targetPort)?.containerPort !== findPort(c, 'metrics')?.containerPort)
              out.push(`${ref(sm)}: endpoint port ${e.port} does not lead to the container's metrics port`);
          }
          if ((sm.spec?.endpoints ?? []).length === 0) out.push(`${ref(sm)} has no endpoints`);
          const job = sm.spec?.jobLabel ? svc.metadata?.labels?.[sm.spec.jobLabel] : svc.metadata?.name;
          if (job !== APP_NAME)
            out.push(`${ref(sm)}: job would be ${job}, the rules select job="${APP_NAME}"`);
          return out;
        });
      }),
  },
  {
    id: 'monitoring-prometheusrule',
    title:
      "a PrometheusRule in the app's namespace whose rules select that namespace, every alert with a runbook_url",
    run: (objs) =>
      withApp(objs, (w) => {
        const ns = w.obj.metadata?.namespace;
        const rules = objs.filter((o) => o.kind === 'PrometheusRule');
        if (rules.length === 0) return ['no PrometheusRule'];
        const out = [];
        for (const pr of rules) {
          if (pr.metadata?.namespace !== ns) out.push(`${ref(pr)} is not in the app's namespace ${ns}`);
          for (const rule of (pr.spec?.groups ?? []).flatMap((g) => g.rules ?? [])) {
            const name = rule.alert ?? rule.record;
            for (const m of String(rule.expr).matchAll(/namespace\s*=\s*"([^"]*)"/g)) {
              if (m[1] !== ns)
                out.push(`${ref(pr)} ${name}: selects namespace="${m[1]}", the app runs in ${ns}`);
            }
            if (rule.alert && !rule.annotations?.runbook_url) out.push(`${ref(pr)} ${name}: no runbook_url`);
          }
        }
        return out;
      }),
  },
].map((c) => ({ ...c, profile: 'monitoring' }));

// ---------------------------------------------------------------- cluster autoscaler

function withCa(objs, fn) {
  const d = findObject(objs, 'Deployment', 'cluster-autoscaler', 'kube-system');
  if (!d) return ['no Deployment kube-system/cluster-autoscaler'];
  const c = d.spec?.template?.spec?.containers?.[0];
  if (!c) return ['cluster-autoscaler: no container'];
  return fn(d, c).map((v) => `${ref(d)}: ${v}`);
}

/** ca-version against a given cluster minor ("1.35"): the upstream image at a v<minor>.<patch> tag. */
export function caVersionViolations(objs, clusterMinor) {
  return withCa(objs, (d, c) => {
    const { name, tag } = parseImage(c.image);
    const out = [];
    if (name !== CA_IMAGE) out.push(`image ${name} is not the upstream image`);
    const m = /^v(\d+\.\d+)\.\d+$/.exec(tag ?? '');
    if (!m) out.push(`tag ${tag} is not a release tag v<major>.<minor>.<patch>`);
    else if (m[1] !== clusterMinor)
      out.push(
        `tag ${tag} is for Kubernetes ${m[1]}, the cluster runs ${clusterMinor} (deploy/terraform/variables.tf kubernetes_version)`,
      );
    return out;
  });
}

const caChecks = [
  {
    id: 'ca-auto-discovery',
    title: 'AWS auto-discovery by the cluster tag; cluster name and region from ConfigMap cluster-autoscaler',
    run: (objs) =>
      withCa(objs, (d, c) => {
        const args = [...(c.command ?? []), ...(c.args ?? [])];
        const out = [];
        if (!args.includes('--cloud-provider=aws')) out.push('no --cloud-provider=aws');
        const want =
          '--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/$(CLUSTER_NAME)';
        if (!args.includes(want)) out.push(`no ${want}`);
        const fromCm = (name, key) =>
          (c.env ?? []).some(
            (e) =>
              e.name === name &&
              e.valueFrom?.configMapKeyRef?.name === 'cluster-autoscaler' &&
              e.valueFrom.configMapKeyRef.key === key,
          );
        if (!fromCm('CLUSTER_NAME', 'cluster-name'))
          out.push('env CLUSTER_NAME is not ConfigMap cluster-autoscaler key cluster-name');
        if (!fromCm('AWS_REGION', 'aws-region'))
          out.push('env AWS_REGION is not ConfigMap cluster-autoscaler key aws-region');
        return out;
      }),
  },
  {
    id: 'ca-version',
    title: `the autoscaler's minor version matches the Terraform default kubernetes_version (${CLUSTER_VERSION.minor ?? 'unreadable'})`,
    run: (objs) =>
      CLUSTER_VERSION.error ? [CLUSTER_VERSION.error] : caVersionViolations(objs, CLUSTER_VERSION.minor),
  },
  {
    id: 'ca-pod-identity',
    title:
      'credentials by EKS Pod Identity: ServiceAccount kube-system/cluster-autoscaler without an IRSA role annotation',
    run: (objs) =>
      withCa(objs, (d) => {
        const sa = findObject(objs, 'ServiceAccount', 'cluster-autoscaler', 'kube-system');
        if (d.spec.template.spec.serviceAccountName !== 'cluster-autoscaler')
          return [
            `serviceAccountName ${d.spec.template.spec.serviceAccountName} (the Pod Identity association names cluster-autoscaler)`,
          ];
        if (!sa) return ['no ServiceAccount kube-system/cluster-autoscaler'];
        // IRSA's web identity variables come first in the SDK's credential chain and would shadow Pod Identity.
        return sa.metadata.annotations?.['eks.amazonaws.com/role-arn']
          ? ['ServiceAccount has an eks.amazonaws.com/role-arn (IRSA) annotation']
          : [];
      }),
  },
].map((c) => ({ ...c, profile: 'ca' }));

// ---------------------------------------------------------------- objects

const objectChecks = [
  {
    id: 'schema',
    title:
      "every object validates against the Kubernetes schema of kubernetes-models 4.5.1 (API 1.33), the Prometheus Operator's kinds against its CRDs (@kubernetes-models/prometheus-operator 5.0.1)",
    run: (objs) => objs.flatMap((o) => schemaErrors(o).map((e) => `${ref(o)}: ${e}`)),
  },
  {
    id: 'unknown-fields',
    title:
      'no unknown or misspelled field (typed round trip through @kubernetes/client-node; not for custom resources)',
    run: (objs) => objs.flatMap((o) => unknownFields(o).map((p) => `${ref(o)}: unknown field ${p}`)),
  },
].map((c) => ({ ...c, profile: 'all' }));

export const CHECKS = [
  ...objectChecks,
  ...pssChecks,
  ...workloadChecks,
  ...appChecks,
  ...overlayChecks,
  ...monitoringChecks,
  ...caChecks,
];

/** Runs every check of the given profiles; returns [{id, title, violations}]. */
export function runChecks(objects, profiles) {
  return CHECKS.filter((c) => profiles.includes(c.profile)).map((c) => {
    let violations;
    try {
      violations = c.run(objects);
    } catch (err) {
      violations = [`check crashed: ${err.stack ?? err}`];
    }
    return { id: c.id, title: c.title, violations };
  });
}

export { parseCidr };
