// Unit tests of the helpers the checks and the pod contract are built on.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr } from './lib/checks.mjs';
import { parseAll } from './lib/kustomize.mjs';
import { parseImage, parseQuantity, resolveEnv, selectorMatches } from './lib/objects.mjs';
import { schemaErrors, unknownFields } from './lib/schema.mjs';

describe('parseImage', () => {
  const cases = [
    ['hello-server', { name: 'hello-server', tag: undefined, digest: undefined }],
    ['hello-server:1.0.0', { name: 'hello-server', tag: '1.0.0', digest: undefined }],
    ['registry:5000/team/app', { name: 'registry:5000/team/app', tag: undefined, digest: undefined }],
    ['registry:5000/team/app:v2', { name: 'registry:5000/team/app', tag: 'v2', digest: undefined }],
    [
      `r.example/app@sha256:${'a'.repeat(64)}`,
      { name: 'r.example/app', tag: undefined, digest: `sha256:${'a'.repeat(64)}` },
    ],
  ];
  for (const [image, want] of cases) test(image, () => assert.deepEqual(parseImage(image), want));
});

describe('parseQuantity', () => {
  test('binary and decimal suffixes, millicores', () => {
    assert.equal(parseQuantity('128Mi'), 128 * 1024 * 1024);
    assert.equal(parseQuantity('1G'), 1e9);
    assert.equal(parseQuantity('100m'), 0.1);
    assert.equal(parseQuantity(2), 2);
    assert.ok(Number.isNaN(parseQuantity('12 parsecs')));
  });
});

describe('selectorMatches', () => {
  const labels = { app: 'hello', tier: 'web' };
  test('matchLabels', () => {
    assert.equal(selectorMatches({ matchLabels: { app: 'hello' } }, labels), true);
    assert.equal(selectorMatches({ matchLabels: { app: 'other' } }, labels), false);
  });
  test('matchExpressions', () => {
    assert.equal(
      selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] }, labels),
      true,
    );
    assert.equal(
      selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, labels),
      false,
    );
    assert.equal(
      selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, labels),
      true,
    );
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, labels), false);
  });
  test('an empty selector selects everything, a missing one nothing', () => {
    assert.equal(selectorMatches({}, labels), true);
    assert.equal(selectorMatches(undefined, labels), false);
  });
});

describe('parseCidr', () => {
  test('canonical, non-canonical and invalid', () => {
    assert.equal(parseCidr('10.0.0.0/16').canonical, true);
    assert.equal(parseCidr('10.0.0.1/16').canonical, false);
    assert.equal(parseCidr('10.0.0.0/33'), undefined);
    assert.equal(parseCidr('300.0.0.0/8'), undefined);
    assert.equal(parseCidr('fd00::/8'), undefined);
  });
});

describe('resolveEnv', () => {
  const objects = [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: 'ns' },
      data: { A: '1', B: '2' },
    },
  ];
  test('envFrom first, then env entries win; missing references are problems', () => {
    const r = resolveEnv(objects, 'ns', {
      envFrom: [{ configMapRef: { name: 'cfg' } }],
      env: [
        { name: 'B', value: 'literal' },
        { name: 'C', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'A' } } },
        { name: 'D', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'nope' } } },
        { name: 'E', valueFrom: { configMapKeyRef: { name: 'gone', key: 'x', optional: true } } },
      ],
    });
    assert.deepEqual(r.env, { A: '1', B: 'literal', C: '1' });
    assert.deepEqual(r.problems, ['env D: ConfigMap cfg has no key nope']);
  });
  test('a ConfigMap in another namespace does not count', () => {
    const r = resolveEnv(objects, 'other', { envFrom: [{ configMapRef: { name: 'cfg' } }] });
    assert.deepEqual(r.problems, ['envFrom ConfigMap cfg does not exist']);
  });
});

describe('schema and unknown fields', () => {
  const deployment = () =>
    parseAll(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers:
        - name: c
          image: i:1
          ports: [{containerPort: 8080, name: http}]
`)[0];
  test('a valid object has neither', () => {
    assert.deepEqual(schemaErrors(deployment()), []);
    assert.deepEqual(unknownFields(deployment()), []);
  });
  test('a wrong type is a schema error', () => {
    const d = deployment();
    d.spec.template.spec.containers[0].ports[0].containerPort = '8080';
    assert.match(schemaErrors(d).join(), /containerPort must be integer/);
  });
  test('a misspelled field passes the schema but is an unknown field', () => {
    const d = deployment();
    d.spec.template.spec.containers[0].imagePullPolicyy = 'Always';
    assert.deepEqual(schemaErrors(d), []);
    assert.deepEqual(unknownFields(d), ['spec.template.spec.containers[0].imagePullPolicyy']);
  });
  test('a field at the wrong level is an unknown field', () => {
    const d = deployment();
    d.spec.template.spec.readOnlyRootFilesystem = true;
    assert.deepEqual(unknownFields(d), ['spec.template.spec.readOnlyRootFilesystem']);
  });
  test('a kind the API does not have is reported, not waved through', () => {
    const o = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w' },
      spec: { anything: 1 },
    };
    assert.match(schemaErrors(o).join(), /no schema for example\.com\/v1 Widget/);
    assert.match(unknownFields(o).join(), /not a typed API kind/);
  });
});
