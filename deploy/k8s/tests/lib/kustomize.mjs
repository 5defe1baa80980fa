// Renders a kustomization with the kubectl's built-in Kustomize and parses the result.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

export const K8S_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const REPO_ROOT = path.resolve(K8S_DIR, '../..');

const KUBECTL = process.env.KUBECTL || 'kubectl';

/** Multi-document YAML text -> plain objects (empty documents dropped). */
export function parseAll(text) {
  const objects = [];
  for (const doc of YAML.parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      throw new Error(`YAML error: ${doc.errors.map((e) => e.message).join('; ')}`);
    }
    const value = doc.toJS();
    if (value !== null && value !== undefined) objects.push(value);
  }
  return objects;
}

/** `kubectl kustomize DIR` as a list of objects; throws with kubectl's message on failure. */
export function render(dir) {
  let out;
  try {
    out = execFileSync(KUBECTL, ['kustomize', dir], {
      encoding: 'utf8',
      maxBuffer: 32 * 1024 * 1024,
      timeout: 60_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const detail = (err.stderr || err.message || '').toString().trim();
    throw new Error(`kubectl kustomize ${dir} failed: ${detail}`);
  }
  return parseAll(out);
}

/** The directories the project ships, each with the checks that apply to it. */
export const RENDERS = {
  local: { dir: path.join(K8S_DIR, 'overlays/local'), profiles: ['all', 'pss', 'workload', 'app', 'local'] },
  aws: { dir: path.join(K8S_DIR, 'overlays/aws'), profiles: ['all', 'pss', 'workload', 'app', 'aws'] },
  'aws-monitoring': {
    dir: path.join(K8S_DIR, 'overlays/aws-monitoring'),
    profiles: ['all', 'pss', 'workload', 'app', 'aws', 'monitoring'],
  },
  stateful: {
    dir: path.join(K8S_DIR, 'tests/fixtures/stateful'),
    profiles: ['all', 'pss', 'workload', 'app', 'local'],
  },
  ca: { dir: path.join(K8S_DIR, 'cluster-autoscaler'), profiles: ['all', 'pss', 'workload', 'ca'] },
};

/** What prepare-aws-overlay produces: the aws overlay and the autoscaler together. */
export const PREPARED_PROFILES = ['all', 'pss', 'workload', 'app', 'aws', 'ca'];
