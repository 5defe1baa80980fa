// docs/terraform-graph.md is generated from the code and must stay current.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { render } from '../../../scripts/docs/terraform-graph.mjs';
import { REPO_ROOT } from './lib/tf.mjs';

const script = fileURLToPath(new URL('../../../scripts/docs/terraform-graph.mjs', import.meta.url));
const docPath = join(REPO_ROOT, 'docs/terraform-graph.md');

function run(...args) {
  return spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
}

describe('terraform graph', () => {
  test('rendering is deterministic', async () => {
    assert.equal(await render(), await render());
  });

  test("shows the load balancer following the node group's Auto Scaling group", async () => {
    const doc = await render();
    assert.match(doc, /aws_autoscaling_attachment_app --> aws_eks_node_group_this/);
    assert.match(doc, /aws_autoscaling_attachment_app --> aws_lb_target_group_app/);
    assert.match(doc, /aws_route_private_nat --> aws_nat_gateway_this/);
  });

  test('docs/terraform-graph.md is current (--check passes)', async () => {
    const r = run('--check', docPath);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(docPath, 'utf8'), await render());
  });

  test('--check fails on a stale copy and --write repairs it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-graph-'));
    try {
      const copy = join(dir, 'graph.md');
      writeFileSync(copy, readFileSync(docPath, 'utf8').replace('aws_vpc_this', 'aws_vpc_that'));
      const stale = run('--check', copy);
      assert.equal(stale.status, 1);
      assert.match(stale.stderr, /not current/);
      assert.equal(run('--write', copy).status, 0);
      assert.equal(run('--check', copy).status, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('bad arguments exit 2 with the usage', () => {
    const r = run('--frobnicate');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /usage:/);
  });
});
