// What Terraform cannot check about deploy/terraform: things that are not values in a plan
// (lifecycle settings, dependency order, the backend block, unused declarations, the reasons
// given for checkov skips, which variables the tfvars set) and the documents that must agree
// with the code (costs, README). Terraform itself checks syntax, types, references, the
// provider schema, plan-time keys and every design invariant on planned values
// (tests/*.tftest.hcl, run by tests/tf-validate). Each check returns a list of failure
// messages (empty = pass) for a context { mod, boot, tfvars } built by context.mjs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  TARGETS,
  architectureComparison,
  architectureTable,
  fixedMonthly,
  markdownTable,
} from '../../../../scripts/docs/costs.mjs';
import { REPO_ROOT, TF_ROOT, block, checkovSkips, referencesOf, targetOf } from './tf.mjs';

export function get(obj, path) {
  let cur = obj;
  for (const key of path.split('.')) {
    if (cur === undefined || cur === null) return undefined;
    cur = cur[key];
  }
  return cur;
}

function str(value) {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

// Every expression of a module except lifecycle (whose values are attribute paths of the
// block itself, not references), and except a variable's own validation.
function* expressionsOf(m) {
  for (const b of m.blocks) {
    const { lifecycle, ...rest } = b.body;
    yield rest;
    yield get(b.body, 'lifecycle.0.precondition') ?? [];
    yield get(b.body, 'lifecycle.0.postcondition') ?? [];
  }
  for (const l of Object.values(m.locals)) yield l.expr;
  for (const o of Object.values(m.outputs)) yield o.body;
  for (const p of m.providers) yield p.body;
}

function unusedErrors(m) {
  const used = new Set();
  for (const value of expressionsOf(m)) for (const ref of referencesOf(value)) used.add(targetOf(ref));
  // A validation may read other variables (cross-variable rules); that is a use too.
  for (const [name, v] of Object.entries(m.variables)) {
    for (const ref of referencesOf(v.body.validation ?? []))
      if (targetOf(ref) !== `var.${name}`) used.add(targetOf(ref));
  }
  const errs = [];
  for (const name of Object.keys(m.variables))
    if (!used.has(`var.${name}`)) errs.push(`variable "${name}" is declared but never used`);
  for (const name of Object.keys(m.locals))
    if (!used.has(`local.${name}`)) errs.push(`local "${name}" is declared but never used`);
  for (const b of m.blocks)
    if (b.kind === 'data' && !used.has(b.address)) errs.push(`${b.address} is declared but never used`);
  return errs;
}

// [module, address, what, how to read it from the parsed body, wanted value]
const LIFECYCLE = [
  [
    'mod',
    'aws_eks_node_group.this',
    'create_before_destroy (a replacement group is up before the old one drains)',
    'lifecycle.0.create_before_destroy',
    true,
  ],
  [
    'mod',
    'aws_eks_node_group.this',
    'ignore_changes (the autoscaler owns desired_size, Terraform the bounds)',
    'lifecycle.0.ignore_changes',
    ['${scaling_config[0].desired_size}'],
  ],
  [
    'mod',
    'aws_lb_target_group.app',
    'create_before_destroy (a target group in use by a listener cannot be deleted first)',
    'lifecycle.0.create_before_destroy',
    true,
  ],
  [
    'mod',
    'aws_autoscaling_attachment.app',
    'create_before_destroy (the target group never empties while a node group is replaced)',
    'lifecycle.0.create_before_destroy',
    true,
  ],
  [
    'mod',
    'aws_eks_access_entry.admin',
    "ignore_changes (the first apply's caller keeps its entry)",
    'lifecycle.0.ignore_changes',
    ['${principal_arn}'],
  ],
  [
    'mod',
    'aws_instance.nat',
    'ignore_changes (a new AMI does not replace the NAT on an unrelated apply)',
    'lifecycle.0.ignore_changes',
    ['${ami}'],
  ],
  ['mod', 'aws_security_group.alb', 'create_before_destroy', 'lifecycle.0.create_before_destroy', true],
  ['mod', 'aws_security_group.nodes', 'create_before_destroy', 'lifecycle.0.create_before_destroy', true],
  [
    'boot',
    'aws_s3_bucket.state',
    'prevent_destroy (state cannot be recreated)',
    'lifecycle.0.prevent_destroy',
    true,
  ],
];

// [from, to]: `from` must name `to` in depends_on. Terraform orders by references; these
// edges have no reference to carry them.
const DEPENDS_ON = [
  ['aws_eks_node_group.this', 'aws_eks_addon.before_nodes'],
  ['aws_eks_node_group.this', 'aws_iam_role_policy_attachment.node'],
  ['aws_eks_addon.after_nodes', 'aws_eks_node_group.this'],
  ['aws_eks_cluster.this', 'aws_cloudwatch_log_group.eks'],
  ['aws_eks_cluster.this', 'aws_iam_role_policy_attachment.cluster'],
  ['aws_eks_cluster.this', 'aws_iam_role_policy.cluster_kms'],
  ['aws_cloudwatch_metric_alarm.healthy_hosts', 'aws_autoscaling_attachment.app'],
  ['aws_s3_bucket_policy.alb_logs', 'aws_s3_bucket_public_access_block.alb_logs'],
];

export const checks = [
  {
    id: 'unused',
    title:
      'no variable, local or data source is declared without being used (tflint terraform_unused_declarations)',
    run: (ctx) => [
      ...unusedErrors(ctx.mod),
      ...unusedErrors(ctx.boot),
      ...unusedErrors(ctx.registry).map((e) => `registry: ${e}`),
    ],
  },
  {
    id: 'tfvars-declared',
    title:
      'every variable set in environments/*.tfvars is declared (terraform test -var-file ignores undeclared ones)',
    run: (ctx) => [
      ...ctx.tfvarsErrors,
      ...Object.entries(ctx.tfvars).flatMap(([env, values]) =>
        Object.keys(values)
          .filter((key) => !(key in ctx.mod.variables))
          .map((key) => `environments/${env}.tfvars sets undeclared variable "${key}"`),
      ),
    ],
  },
  {
    id: 'lifecycle',
    title:
      "replacements create before they destroy; the autoscaler's size, the first admin and the NAT's image are left alone; the state bucket is never destroyed",
    run: (ctx) =>
      LIFECYCLE.flatMap(([m, address, what, path, want]) => {
        const b = block(ctx[m], address);
        if (!b) return [`${address} is missing`];
        return JSON.stringify(get(b.body, path)) === JSON.stringify(want)
          ? []
          : [`${address}: lifecycle ${what}: want ${str(want)}, found ${str(get(b.body, path))}`];
      }),
  },
  {
    id: 'depends-on',
    title:
      "nodes wait for the networking add-ons and their role; late add-ons wait for nodes; the cluster waits for its log group and role; the healthy-hosts alarm waits for the targets; the log bucket's policy for its public access block",
    run: (ctx) =>
      DEPENDS_ON.flatMap(([from, to]) => {
        const b = block(ctx.mod, from);
        if (!b) return [`${from} is missing`];
        return (b.body.depends_on ?? []).includes(`\${${to}}`) ? [] : [`${from} does not depend on ${to}`];
      }),
  },
  {
    id: 'checkov-skips',
    title: 'every #checkov:skip gives its reason',
    run: (ctx) =>
      [ctx.mod, ctx.boot, ctx.registry].flatMap((m) =>
        m.blocks.flatMap((b) =>
          [...checkovSkips(b)]
            .filter(([, reason]) => reason.length < 10)
            .map(([id]) => `${b.address}: #checkov:skip=${id} gives no reason`),
        ),
      ),
  },
  {
    id: 'state-backend',
    title:
      'Terraform >= 1.10, AWS provider ~> 6.x, S3 backend partial configuration with encryption and lock file (root and registry); bootstrap keeps local state',
    run: (ctx) => {
      const errs = [];
      for (const [label, m] of [
        ['', ctx.mod],
        ['registry: ', ctx.registry],
      ]) {
        const tf = m.terraform.map((t) => t.body);
        const s3 = tf.map((t) => get(t, 'backend.s3.0')).find(Boolean);
        if (!s3) errs.push(`${label}no backend "s3"`);
        else {
          if (s3.encrypt !== true) errs.push(`${label}backend encrypt is not true`);
          if (s3.use_lockfile !== true) errs.push(`${label}backend use_lockfile is not true`);
          for (const k of ['bucket', 'key', 'region'])
            if (k in s3) errs.push(`${label}backend hard-codes ${k} (partial configuration expected)`);
        }
      }
      for (const [label, m] of [
        ['', ctx.mod],
        ['bootstrap: ', ctx.boot],
        ['registry: ', ctx.registry],
      ]) {
        const t = m.terraform.map((x) => x.body);
        const rv = t.map((x) => x.required_version).find(Boolean);
        if (rv !== '>= 1.10') errs.push(`${label}required_version is ${str(rv)}`);
        const aws = t.map((x) => get(x, 'required_providers.0.aws')).find(Boolean);
        if (!aws || aws.source !== 'hashicorp/aws' || !/^~> 6\./.test(aws.version ?? ''))
          errs.push(`${label}aws provider is not pinned to ~> 6.x`);
      }
      for (const b of ctx.boot.terraform.map((t) => t.body))
        if (b.backend) errs.push('the bootstrap stack must keep local state');
      return errs;
    },
  },
  {
    id: 'cost-targets',
    title: `fixed monthly cost in eu-west-2: prod <= $${TARGETS.prod} with every HA property, dev <= $${TARGETS.dev}`,
    run: (ctx) =>
      Object.entries(TARGETS).flatMap(([env, target]) => {
        const { total } = fixedMonthly(ctx, env);
        return total <= target
          ? []
          : [`${env} costs $${total.toFixed(2)} a month before traffic, target $${target}`];
      }),
  },
  {
    id: 'cost-architecture',
    title: 'each environment runs on the cheaper of amd64 and arm64 (nodes and NAT instance)',
    run: (ctx) =>
      Object.entries(architectureComparison(ctx)).flatMap(([env, c]) => {
        const cheaper = c.arm64 <= c.x86_64 ? 'arm64' : 'x86_64';
        return c.chosen === cheaper
          ? []
          : [
              `${env} runs ${c.chosen} ($${c[c.chosen].toFixed(2)}) though ${cheaper} costs $${c[cheaper].toFixed(2)}`,
            ];
      }),
  },
  {
    id: 'cost-doc-current',
    title: 'docs/costs.md shows the cost tables computed from the current code',
    run: (ctx) => {
      let doc;
      try {
        doc = readFileSync(join(REPO_ROOT, 'docs/costs.md'), 'utf8');
      } catch {
        return ['docs/costs.md is missing'];
      }
      const errs = Object.keys(TARGETS)
        .filter((env) => !doc.includes(markdownTable(fixedMonthly(ctx, env))))
        .map(
          (env) =>
            `docs/costs.md does not show the current ${env} table (print it with: node scripts/docs/costs.mjs ${env})`,
        );
      if (!doc.includes(architectureTable(architectureComparison(ctx))))
        errs.push(
          'docs/costs.md does not show the current amd64/arm64 table (node scripts/docs/costs.mjs prints it)',
        );
      for (const [env, target] of Object.entries(TARGETS))
        if (!doc.includes(`at most $${target}`))
          errs.push(`docs/costs.md does not state ${env}'s target of $${target}`);
      return errs;
    },
  },
  {
    id: 'readme-current',
    title:
      "deploy/terraform/README.md lists every input and output (the registry stack's too) and the current monthly costs",
    run: (ctx) => {
      let readme;
      try {
        readme = readFileSync(join(TF_ROOT, 'README.md'), 'utf8');
      } catch {
        return ['deploy/terraform/README.md is missing'];
      }
      const errs = [];
      for (const name of Object.keys(ctx.mod.variables))
        if (!readme.includes(`| \`${name}\` |`)) errs.push(`README.md does not document input ${name}`);
      for (const name of Object.keys(ctx.mod.outputs))
        if (!readme.includes(`| \`${name}\` |`)) errs.push(`README.md does not document output ${name}`);
      const start = readme.indexOf('\n## The image registry');
      const registry =
        start < 0
          ? ''
          : readme.slice(
              start,
              readme.indexOf('\n## ', start + 1) < 0 ? undefined : readme.indexOf('\n## ', start + 1),
            );
      for (const name of [...Object.keys(ctx.registry.variables), ...Object.keys(ctx.registry.outputs)]) {
        if (!registry.includes(`| \`${name}\` |`))
          errs.push(`README.md, "The image registry", does not document the registry stack's ${name}`);
      }
      for (const env of Object.keys(TARGETS)) {
        const total = `**$${fixedMonthly(ctx, env).total.toFixed(2)}**`;
        if (!readme.includes(total))
          errs.push(`README.md does not show ${env}'s current fixed cost ${total}`);
      }
      return errs;
    },
  },
];
