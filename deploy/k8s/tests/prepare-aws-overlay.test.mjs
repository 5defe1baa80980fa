// deploy/k8s/prepare-aws-overlay: what it writes renders the app and the autoscaler with the given
// values and passes every check; bad input is refused with exit 2 and leaves nothing behind; the
// tracked manifests are never touched.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runChecks } from './lib/checks.mjs';
import { K8S_DIR, PREPARED_PROFILES, render } from './lib/kustomize.mjs';
import { findObject } from './lib/objects.mjs';

const SCRIPT = path.join(K8S_DIR, 'prepare-aws-overlay');
const TMP = mkdtempSync(path.join(os.tmpdir(), 'prepare-aws-overlay-test-'));
after(() => rmSync(TMP, { recursive: true, force: true }));

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
const GOOD = {
  image: `123456789012.dkr.ecr.eu-west-2.amazonaws.com/hello-server@${DIGEST}`,
  'vpc-cidr': '10.20.0.0/16',
  'cluster-name': 'hello-prod',
  region: 'eu-west-1',
};

let counter = 0;
const freshDir = () => path.join(TMP, `out-${++counter}`);

function run(args, env = {}) {
  const r = spawnSync(SCRIPT, args, { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
  if (r.error) throw r.error;
  return r;
}
const argsOf = (values) => Object.entries(values).flatMap(([k, v]) => [`--${k}`, v]);

/** sha256 of every file under deploy/k8s, by relative path. */
function treeHash(root = K8S_DIR) {
  const out = {};
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else
        out[path.relative(root, p)] =
          createHash('sha256').update(readFileSync(p)).digest('hex') + statSync(p).mode.toString(8);
    }
  };
  walk(root);
  return out;
}

describe('prepare-aws-overlay', () => {
  const before = treeHash();

  test('--help prints usage and exits 0', () => {
    const r = run(['--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^Usage: deploy\/k8s\/prepare-aws-overlay --image/);
  });

  test('writes a root that renders the app (image by digest, VPC CIDR) and the autoscaler (cluster, region), silently', () => {
    const dir = freshDir();
    const r = run([...argsOf(GOOD), '--dir', dir]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, '');
    assert.deepEqual(readdirSync(dir).sort(), ['k8s', 'kustomization.yaml'], 'no staging leftovers');
    const objs = render(dir);
    const d = findObject(objs, 'Deployment', 'hello', 'opendelta');
    assert.equal(d.spec.template.spec.containers[0].image, GOOD.image);
    const np = findObject(objs, 'NetworkPolicy', 'hello', 'opendelta');
    assert.deepEqual(np.spec.ingress, [
      { from: [{ ipBlock: { cidr: GOOD['vpc-cidr'] } }], ports: [{ protocol: 'TCP', port: 8080 }] },
      // The metrics port stays as the base has it: the monitoring namespace only.
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        ports: [{ protocol: 'TCP', port: 9102 }],
      },
    ]);
    const cm = findObject(objs, 'ConfigMap', 'cluster-autoscaler', 'kube-system');
    assert.deepEqual(cm.data, { 'cluster-name': GOOD['cluster-name'], 'aws-region': GOOD.region });
    const ca = findObject(objs, 'Deployment', 'cluster-autoscaler', 'kube-system');
    assert.match(
      ca.spec.template.spec.containers[0].image,
      /^registry\.k8s\.io\/autoscaling\/cluster-autoscaler:v\d+\.\d+\.\d+$/,
      'only hello-server is renamed',
    );
    const failing = runChecks(objs, PREPARED_PROFILES).filter((c) => c.violations.length > 0);
    assert.deepEqual(failing, []);
  });

  test('accepts an existing empty directory, and keeps a numeric-looking cluster name a string', () => {
    const dir = freshDir();
    mkdirSync(dir);
    const r = run([...argsOf({ ...GOOD, 'cluster-name': '123' }), '--dir', dir]);
    assert.equal(r.status, 0, r.stderr);
    const cm = findObject(render(dir), 'ConfigMap', 'cluster-autoscaler', 'kube-system');
    assert.equal(cm.data['cluster-name'], '123');
  });

  const bad = [
    ['no arguments at all', null, /no arguments/],
    ['--image missing', { image: undefined }, /--image is required/],
    ['--vpc-cidr missing', { 'vpc-cidr': undefined }, /--vpc-cidr is required/],
    ['--cluster-name missing', { 'cluster-name': undefined }, /--cluster-name is required/],
    ['--region missing', { region: undefined }, /--region is required/],
    ['--dir missing', { dir: undefined }, /--dir is required/],
    [
      'image by tag',
      { image: '123456789012.dkr.ecr.eu-west-2.amazonaws.com/hello-server:1.0.0' },
      /--image must be/,
    ],
    ['image with tag and digest', { image: `r.example.com/hello-server:1.0.0@${DIGEST}` }, /--image must be/],
    ['image digest too short', { image: 'r.example.com/hello-server@sha256:abc' }, /--image must be/],
    [
      'image digest in upper case',
      { image: `r.example.com/hello-server@${DIGEST.toUpperCase().replace('SHA256', 'sha256')}` },
      /--image must be/,
    ],
    ['image without a repository path', { image: `hello-server@${DIGEST}` }, /--image must be/],
    [
      'image with shell metacharacters',
      { image: `r.example.com/hello;rm -rf /@${DIGEST}` },
      /--image must be/,
    ],
    ['CIDR with host bits', { 'vpc-cidr': '10.0.0.1/16' }, /host bits set; the network is 10\.0\.0\.0\/16/],
    ['CIDR public', { 'vpc-cidr': '8.8.0.0/16' }, /private range/],
    ['CIDR too large for a VPC', { 'vpc-cidr': '10.0.0.0/8' }, /\/16 to \/28/],
    ['CIDR octet > 255', { 'vpc-cidr': '10.256.0.0/16' }, /bad octet '256'/],
    ['CIDR octet with a leading zero', { 'vpc-cidr': '10.01.0.0/16' }, /bad octet '01'/],
    ['CIDR not a CIDR', { 'vpc-cidr': '10.0.0.0' }, /must be an IPv4 CIDR/],
    ['cluster name with a space', { 'cluster-name': 'hello prod' }, /--cluster-name must be/],
    ['cluster name starting with a hyphen', { 'cluster-name': '-hello' }, /--cluster-name must be/],
    ['cluster name of 101 characters', { 'cluster-name': 'a'.repeat(101) }, /--cluster-name must be/],
    ['cluster name with a quote', { 'cluster-name': 'hello"x' }, /--cluster-name must be/],
    ['region not a region', { region: 'Europe (London)' }, /--region must be/],
    ['unknown option', { bogus: 'x' }, /unknown argument: --bogus/],
  ];
  for (const [what, change, message] of bad) {
    test(`refuses ${what}: exit 2, a clear message, nothing written`, () => {
      const dir = freshDir();
      let args = [];
      if (change) {
        const values = { ...GOOD, dir, ...change };
        args = argsOf(Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)));
      }
      const r = run(args);
      assert.equal(r.status, 2, `${r.stdout}${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, message);
      assert.equal(existsSync(dir), false);
    });
  }

  test('refuses an option without its value', () => {
    const r = run([...argsOf(GOOD), '--dir']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--dir needs a value/);
  });

  test('refuses a directory that is not empty, and leaves its content alone', () => {
    const dir = freshDir();
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'keep.txt'), 'mine');
    const r = run([...argsOf(GOOD), '--dir', dir]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /is not empty/);
    assert.deepEqual(readdirSync(dir), ['keep.txt']);
    assert.equal(readFileSync(path.join(dir, 'keep.txt'), 'utf8'), 'mine');
  });

  test('refuses a file as --dir, a missing parent, and a directory inside deploy/k8s', () => {
    const file = path.join(TMP, 'a-file');
    writeFileSync(file, '');
    for (const [dir, message] of [
      [file, /exists and is not a directory/],
      [path.join(TMP, 'no-such-parent', 'out'), /parent directory does not exist/],
      [path.join(K8S_DIR, 'generated'), /is inside .*deploy\/k8s/],
    ]) {
      const r = run([...argsOf(GOOD), '--dir', dir]);
      assert.equal(r.status, 2, `${dir}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.equal(existsSync(path.join(K8S_DIR, 'generated')), false);
  });

  test('a missing kubectl is a prerequisite error (exit 2) that says how to get it', () => {
    const dir = freshDir();
    const r = run([...argsOf(GOOD), '--dir', dir], { KUBECTL: path.join(TMP, 'no-kubectl-here') });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /missing prerequisites:[\s\S]*kubectl[\s\S]*install kubectl/);
    assert.equal(existsSync(dir), false);
  });

  test('stub-based: when the result does not render (stub kubectl fails), exit 1 and leave the directory as it was', () => {
    const stub = path.join(TMP, 'kubectl-that-fails');
    writeFileSync(stub, '#!/usr/bin/env bash\necho "error: simulated render failure" >&2\nexit 1\n');
    chmodSync(stub, 0o755);
    const created = freshDir();
    let r = run([...argsOf(GOOD), '--dir', created], { KUBECTL: stub });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /does not render: error: simulated render failure/);
    assert.equal(existsSync(created), false, 'a directory the script created is removed again');
    const existing = freshDir();
    mkdirSync(existing);
    r = run([...argsOf(GOOD), '--dir', existing], { KUBECTL: stub });
    assert.equal(r.status, 1);
    assert.deepEqual(readdirSync(existing), [], 'an existing directory is emptied again, staging included');
  });

  test('leaves every file under deploy/k8s untouched', () => {
    assert.deepEqual(treeHash(), before);
  });
});
