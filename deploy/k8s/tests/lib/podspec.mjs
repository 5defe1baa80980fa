// Turns the hello pod of a rendered overlay into what the pod contract test needs to run the image
// the way the kubelet would: user, filesystem, capabilities, environment, probes and the shutdown
// timeline. Anything it cannot reproduce with `docker run` is an error, not silently dropped.
//
// CLI: node podspec.mjs OVERLAY_DIR   prints the contract as JSON (used by tests/pod-contract).
import { fileURLToPath } from 'node:url';
import { render } from './kustomize.mjs';
import { appWorkloads, containers, findPort, parseQuantity, resolveEnv } from './objects.mjs';

function probe(c, kind, problems) {
  const p = c[kind];
  if (!p) {
    problems.push(`no ${kind}`);
    return undefined;
  }
  if (!p.httpGet) {
    problems.push(`${kind} is not httpGet`);
    return undefined;
  }
  const port = findPort(c, p.httpGet.port);
  if (!port) {
    problems.push(`${kind} port ${p.httpGet.port} is not a container port`);
    return undefined;
  }
  return {
    path: p.httpGet.path ?? '/',
    port: port.containerPort,
    scheme: p.httpGet.scheme ?? 'HTTP',
    initialDelaySeconds: p.initialDelaySeconds ?? 0,
    periodSeconds: p.periodSeconds ?? 10,
    timeoutSeconds: p.timeoutSeconds ?? 1,
    failureThreshold: p.failureThreshold ?? 3,
  };
}

/** The contract of the single hello pod in a list of rendered objects. Throws on what it cannot model. */
export function podContract(objects) {
  const apps = appWorkloads(objects);
  if (apps.length !== 1) throw new Error(`expected one hello workload, found ${apps.length}`);
  const w = apps[0];
  const spec = w.podSpec;
  const problems = [];
  if (containers(spec).length !== 1)
    problems.push('the pod must have exactly one container to be reproduced with docker run');
  const c = spec.containers?.[0] ?? {};
  const psc = spec.securityContext ?? {};
  const csc = c.securityContext ?? {};
  const { env, problems: envProblems } = resolveEnv(objects, w.obj.metadata?.namespace, c);
  problems.push(...envProblems);
  for (const [k, v] of Object.entries(env))
    if (v === undefined) problems.push(`env ${k} is only known at runtime`);
  if (c.command || c.args) problems.push('command/args are not modelled (the image entrypoint is used)');
  if ((c.volumeMounts ?? []).length > 0) problems.push('volume mounts are not modelled');
  const uid = csc.runAsUser ?? psc.runAsUser;
  const gid = csc.runAsGroup ?? psc.runAsGroup;
  if (!Number.isInteger(uid) || !Number.isInteger(gid))
    problems.push('runAsUser/runAsGroup must be set explicitly');
  const startup = probe(c, 'startupProbe', problems);
  const readiness = probe(c, 'readinessProbe', problems);
  const liveness = probe(c, 'livenessProbe', problems);
  const preStop = c.lifecycle?.preStop?.sleep?.seconds;
  if (!Number.isInteger(preStop)) problems.push('preStop is not a sleep action');
  const drainDelay = Number(env.HELLO_DRAIN_DELAY);
  const shutdownTimeout = Number(env.HELLO_SHUTDOWN_TIMEOUT);
  if (!Number.isFinite(drainDelay) || !Number.isFinite(shutdownTimeout))
    problems.push('HELLO_DRAIN_DELAY/HELLO_SHUTDOWN_TIMEOUT unresolved');
  if (problems.length > 0) throw new Error(`cannot model the pod: ${problems.join('; ')}`);
  const memory = c.resources?.limits?.memory;
  return {
    workload: `${w.obj.kind}/${w.obj.metadata.name}`,
    image: c.image,
    user: uid,
    group: gid,
    readOnlyRootFilesystem: csc.readOnlyRootFilesystem === true,
    noNewPrivileges: csc.allowPrivilegeEscalation === false,
    capDrop: csc.capabilities?.drop ?? [],
    capAdd: csc.capabilities?.add ?? [],
    memoryLimitBytes: memory === undefined ? undefined : parseQuantity(memory),
    env,
    ports: (c.ports ?? []).map((p) => p.containerPort),
    probes: { startup, readiness, liveness },
    preStopSeconds: preStop,
    terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds ?? 30,
    drainDelaySeconds: drainDelay,
    shutdownTimeoutSeconds: shutdownTimeout,
  };
}

/** `docker run` arguments (before the image) that reproduce the pod's security settings and env. */
export function dockerRunArgs(contract) {
  const args = ['--user', `${contract.user}:${contract.group}`];
  if (contract.readOnlyRootFilesystem) args.push('--read-only');
  for (const cap of contract.capDrop) args.push('--cap-drop', cap);
  for (const cap of contract.capAdd) args.push('--cap-add', cap);
  if (contract.noNewPrivileges) args.push('--security-opt', 'no-new-privileges');
  if (contract.memoryLimitBytes !== undefined)
    args.push('--memory', String(Math.floor(contract.memoryLimitBytes)));
  for (const [k, v] of Object.entries(contract.env).sort()) args.push('--env', `${k}=${v}`);
  return args;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: node podspec.mjs OVERLAY_DIR\n');
    process.exit(2);
  }
  try {
    process.stdout.write(`${JSON.stringify(podContract(render(dir)), null, 2)}\n`);
  } catch (err) {
    process.stderr.write(`podspec: ${err.message}\n`);
    process.exit(1);
  }
}
