// Every shipped kustomization renders with kubectl's built-in Kustomize and contains what it should.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { K8S_DIR, RENDERS, render } from './lib/kustomize.mjs';
import { parseImage } from './lib/objects.mjs';

const kinds = (objs) => objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();

describe('kubectl', () => {
  test('has a built-in Kustomize that renders these overlays (kubectl >= 1.27)', () => {
    const v = JSON.parse(
      execFileSync(process.env.KUBECTL || 'kubectl', ['version', '--client', '-o', 'json'], {
        encoding: 'utf8',
      }),
    );
    const minor = Number.parseInt(v.clientVersion.minor, 10);
    assert.equal(v.clientVersion.major, '1');
    assert.ok(minor >= 27, `kubectl 1.${minor} is older than 1.27`);
  });
});

describe('render', () => {
  const app = [
    'ConfigMap/hello',
    'Deployment/hello',
    'HorizontalPodAutoscaler/hello',
    'Namespace/opendelta',
    'NetworkPolicy/hello',
    'PodDisruptionBudget/hello',
    'Service/hello',
    'Service/hello-metrics',
    'ServiceAccount/hello',
  ];
  const normalise = (objs) =>
    kinds(objs).map((k) => k.replace(/^ConfigMap\/hello-[a-z0-9]+$/, 'ConfigMap/hello'));

  test('overlays/local: the app objects, image hello-server:<tag>', () => {
    const objs = render(RENDERS.local.dir);
    assert.deepEqual(normalise(objs), app);
    const d = objs.find((o) => o.kind === 'Deployment');
    assert.equal(parseImage(d.spec.template.spec.containers[0].image).name, 'hello-server');
  });

  test('overlays/aws: the app objects, image named hello-server pinned by a (placeholder) digest', () => {
    const objs = render(RENDERS.aws.dir);
    assert.deepEqual(normalise(objs), app);
    const img = parseImage(objs.find((o) => o.kind === 'Deployment').spec.template.spec.containers[0].image);
    assert.equal(img.name, 'hello-server', 'deploy time sets newName through the images: name hello-server');
    assert.match(img.digest, /^sha256:0{64}$/);
  });

  test('overlays/aws-monitoring: overlays/aws plus the ServiceMonitor and the PrometheusRule (components/monitoring)', () => {
    const objs = render(RENDERS['aws-monitoring'].dir);
    assert.deepEqual(normalise(objs), [...app, 'PrometheusRule/hello', 'ServiceMonitor/hello'].sort());
    for (const o of objs.filter((x) => x.apiVersion === 'monitoring.coreos.com/v1'))
      assert.equal(o.metadata.namespace, 'opendelta', o.kind);
    const aws = render(RENDERS.aws.dir);
    assert.deepEqual(
      objs.filter((o) => o.apiVersion !== 'monitoring.coreos.com/v1'),
      aws,
      'the component changes nothing of overlays/aws',
    );
  });

  test('components/stateful (on overlays/local): a StatefulSet with a claim per pod replaces the Deployment', () => {
    const objs = render(RENDERS.stateful.dir);
    assert.deepEqual(
      normalise(objs),
      [
        ...app.filter((k) => k !== 'Deployment/hello'),
        'Service/hello-headless',
        'StatefulSet/hello',
        'StorageClass/hello-gp3',
      ].sort(),
    );
    const sts = objs.find((o) => o.kind === 'StatefulSet');
    assert.equal(sts.spec.serviceName, 'hello-headless');
    assert.equal(sts.spec.volumeClaimTemplates[0].metadata.name, 'data');
    assert.equal(sts.spec.volumeClaimTemplates[0].spec.storageClassName, 'hello-gp3');
    assert.deepEqual(sts.spec.template.spec.containers[0].volumeMounts, [
      { name: 'data', mountPath: '/data' },
    ]);
    assert.equal(
      objs.find((o) => o.kind === 'HorizontalPodAutoscaler').spec.scaleTargetRef.kind,
      'StatefulSet',
    );
    assert.equal(objs.find((o) => o.metadata.name === 'hello-headless').metadata.namespace, 'opendelta');
  });

  test('cluster-autoscaler: its objects in kube-system', () => {
    const objs = render(RENDERS.ca.dir);
    assert.deepEqual(kinds(objs), [
      'ClusterRole/cluster-autoscaler',
      'ClusterRoleBinding/cluster-autoscaler',
      'ConfigMap/cluster-autoscaler',
      'Deployment/cluster-autoscaler',
      'Role/cluster-autoscaler',
      'RoleBinding/cluster-autoscaler',
      'ServiceAccount/cluster-autoscaler',
    ]);
    for (const o of objs.filter((x) => !x.kind.startsWith('Cluster')))
      assert.equal(o.metadata.namespace, 'kube-system', `${o.kind}`);
    assert.deepEqual(Object.keys(objs.find((o) => o.kind === 'ConfigMap').data).sort(), [
      'aws-region',
      'cluster-name',
    ]);
  });

  test('base: renders on its own (overlays complete it)', () => {
    assert.ok(render(path.join(K8S_DIR, 'base')).length > 0);
  });

  test('a kustomization that does not exist is an error, not an empty render', () => {
    assert.throws(() => render(path.join(K8S_DIR, 'overlays/does-not-exist')), /kubectl kustomize .* failed/);
  });
});
