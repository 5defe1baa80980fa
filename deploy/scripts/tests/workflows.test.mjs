// Policy checks of the GitHub workflows: least-privilege permissions, a timeout
// on every job, pinned actions, no credentials for pull requests, no script
// injection, and the pipeline: deploy only after CI passed for the same commit,
// the saved plan approved and applied, promotion by digest, automatic rollback,
// one deploy per environment, never --api-cidr. Every check is also run on a
// broken fixture to show that it can fail.
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

// A job that calls a reusable workflow grants what the called jobs need.
function calledWorkflow(job) {
  const m = /^\.\/\.github\/workflows\/(.+\.ya?ml)$/.exec(job.uses ?? '');
  return m ? load(readFileSync(join(WORKFLOWS, m[1]), 'utf8')) : null;
}

export function checkJobPermissions(doc) {
  const problems = [];
  for (const [name, job] of Object.entries(doc.jobs ?? {})) {
    const p = job.permissions;
    const called = job.uses ? calledWorkflow(job) : null;
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
      const jobs = called ? Object.values(called.jobs ?? {}) : [job];
      const uses = jobs.flatMap((j) => steps(j).map((s) => s.uses ?? ''));
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
    if (job.uses) continue; // a reusable workflow's own jobs carry their timeouts
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
    if (mainPushOnly(job)) continue;
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

// A job whose condition requires a push to main never runs for a pull request.
function mainPushOnly(job) {
  const condition = String(job.if ?? '');
  return (
    /github\.event_name == 'push'/.test(condition) &&
    /github\.ref == 'refs\/heads\/main'/.test(condition) &&
    !/\|\|/.test(condition)
  );
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
        problems.push(
          `job ${name}: checkout keeps the token in .git/config (set persist-credentials: false)`,
        );
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

// A job that changes an environment with deploy/scripts/deploy: behind an environment (its
// required reviewers approve), non-interactive with --yes, applying a saved plan. A shell
// comment naming the script is not a run of it.
const RUNS_DEPLOY = /^[^#\n]*\bdeploy\/scripts\/deploy(?=\s|$)/m;
export function checkDeployJob(doc) {
  const problems = [];
  for (const [name, job] of Object.entries(doc.jobs ?? {})) {
    const runs = steps(job)
      .map((s) => s.run ?? '')
      .join('\n');
    if (!RUNS_DEPLOY.test(runs) || /--plan-only/.test(runs)) continue;
    if (!/--yes/.test(runs)) problems.push(`job ${name} runs deploy/scripts/deploy without --yes`);
    if (!job.environment) problems.push(`job ${name} deploys without an environment (no approval)`);
    if (!/--apply-plan/.test(runs)) problems.push(`job ${name} deploys without applying a saved plan`);
    if (triggers(doc).some((t) => t.startsWith('pull_request')))
      problems.push(`job ${name} deploys on pull requests`);
  }
  return problems;
}

// A person's temporary API access (--api-cidr, the endpoint variables) never happens in CI.
export function checkNoApiAccess(text) {
  const problems = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (/^\s*#/.test(line)) continue;
    if (/--api-cidr/.test(line)) problems.push(`line ${index + 1}: --api-cidr in a workflow`);
    if (/cluster_endpoint_public_access/.test(line))
      problems.push(`line ${index + 1}: sets the API endpoint access`);
  }
  return problems;
}

// --- the pipeline: deploy.yml and deploy-environment.yml together ------------------

const stepRuns = (job) =>
  steps(job)
    .map((s) => s.run ?? '')
    .join('\n');
const stepUses = (job, action) => steps(job).find((s) => (s.uses ?? '').startsWith(`${action}@`));

// deploy.yml starts only after ci.yml passed on main, for that commit, and checks it out.
export function checkGating(deploy) {
  const problems = [];
  const on = deploy.on ?? deploy[true] ?? {};
  const run = on.workflow_run;
  if (!run) return ['deploy.yml is not started by workflow_run of ci'];
  if (!(run.workflows ?? []).includes('ci')) problems.push('workflow_run does not name the ci workflow');
  if (JSON.stringify(run.types) !== '["completed"]') problems.push('workflow_run types is not [completed]');
  if (JSON.stringify(run.branches) !== '["main"]') problems.push('workflow_run is not limited to main');
  if (on.push) problems.push('deploy.yml also starts on push (without waiting for CI)');
  const gate = Object.values(deploy.jobs ?? {}).find((j) => !j.needs && !j.uses);
  if (!gate) return [...problems, 'no first job without needs (the gate)'];
  const condition = String(gate.if ?? '');
  if (!/github\.event\.workflow_run\.conclusion == 'success'/.test(condition))
    problems.push('the gate does not require CI conclusion success');
  if (!/github\.event\.workflow_run\.head_branch == 'main'/.test(condition))
    problems.push('the gate does not require main');
  if (!/workflow_dispatch' && github\.ref == 'refs\/heads\/main'/.test(condition))
    problems.push("a person's start is not limited to main");
  if (!JSON.stringify(gate).includes('github.event.workflow_run.head_sha'))
    problems.push('the gate does not take the commit from workflow_run.head_sha');
  if (!/gh run list[^\n]*--workflow ci\.yml[^\n]*--commit/.test(stepRuns(gate)))
    problems.push("a person's start does not check CI's result for the commit");
  const checkout = stepUses(gate, 'actions/checkout');
  if (!/steps\.commit\.outputs\.sha/.test(checkout?.with?.ref ?? ''))
    problems.push('the gate does not check out the commit CI passed');
  for (const [name, job] of Object.entries(deploy.jobs ?? {})) {
    if (job.uses && job.with?.sha !== '${{ needs.gate.outputs.sha }}')
      problems.push(`job ${name} deploys another commit than the gate's`);
    if (job.uses && !(Array.isArray(job.needs) ? job.needs : [job.needs]).includes('gate'))
      problems.push(`job ${name} does not need the gate`);
  }
  return problems;
}

// The plan exists before the approval, and the approved plan is what is applied.
export function checkPlanApproveApply(env) {
  const problems = [];
  const jobs = Object.entries(env.jobs ?? {});
  const plan = jobs.find(([, j]) => /--plan-only[^\n]*\n?[^\n]*--save-plan|--save-plan/.test(stepRuns(j)));
  const apply = jobs.find(([, j]) => /--apply-plan/.test(stepRuns(j)));
  if (!plan) return ['no job saves the plan (deploy/scripts/deploy --plan-only --save-plan)'];
  if (!apply) return ['no job applies a saved plan (deploy/scripts/deploy --apply-plan)'];
  const [planName, planJob] = plan;
  const [applyName, applyJob] = apply;
  if (planJob.environment)
    problems.push(
      `job ${planName}: the plan job is behind the environment (approval before the plan exists)`,
    );
  if (!/--plan-only/.test(stepRuns(planJob))) problems.push(`job ${planName}: the plan is not --plan-only`);
  const upload = stepUses(planJob, 'actions/upload-artifact');
  if (!upload) problems.push(`job ${planName}: the plan is not uploaded as an artifact`);
  if (!/\.tfplan\.txt/.test(stepRuns(planJob)))
    problems.push(`job ${planName}: the plan's readable text is not shown`);
  if (!/sha256=/.test(stepRuns(planJob)) || !planJob.outputs?.['plan-sha256'])
    problems.push(`job ${planName}: the plan's checksum is not an output`);
  const needs = Array.isArray(applyJob.needs) ? applyJob.needs : [applyJob.needs];
  if (!needs.includes(planName)) problems.push(`job ${applyName} does not need ${planName}`);
  if (!applyJob.environment) problems.push(`job ${applyName} is not behind the environment (no approval)`);
  const download = stepUses(applyJob, 'actions/download-artifact');
  if (!download || download.with?.name !== upload?.with?.name)
    problems.push(`job ${applyName} does not download the plan artifact`);
  const runs = stepRuns(applyJob);
  if (
    !/sha256sum/.test(runs) ||
    !JSON.stringify(applyJob).includes(`needs.${planName}.outputs.plan-sha256`)
  ) {
    problems.push(`job ${applyName} does not verify the plan's checksum against the plan job's`);
  }
  const replans = steps(applyJob).some(
    (s) =>
      /terraform[^\n]* plan/.test(s.run ?? '') ||
      (/deploy\/scripts\/deploy\.sh/.test(s.run ?? '') && !/--apply-plan/.test(s.run ?? '')),
  );
  if (replans) problems.push(`job ${applyName} plans again instead of applying the saved plan`);
  return problems;
}

// The digest from CI, never a tag; prod only what dev runs.
export function checkPromotion(deploy, env) {
  const problems = [];
  const all = JSON.stringify(deploy) + JSON.stringify(env);
  if (/--image-tag/.test(all)) problems.push('a workflow deploys a tag (--image-tag)');
  if (!/--image-digest \\?"\$\{DIGEST\}\\?"/.test(all))
    problems.push('the deploy does not pass --image-digest');
  if (env.env?.DIGEST !== '${{ inputs.digest }}')
    problems.push('the deployed digest is not the input digest');
  const gate = Object.values(deploy.jobs ?? {}).find((j) => !j.needs && !j.uses);
  if (!/image-tags[^\n]*digest-of "git-\$\{SHA\}"/.test(gate ? stepRuns(gate) : ''))
    problems.push('the digest is not the one CI pushed as git-<commit>');
  const prod = deploy.jobs?.prod;
  const dev = deploy.jobs?.dev;
  if (!dev || !prod) return [...problems, 'deploy.yml has no dev and prod jobs'];
  if (!(Array.isArray(prod.needs) ? prod.needs : [prod.needs]).includes('dev'))
    problems.push('prod does not wait for dev');
  if (prod.with?.['promote-from'] !== 'dev') problems.push('prod is not promoted from dev');
  if (prod.with?.digest !== dev.with?.digest) problems.push('prod deploys another digest than dev');
  const plan = Object.values(env.jobs ?? {}).find((j) => /--save-plan/.test(stepRuns(j)));
  const check = steps(plan ?? {}).find((s) =>
    /image-tags[^\n]*require-ran-in "\$\{FROM\}" "\$\{DIGEST\}"/.test(s.run ?? ''),
  );
  if (!check || !/inputs\.promote-from != ''/.test(String(check.if ?? '')))
    problems.push('the plan job does not check that the source environment runs the digest');
  return problems;
}

// After the rollout, a post-deploy HTTP check; on a failure the rollback step runs.
export function checkRollback(env) {
  const problems = [];
  const apply = Object.values(env.jobs ?? {}).find((j) => /--apply-plan/.test(stepRuns(j)));
  if (!apply) return ['no apply job'];
  const list = steps(apply);
  const deployAt = list.findIndex((s) => /--apply-plan/.test(s.run ?? ''));
  const checkAt = list.findIndex((s) => /deploy\/scripts\/post-deploy-check/.test(s.run ?? ''));
  const rollbackAt = list.findIndex((s) =>
    /deploy\/scripts\/rollback[^\n]*--failed-digest "\$\{DIGEST\}"/.test(s.run ?? ''),
  );
  if (checkAt < 0 || checkAt < deployAt) problems.push('no post-deploy HTTP check after the deploy step');
  if (rollbackAt < 0) return [...problems, 'no rollback step'];
  if (rollbackAt < checkAt) problems.push('the rollback step comes before the check');
  if (!/failure\(\)/.test(String(list[rollbackAt].if ?? '')))
    problems.push('the rollback step does not run on failure');
  if (
    list.slice(rollbackAt + 1).some((s) => s['continue-on-error'] || /\|\| true|exit 0/.test(s.run ?? ''))
  ) {
    problems.push('a step after the rollback could turn the failure into a success');
  }
  if (list.some((s) => s['continue-on-error']))
    problems.push('a step continues on error: the job would not fail');
  return problems;
}

// One deploy per environment at a time, never cancelled half-way.
export function checkConcurrency(env) {
  const problems = [];
  for (const [name, job] of Object.entries(env.jobs ?? {})) {
    const c = job.concurrency;
    if (!c || c.group !== 'deploy-${{ inputs.environment }}')
      problems.push(`job ${name} is not in the group deploy-<env>`);
    else if (c['cancel-in-progress'] !== false) problems.push(`job ${name} may cancel a deploy in progress`);
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
  ['deploy is approved, with --yes, of a saved plan', (doc) => checkDeployJob(doc)],
  ['no --api-cidr and no API endpoint settings', (doc, text) => checkNoApiAccess(text)],
];

const files = readdirSync(WORKFLOWS)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

test('the workflows exist: ci (pull requests), deploy (after ci on main) and its per-environment part', () => {
  assert.deepEqual(files, ['ci.yml', 'deploy-environment.yml', 'deploy.yml']);
  const ci = load(readFileSync(join(WORKFLOWS, 'ci.yml'), 'utf8'));
  assert.ok(triggers(ci).includes('pull_request'));
  const deploy = load(readFileSync(join(WORKFLOWS, 'deploy.yml'), 'utf8'));
  assert.deepEqual(deploy.on.workflow_run.workflows, ['ci']);
  const env = load(readFileSync(join(WORKFLOWS, 'deploy-environment.yml'), 'utf8'));
  assert.deepEqual(triggers(env), ['workflow_call']);
});

const DEPLOY_TEXT = readFileSync(join(WORKFLOWS, 'deploy.yml'), 'utf8');
const ENV_TEXT = readFileSync(join(WORKFLOWS, 'deploy-environment.yml'), 'utf8');
const PIPELINE = [
  ['CI gating: workflow_run of ci, success, main, the head_sha checked out', (d) => checkGating(d)],
  ['plan artifact -> environment approval -> apply of that saved plan', (d, e) => checkPlanApproveApply(e)],
  ['promotion by digest: no tag deploys, prod only what dev runs', (d, e) => checkPromotion(d, e)],
  ['post-deploy check and automatic rollback on failure', (d, e) => checkRollback(e)],
  ['one deploy per environment at a time', (d, e) => checkConcurrency(e)],
];
for (const [name, check] of PIPELINE) {
  test(`pipeline: ${name}`, () => {
    assert.deepEqual(check(load(DEPLOY_TEXT), load(ENV_TEXT)), []);
  });
}

// Each pipeline check on a broken copy of the real workflows.
const BROKEN_PIPELINE = [
  [
    'deploy on push',
    (d) => d.replace('  workflow_run:\n', '  push:\n    branches: [main]\n  workflow_run:\n'),
    checkGating,
    /also starts on push/,
  ],
  [
    'no success condition',
    (d) => d.replace("github.event.workflow_run.conclusion == 'success' &&", ''),
    checkGating,
    /conclusion success/,
  ],
  [
    'checkout of another ref',
    (d) => d.replace('ref: ${{ steps.commit.outputs.sha }}', 'ref: main'),
    checkGating,
    /does not check out the commit/,
  ],
  [
    'the approval before the plan',
    (d, e) => [
      d,
      e.replace(
        "    permissions:\n      contents: read\n      id-token: write # the OIDC token exchanged for the deploy role's short-lived credentials\n    outputs:",
        '    environment: ${{ inputs.environment }}\n    permissions:\n      contents: read\n      id-token: write\n    outputs:',
      ),
    ],
    (d, e) => checkPlanApproveApply(e),
    /approval before the plan exists/,
  ],
  [
    'no checksum check',
    (d, e) => [d, e.replace('actual="$(sha256sum', 'actual="$(md5sum')],
    (d, e) => checkPlanApproveApply(e),
    /does not verify the plan's checksum/,
  ],
  [
    'a new plan at apply',
    (d, e) => [
      d,
      e.replace(
        '--apply-plan "${RUNNER_TEMP}/plan/${ENVIRONMENT}.tfplan" --image-digest',
        '--apply-plan x.tfplan; terraform -chdir=deploy/terraform plan; true --image-digest',
      ),
    ],
    (d, e) => checkPlanApproveApply(e),
    /plans again/,
  ],
  [
    'a tag deploy',
    (d, e) => [d, e.replace('--image-digest "${DIGEST}"', '--image-tag running-dev')],
    checkPromotion,
    /deploys a tag[\s\S]*does not pass --image-digest/,
  ],
  [
    'prod without dev',
    (d) => d.replace('      promote-from: dev\n', ''),
    checkPromotion,
    /not promoted from dev/,
  ],
  [
    'no rollback',
    (d, e) => [d, e.replace(/      - name: Automatic rollback[\s\S]*$/, '')],
    (d, e) => checkRollback(e),
    /no rollback step/,
  ],
  [
    'a rollback that always runs',
    (d, e) => [d, e.replace("if: failure() && steps.deploy.outcome != 'skipped'", 'if: always()')],
    (d, e) => checkRollback(e),
    /does not run on failure/,
  ],
  [
    'cancel in progress',
    (d, e) => [d, e.replace('cancel-in-progress: false', 'cancel-in-progress: true')],
    (d, e) => checkConcurrency(e),
    /may cancel a deploy in progress/,
  ],
  [
    'one group for all environments',
    (d, e) => [d, e.replaceAll('group: deploy-${{ inputs.environment }}', 'group: deploy')],
    (d, e) => checkConcurrency(e),
    /not in the group deploy-<env>/,
  ],
];
for (const [name, edit, check, expected] of BROKEN_PIPELINE) {
  test(`pipeline fixture: ${name} is rejected`, () => {
    const edited = edit(DEPLOY_TEXT, ENV_TEXT);
    const [d, e] = Array.isArray(edited) ? edited : [edited, ENV_TEXT];
    assert.notEqual(`${d}${e}`, `${DEPLOY_TEXT}${ENV_TEXT}`, 'the fixture edit changed nothing');
    assert.match(check(load(d), load(e)).join('\n'), expected);
  });
}

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
    "ctest --preset release -R '^image\\.'",
    'trivy image --no-progress --exit-code 1 --severity HIGH,CRITICAL --ignore-unfixed',
    'trivy sbom --no-progress --exit-code 1',
    'make tools-image',
  ]) {
    assert.ok(text.includes(needle), `ci.yml lacks ${needle}`);
  }
});

// Built once: the publish job pushes the artifact of the image job (no second build), by
// digest, on main only, after every other job; then signs keyless and attests the SBOM.
export function checkPublish(ci) {
  const problems = [];
  const image = ci.jobs?.image;
  const publish = ci.jobs?.publish;
  if (!image || !publish) return ['ci.yml has no image and publish jobs'];
  if ((stepRuns(image).match(/make image/g) ?? []).length !== 1)
    problems.push('the image job does not build exactly once');
  if (/make image|image-index|docker build/.test(stepRuns(publish)))
    problems.push('the publish job builds again');
  if (!mainPushOnly(publish)) problems.push('the publish job runs on more than pushes to main');
  const needs = Array.isArray(publish.needs) ? publish.needs : [publish.needs];
  for (const job of Object.keys(ci.jobs).filter((j) => j !== 'publish')) {
    if (!needs.includes(job)) problems.push(`the publish job does not wait for ${job}`);
  }
  if (!stepUses(publish, 'actions/download-artifact'))
    problems.push("the publish job does not take the image job's artifact");
  if (!/needs\.image\.outputs\.digest/.test(JSON.stringify(publish)))
    problems.push("the published digest is not checked against the image job's");
  if (!/deploy\/scripts\/push-image/.test(stepRuns(publish)))
    problems.push('the publish job does not push by digest with push-image');
  if (!/cosign sign --yes/.test(stepRuns(publish))) problems.push('the index is not signed');
  if (!/cosign attest --yes --type cyclonedx --predicate/.test(stepRuns(publish)))
    problems.push('the SBOM is not attested');
  if (image.permissions?.['id-token'] || image.permissions?.contents === 'write')
    problems.push('the image job (pull requests too) can write');
  return problems;
}

test('ci.yml: the image is built once, published by digest on main only, signed, its SBOM attested', () => {
  assert.deepEqual(checkPublish(load(readFileSync(join(WORKFLOWS, 'ci.yml'), 'utf8'))), []);
});

test('fixture: a second build, or publishing on pull requests, is rejected', () => {
  const text = readFileSync(join(WORKFLOWS, 'ci.yml'), 'utf8');
  const rebuild = text.replace(
    '      - name: Push by digest',
    '      - run: make image\n      - name: Push by digest',
  );
  assert.match(checkPublish(load(rebuild)).join('\n'), /publish job builds again/);
  const everywhere = text.replace(
    "if: github.event_name == 'push' && github.ref == 'refs/heads/main' && vars.AWS_ROLE_ARN != ''",
    'if: always()',
  );
  assert.match(checkPublish(load(everywhere)).join('\n'), /runs on more than pushes to main/);
  assert.match(
    checkPullRequests(load(everywhere)).join('\n'),
    /publish runs on pull requests with id-token: write/,
  );
});

test('the workflows get AWS through OIDC with roles from variables, never stored keys', () => {
  const deploy = load(DEPLOY_TEXT);
  const login = deploy.jobs.gate.steps.find((s) =>
    (s.uses ?? '').startsWith('aws-actions/configure-aws-credentials@'),
  );
  assert.equal(login.with['role-to-assume'], '${{ vars.AWS_ROLE_ARN }}');
  const env = load(ENV_TEXT);
  for (const job of Object.values(env.jobs)) {
    const step = job.steps.find((s) => (s.uses ?? '').startsWith('aws-actions/configure-aws-credentials@'));
    assert.equal(step.with['role-to-assume'], '${{ vars.AWS_DEPLOY_ROLE_ARN }}');
  }
  for (const text of [DEPLOY_TEXT, ENV_TEXT, readFileSync(join(WORKFLOWS, 'ci.yml'), 'utf8')]) {
    assert.ok(!text.includes('aws-access-key-id'), 'no stored AWS keys');
  }
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
  [
    'write-all at the top',
    GOOD.replace('permissions: {}', 'permissions: write-all'),
    /top-level permissions: write-all/,
  ],
  [
    'a job without permissions',
    GOOD.replace('    permissions:\n      contents: read\n', ''),
    /job build has no permissions block/,
  ],
  [
    'contents: write',
    GOOD.replace('contents: read', 'contents: write'),
    /grants contents: write without a step/,
  ],
  ['no timeout', GOOD.replace('    timeout-minutes: 10\n', ''), /timeout-minutes is undefined/],
  [
    'id-token on pull requests',
    GOOD.replace('contents: read', 'contents: read\n      id-token: write'),
    /runs on pull requests with id-token: write/,
  ],
  [
    'pull_request_target',
    GOOD.replace('  pull_request:\n', '  pull_request_target:\n'),
    /pull_request_target/,
  ],
  [
    'a tag without a reason',
    GOOD.replace('actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2', 'actions/checkout@v4'),
    /pinned by tag without saying why/,
  ],
  [
    'a branch',
    GOOD.replace(
      'actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2',
      'actions/checkout@main',
    ),
    /moving reference/,
  ],
  ['a SHA without its version', GOOD.replace(' # v4.2.2', ''), /has no version comment/],
  [
    'a persisted token',
    GOOD.replace('persist-credentials: false', 'persist-credentials: true'),
    /persist-credentials: false/,
  ],
  [
    'script injection',
    GOOD.replace('run: make test', 'run: echo "${{ github.event.pull_request.title }}"'),
    /interpolates untrusted input/,
  ],
  [
    'a deploy without approval',
    GOOD.replace('run: make test', 'run: deploy/scripts/deploy --env dev'),
    /without --yes[\s\S]*without an environment[\s\S]*without applying a saved plan/,
  ],
  [
    '--api-cidr auto',
    GOOD.replace('run: make test', 'run: deploy/scripts/deploy --env dev --api-cidr auto'),
    /--api-cidr in a workflow/,
  ],
  [
    'the endpoint opened by a variable',
    GOOD.replace('run: make test', 'run: terraform apply -var cluster_endpoint_public_access=true'),
    /sets the API endpoint access/,
  ],
];

for (const [name, text, expected] of BROKEN) {
  test(`fixture: ${name} is rejected`, () => {
    assert.match(problems(text).join('\n'), expected);
  });
}

test('fixture: a comment naming deploy/scripts/deploy is not a deploy job', () => {
  const text = GOOD.replace(
    'run: make test',
    'run: |\n          # what deploy/scripts/deploy applies\n          make test',
  );
  assert.deepEqual(problems(text), []);
  assert.match(
    problems(
      GOOD.replace(
        'run: make test',
        'run: |\n          make test\n          deploy/scripts/deploy --env dev',
      ),
    ).join('\n'),
    /without --yes/,
  );
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
  if (!/^1\.\d+$/.test(cluster ?? ''))
    return [`variables.tf: kubernetes_version has no default of the form 1.N (found ${cluster})`];
  const versions = [...ciText.matchAll(/kubeconform [^\n]*-kubernetes-version[ =](\S+)/g)].map((m) => m[1]);
  if (versions.length === 0) return ['ci.yml: no kubeconform -kubernetes-version'];
  return versions
    .filter((v) => !new RegExp(`^${cluster.replace('.', '\\.')}\\.\\d+$`).test(v))
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
  assert.deepEqual(await checkKubeconformVersion(ci, variables), [
    'ci.yml: kubeconform -kubernetes-version 1.33.0, the cluster runs 1.35',
  ]);
  assert.equal((await checkKubeconformVersion('kubeconform -strict x\n', variables)).length, 1);
  assert.equal((await checkKubeconformVersion(ci, 'variable "kubernetes_version" {}\n')).length, 1);
});
