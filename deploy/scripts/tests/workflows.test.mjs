// Policy checks of the GitHub workflows: least-privilege permissions, a timeout
// on every job, pinned actions, no credentials for pull requests, no script
// injection, and a deploy that waits for an approved environment. Every check
// is also run on a broken fixture to show that it can fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const WORKFLOWS = join(ROOT, '.github', 'workflows');
const MAX_TIMEOUT_MINUTES = 120;
// A write scope is allowed only with its reason: id-token for AWS through OIDC.
const WRITE_SCOPES_NEED = { 'id-token': 'aws-actions/configure-aws-credentials' };

function load(text) {
  const doc = YAML.parse(text);
  assert.equal(typeof doc, 'object', 'a workflow is a mapping');
  return doc;
}

function triggers(doc) {
  const on = doc.on ?? doc[true]; // YAML 1.1 readers turn a bare `on` into true
  if (typeof on === 'string') return [on];
  if (Array.isArray(on)) return on;
  return Object.keys(on ?? {});
}

function steps(job) {
  return Array.isArray(job.steps) ? job.steps : [];
}

export function checkTopLevelPermissions(doc) {
  const p = doc.permissions;
  if (p === undefined) return ['no top-level permissions (the default token can write)'];
  if (p === 'read-all') return [];
  if (typeof p === 'string') return [`top-level permissions: ${p}`];
  return Object.entries(p)
    .filter(([, level]) => level !== 'read' && level !== 'none')
    .map(([scope, level]) => `top-level permissions grant ${scope}: ${level}`);
}

export function checkJobPermissions(doc) {
  const problems = [];
  for (const [name, job] of Object.entries(doc.jobs ?? {})) {
    const p = job.permissions;
    if (p === undefined) {
      problems.push(`job ${name} has no permissions block`);
      continue;
    }
    if (typeof p === 'string') {
      if (p !== 'read-all') problems.push(`job ${name} permissions: ${p}`);
      continue;
    }
    for (const [scope, level] of Object.entries(p)) {
      if (level === 'read' || level === 'none') continue;
      const needs = WRITE_SCOPES_NEED[scope];
      const uses = steps(job).map((s) => s.uses ?? '');
      if (!needs || !uses.some((u) => u.startsWith(`${needs}@`))) {
        problems.push(`job ${name} grants ${scope}: ${level} without a step that needs it`);
      }
    }
  }
  return problems;
}

export function checkTimeouts(doc) {
  const problems = [];
  for (const [name, job] of Object.entries(doc.jobs ?? {})) {
    const t = job['timeout-minutes'];
    if (!Number.isInteger(t) || t <= 0 || t > MAX_TIMEOUT_MINUTES) {
      problems.push(`job ${name} timeout-minutes is ${t} (want 1..${MAX_TIMEOUT_MINUTES})`);
    }
  }
  return problems;
}

// Untrusted code from a pull request must never get a token that can write,
// nor AWS credentials; pull_request_target would run with the base's secrets.
export function checkPullRequests(doc) {
  const on = triggers(doc);
  if (on.includes('pull_request_target')) return ['pull_request_target runs untrusted code with secrets'];
  if (!on.includes('pull_request')) return [];
  const problems = [];
  for (const [name, job] of Object.entries(doc.jobs ?? {})) {
    for (const [scope, level] of Object.entries(typeof job.permissions === 'object' ? job.permissions : {})) {
      if (level === 'write') problems.push(`job ${name} runs on pull requests with ${scope}: write`);
    }
    if (steps(job).some((s) => (s.uses ?? '').startsWith('aws-actions/configure-aws-credentials@'))) {
      problems.push(`job ${name} gets AWS credentials on pull requests`);
    }
    if (JSON.stringify(job).includes('secrets.')) problems.push(`job ${name} reads secrets on pull requests`);
  }
  return problems;
}

// Every action by full commit SHA with the release in a comment, or by tag with
// a comment saying why; local actions are part of the repository.
export function checkPins(text) {
  const problems = [];
  for (const [index, line] of text.split('\n').entries()) {
    const m = line.match(/^\s*(?:-\s*)?uses:\s*([^\s#]+)\s*(#.*)?$/);
    if (!m) continue;
    const [, ref, comment] = m;
    if (ref.startsWith('./')) continue;
    const at = ref.lastIndexOf('@');
    const version = at < 0 ? '' : ref.slice(at + 1);
    if (/^[0-9a-f]{40}$/.test(version)) {
      if (!comment || !/v?\d+(\.\d+)*/.test(comment)) {
        problems.push(`line ${index + 1}: ${ref} has no version comment`);
      }
    } else if (!version || ['main', 'master', 'latest'].includes(version)) {
      problems.push(`line ${index + 1}: ${ref} follows a moving reference`);
    } else if (!comment || !/tag/i.test(comment)) {
      problems.push(`line ${index + 1}: ${ref} is pinned by tag without saying why`);
    }
  }
  return problems;
}

export function checkCheckoutCredentials(doc) {
  const problems = [];
  for (const [name, job] of Object.entries(doc.jobs ?? {})) {
    for (const s of steps(job)) {
      if ((s.uses ?? '').startsWith('actions/checkout@') && s.with?.['persist-credentials'] !== false) {
        problems.push(`job ${name}: checkout keeps the token in .git/config (set persist-credentials: false)`);
      }
    }
  }
  return problems;
}

// ${{ github.event.* }} in a script is text an outsider controls (titles, branch names).
export function checkScriptInjection(doc) {
  const problems = [];
  for (const [name, job] of Object.entries(doc.jobs ?? {})) {
    for (const s of steps(job)) {
      if (typeof s.run === 'string' && /\$\{\{\s*(github\.event\.|github\.head_ref|inputs\.)/.test(s.run)) {
        problems.push(`job ${name}: a run script interpolates untrusted input; pass it through env`);
      }
    }
  }
  return problems;
}

// The job that runs deploy/scripts/deploy: main only, behind an environment (its required
// reviewers approve), non-interactive with --yes, after the image is pushed. A shell comment
// naming the script is not a run of it.
const RUNS_DEPLOY = /^[^#\n]*\bdeploy\/scripts\/deploy(?=\s|$)/m;
export function checkDeployJob(doc) {
  const problems = [];
  for (const [name, job] of Object.entries(doc.jobs ?? {})) {
    const runs = steps(job).map((s) => s.run ?? '').join('\n');
    if (!RUNS_DEPLOY.test(runs)) continue;
    if (!/--yes/.test(runs)) problems.push(`job ${name} runs deploy/scripts/deploy without --yes`);
    if (!job.environment) problems.push(`job ${name} deploys without an environment (no approval)`);
    if (!String(job.if ?? '').includes("github.ref == 'refs/heads/main'")) {
      problems.push(`job ${name} deploys from refs other than main`);
    }
    if (triggers(doc).some((t) => t.startsWith('pull_request'))) problems.push(`job ${name} deploys on pull requests`);
  }
  return problems;
}

const CHECKS = [
  ['top-level permissions are empty or read-only', (doc) => checkTopLevelPermissions(doc)],
  ['every job declares least-privilege permissions', (doc) => checkJobPermissions(doc)],
  ['every job has a timeout', (doc) => checkTimeouts(doc)],
  ['pull requests get no write token, secrets or AWS credentials', (doc) => checkPullRequests(doc)],
  ['actions are pinned', (doc, text) => checkPins(text)],
  ['checkout does not persist the token', (doc) => checkCheckoutCredentials(doc)],
  ['no untrusted input in run scripts', (doc) => checkScriptInjection(doc)],
  ['deploy runs on main, approved, with --yes', (doc) => checkDeployJob(doc)],
];

const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).sort();

test('the workflows exist: ci (pull requests) and deploy (main)', () => {
  assert.deepEqual(files, ['ci.yml', 'deploy.yml']);
  const ci = load(readFileSync(join(WORKFLOWS, 'ci.yml'), 'utf8'));
  assert.ok(triggers(ci).includes('pull_request'));
  const deploy = load(readFileSync(join(WORKFLOWS, 'deploy.yml'), 'utf8'));
  assert.deepEqual(deploy.on.push.branches, ['main']);
});

for (const file of files) {
  const text = readFileSync(join(WORKFLOWS, file), 'utf8');
  const doc = load(text);
  for (const [name, check] of CHECKS) {
    test(`${file}: ${name}`, () => {
      assert.deepEqual(check(doc, text), []);
    });
  }
}

test('ci.yml runs what make test runs, plus hadolint, shellcheck, Terraform tools, kubeconform, Trivy', () => {
  const text = readFileSync(join(WORKFLOWS, 'ci.yml'), 'utf8');
  for (const needle of [
    'bash .ci/run',
    'hadolint/hadolint-action@',
    'deploy/scripts/tests/bats-suite scripts',
    'deploy/terraform/tests/tf-validate --require-all',
    'kubeconform -strict',
    'make image',
    'trivy image',
    'make tools-image',
  ]) {
    assert.ok(text.includes(needle), `ci.yml lacks ${needle}`);
  }
});

test('deploy.yml pushes through OIDC with the role from a repository variable, then deploys', () => {
  const doc = load(readFileSync(join(WORKFLOWS, 'deploy.yml'), 'utf8'));
  const push = doc.jobs['push-image'];
  const login = push.steps.find((s) => (s.uses ?? '').startsWith('aws-actions/configure-aws-credentials@'));
  assert.equal(login.with['role-to-assume'], '${{ vars.AWS_ROLE_ARN }}');
  assert.equal(push.permissions['id-token'], 'write');
  assert.ok(JSON.stringify(push).includes('deploy/scripts/push-image'));
  assert.deepEqual(doc.jobs.deploy.needs, 'push-image');
  assert.ok(!JSON.stringify(doc).includes('aws-access-key-id'), 'no stored AWS keys');
});

// --- the checks fail on broken fixtures ------------------------------------------

const GOOD = `
name: fixture
on:
  pull_request:
  push:
    branches: [main]
permissions: {}
jobs:
  build:
    runs-on: ubuntu-24.04
    timeout-minutes: 10
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - run: make test
`;

function problems(text) {
  const doc = load(text);
  return CHECKS.flatMap(([, check]) => check(doc, text));
}

test('fixture: the valid workflow passes every check', () => {
  assert.deepEqual(problems(GOOD), []);
});

const BROKEN = [
  ['no top-level permissions', GOOD.replace('permissions: {}\n', ''), /no top-level permissions/],
  ['write-all at the top', GOOD.replace('permissions: {}', 'permissions: write-all'), /top-level permissions: write-all/],
  ['a job without permissions', GOOD.replace('    permissions:\n      contents: read\n', ''), /job build has no permissions block/],
  ['contents: write', GOOD.replace('contents: read', 'contents: write'), /grants contents: write without a step/],
  ['no timeout', GOOD.replace('    timeout-minutes: 10\n', ''), /timeout-minutes is undefined/],
  ['id-token on pull requests', GOOD.replace('contents: read', "contents: read\n      id-token: write"), /runs on pull requests with id-token: write/],
  ['pull_request_target', GOOD.replace('  pull_request:\n', '  pull_request_target:\n'), /pull_request_target/],
  ['a tag without a reason', GOOD.replace('actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2', 'actions/checkout@v4'), /pinned by tag without saying why/],
  ['a branch', GOOD.replace('actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2', 'actions/checkout@main'), /moving reference/],
  ['a SHA without its version', GOOD.replace(' # v4.2.2', ''), /has no version comment/],
  ['a persisted token', GOOD.replace('persist-credentials: false', 'persist-credentials: true'), /persist-credentials: false/],
  ['script injection', GOOD.replace('run: make test', 'run: echo "${{ github.event.pull_request.title }}"'), /interpolates untrusted input/],
  [
    'a deploy without approval',
    GOOD.replace('run: make test', 'run: deploy/scripts/deploy --env dev'),
    /without --yes[\s\S]*without an environment/,
  ],
];

for (const [name, text, expected] of BROKEN) {
  test(`fixture: ${name} is rejected`, () => {
    assert.match(problems(text).join('\n'), expected);
  });
}

test('fixture: a comment naming deploy/scripts/deploy is not a deploy job', () => {
  const text = GOOD.replace('run: make test', 'run: |\n          # what deploy/scripts/deploy applies\n          make test');
  assert.deepEqual(problems(text), []);
  assert.match(problems(GOOD.replace('run: make test', 'run: |\n          make test\n          deploy/scripts/deploy --env dev')).join('\n'), /without --yes/);
});

test('fixture: a tag pin with its reason is accepted', () => {
  const text = GOOD.replace(
    'actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2',
    'actions/checkout@v4.2.2 # tag: the SHA could not be established',
  );
  assert.deepEqual(checkPins(text), []);
});

// kubeconform validates against the cluster's Kubernetes version: the default of Terraform's
// kubernetes_version, read with HashiCorp's HCL parser.
export async function checkKubeconformVersion(ciText, variablesText) {
  const { parse } = await import('@cdktf/hcl2json');
  const cluster = (await parse('variables.tf', variablesText)).variable?.kubernetes_version?.[0]?.default;
  if (!/^1\.\d+$/.test(cluster ?? '')) return [`variables.tf: kubernetes_version has no default of the form 1.N (found ${cluster})`];
  const versions = [...ciText.matchAll(/kubeconform [^\n]*-kubernetes-version[ =](\S+)/g)].map((m) => m[1]);
  if (versions.length === 0) return ['ci.yml: no kubeconform -kubernetes-version'];
  return versions.filter((v) => !new RegExp(`^${cluster.replace('.', '\\.')}\\.\\d+$`).test(v))
    .map((v) => `ci.yml: kubeconform -kubernetes-version ${v}, the cluster runs ${cluster}`);
}

test('ci.yml: kubeconform validates against the Terraform default kubernetes_version', async () => {
  const ci = readFileSync(join(WORKFLOWS, 'ci.yml'), 'utf8');
  const variables = readFileSync(join(ROOT, 'deploy', 'terraform', 'variables.tf'), 'utf8');
  assert.deepEqual(await checkKubeconformVersion(ci, variables), []);
});

test('fixture: kubeconform at another minor than the cluster is rejected', async () => {
  const ci = 'run: kubectl kustomize x | kubeconform -strict -summary -kubernetes-version 1.33.0\n';
  const variables = 'variable "kubernetes_version" {\n  type    = string\n  default = "1.35"\n}\n';
  assert.deepEqual(await checkKubeconformVersion(ci, variables), ['ci.yml: kubeconform -kubernetes-version 1.33.0, the cluster runs 1.35']);
  assert.equal((await checkKubeconformVersion('kubeconform -strict x\n', variables)).length, 1);
  assert.equal((await checkKubeconformVersion(ci, 'variable "kubernetes_version" {}\n')).length, 1);
});
