// Fixed monthly cost of an environment (what it costs before any traffic), computed from the
// variable defaults and environments/<env>.tfvars with public eu-west-2 on-demand prices.
// docs/costs.md shows these figures; the Terraform checks (deploy/terraform/tests/lib/checks.mjs)
// import this model to keep the two in step and to hold the targets.
//
//   node scripts/docs/costs.mjs [dev|prod]   # prints the itemised table
import { fileURLToPath } from 'node:url';

export const HOURS_PER_MONTH = 730;

// USD, eu-west-2 (London), on-demand. Source: the AWS Price List bulk files
// (pricing.us-east-1.amazonaws.com/offers/v1.0/aws/<offer>/current/eu-west-2/index.json),
// publication dates September 2026, as quoted in public repositories read on 2026-11-26.
export const PRICES = {
  eksClusterHour: 0.1, // AmazonEKS, standard support (extended support: 0.60)
  natGatewayHour: 0.05, // AmazonEC2 EUW2-NatGateway-Hours
  natGatewayGb: 0.05, // AmazonEC2 EUW2-NatGateway-Bytes
  publicIpv4Hour: 0.005, // AmazonVPC EUW2-PublicIPv4:InUseAddress
  albHour: 0.02646, // AWSELB EUW2-LoadBalancerUsage (Application)
  albLcuHour: 0.0084, // AWSELB EUW2-LCUUsage (Application)
  gp3GbMonth: 0.0928, // AmazonEC2 EUW2-EBS:VolumeUsage.gp3
  kmsKeyMonth: 1.0, // awskms eu-west-2-KMS-Keys
  cloudwatchVendedLogsGb: 0.5985, // AmazonCloudWatch EUW2-VendedLog-Bytes (EKS control plane and VPC flow logs)
  // A standard-resolution alarm, per metric it reads (a metric math alarm: each metric in its
  // expression). The rate AWS's CloudWatch pricing page lists; not confirmed in the eu-west-2
  // Price List file. The free tier (10 alarm metrics per account) is not subtracted.
  cloudwatchAlarmMetricMonth: 0.1,
  // AmazonEC2 EUW2-BoxUsage, Linux, shared tenancy. t3.micro and t3.medium are quoted;
  // t3 prices double with each size, which gives nano and small.
  // t4g (Graviton2): no eu-west-2 price was found. Derived, not confirmed: the London t3 price
  // of the same size times the us-east-1 ratio t4g/t3 (0.0168/0.0208, both widely quoted),
  // rounded up to the next 0.0001, so the figure is an upper bound of the derivation.
  ec2Hour: {
    't3.nano': 0.0059,
    't3.micro': 0.0118,
    't3.small': 0.0236,
    't3.medium': 0.0472,
    't4g.nano': 0.0048,
    't4g.micro': 0.0096,
    't4g.small': 0.0191,
    't4g.medium': 0.0382,
  },
};

// The same size in the other architecture: what the amd64/arm64 comparison swaps.
const COUNTERPART = {
  't3.nano': 't4g.nano',
  't3.micro': 't4g.micro',
  't3.small': 't4g.small',
  't3.medium': 't4g.medium',
};
for (const [x86, arm] of Object.entries(COUNTERPART)) COUNTERPART[arm] = x86;
export const ARCHITECTURES = { amd64: 'x86_64', arm64: 'arm64' };

// The Graviton rule of variables.tf (node_instance_types' validation, local.nat_architecture).
export function architectureOf(instanceType) {
  return /^([a-z]+[0-9]+g[a-z]*|a1)\./.test(instanceType) ? 'arm64' : 'x86_64';
}

// The Amazon Linux 2023 image's root volume, used by the NAT instance.
const NAT_INSTANCE_ROOT_GB = 8;
// The module always spans three zones; zone-keyed resources (for_each over local.zones) exist
// once per zone, and an internet-facing ALB holds one public IPv4 address per enabled zone.
const ZONES = 3;
const ALB_ZONES = ZONES;

// The alarm metrics the module's CloudWatch alarms read, counted from the code: an alarm on one
// metric is one, a metric math alarm one per metric query that names a metric, times the copies
// its for_each makes.
export function alarmMetrics(ctx) {
  let total = 0;
  for (const b of ctx.mod.blocks) {
    if (b.kind !== 'resource' || !b.address.startsWith('aws_cloudwatch_metric_alarm.')) continue;
    const queries = b.body.metric_query;
    const metrics = Array.isArray(queries) ? queries.filter((q) => q.metric).length : 1;
    let copies = 1;
    if (b.body.for_each !== undefined) {
      if (!String(b.body.for_each).includes('local.zones'))
        throw new Error(
          `${b.address}: cannot count the copies of for_each = ${b.body.for_each}; teach costs.mjs`,
        );
      copies = ZONES;
    }
    total += metrics * copies;
  }
  return total;
}

function defaults(mod) {
  const out = {};
  for (const [name, v] of Object.entries(mod.variables)) if ('default' in v.body) out[name] = v.body.default;
  return out;
}

export function settings(ctx, env) {
  return { ...defaults(ctx.mod), ...(ctx.tfvars[env] ?? {}) };
}

// An environment's settings with its nodes and NAT instance on the given architecture
// ("x86_64" or "arm64"): the same sizes, the other family where they differ.
export function onArchitecture(s, arch) {
  const swap = (t) => {
    if (architectureOf(t) === arch) return t;
    if (!COUNTERPART[t])
      throw new Error(`no ${arch} counterpart of ${t} known: add it to COUNTERPART in costs.mjs`);
    return COUNTERPART[t];
  };
  return {
    ...s,
    node_architecture: arch,
    node_instance_types: s.node_instance_types.map(swap),
    nat_instance_type: swap(s.nat_instance_type),
  };
}

function round2(n) {
  return Math.round(n * 100) / 100;
}

// Line items { item, quantity, unit, monthly }. `arch` prices the environment on that
// architecture instead of its own (the amd64/arm64 comparison).
export function fixedMonthly(ctx, env, prices = PRICES, arch = undefined) {
  const s = arch ? onArchitecture(settings(ctx, env), arch) : settings(ctx, env);
  const h = HOURS_PER_MONTH;
  const items = [];
  const add = (item, quantity, unit, monthly) =>
    items.push({ item, quantity, unit, monthly: round2(monthly) });
  const ec2 = (type) => {
    const p = prices.ec2Hour[type];
    if (p === undefined) throw new Error(`no eu-west-2 price for ${type}: add it to PRICES with its source`);
    return p;
  };

  add('EKS control plane', 1, `$${prices.eksClusterHour}/h`, prices.eksClusterHour * h);
  if (s.nat_mode === 'instance') {
    add(
      `NAT instance (${s.nat_instance_type})`,
      1,
      `$${ec2(s.nat_instance_type)}/h`,
      ec2(s.nat_instance_type) * h,
    );
    add('NAT instance public IPv4', 1, `$${prices.publicIpv4Hour}/h`, prices.publicIpv4Hour * h);
    add(
      'NAT instance root volume (gp3)',
      `${NAT_INSTANCE_ROOT_GB} GiB`,
      `$${prices.gp3GbMonth}/GB-month`,
      NAT_INSTANCE_ROOT_GB * prices.gp3GbMonth,
    );
  } else {
    const n = s.single_nat_gateway ? 1 : 3;
    add('NAT gateways', n, `$${prices.natGatewayHour}/h`, n * prices.natGatewayHour * h);
    add('NAT gateway Elastic IPs', n, `$${prices.publicIpv4Hour}/h`, n * prices.publicIpv4Hour * h);
  }
  add('Application Load Balancer', 1, `$${prices.albHour}/h`, prices.albHour * h);
  add(
    'ALB public IPv4 (one per zone)',
    ALB_ZONES,
    `$${prices.publicIpv4Hour}/h`,
    ALB_ZONES * prices.publicIpv4Hour * h,
  );
  // Spot never costs more than on-demand, so on-demand is the bound for either capacity type.
  const nodePrice = Math.max(...s.node_instance_types.map(ec2));
  const nodes = s.node_desired_size;
  const nodeLabel = `${s.node_capacity_type === 'SPOT' ? 'spot, at most ' : ''}$${nodePrice}/h`;
  add(
    `Nodes (${s.node_instance_types.join(' or ')}, ${s.node_capacity_type.toLowerCase().replace('_', '-')})`,
    nodes,
    nodeLabel,
    nodes * nodePrice * h,
  );
  add(
    'Node root volumes (gp3)',
    `${nodes} x ${s.node_disk_size} GiB`,
    `$${prices.gp3GbMonth}/GB-month`,
    nodes * s.node_disk_size * prices.gp3GbMonth,
  );
  add('KMS customer managed key', 1, `$${prices.kmsKeyMonth}/month`, prices.kmsKeyMonth);
  if (s.enable_alarms) {
    const n = alarmMetrics(ctx);
    add(
      'CloudWatch alarms (alarm metrics)',
      n,
      `$${prices.cloudwatchAlarmMetricMonth}/alarm metric-month`,
      n * prices.cloudwatchAlarmMetricMonth,
    );
  }
  const total = round2(items.reduce((sum, i) => sum + i.monthly, 0));
  return { env, items, total };
}

// The fixed monthly cost each environment must stay within (docs/costs.md explains them).
export const TARGETS = { dev: 130, prod: 275 };

// { env: { x86_64, arm64, chosen } }: both architectures' fixed totals and the one the
// environment's settings choose.
export function architectureComparison(ctx) {
  const out = {};
  for (const env of Object.keys(TARGETS)) {
    out[env] = {
      x86_64: fixedMonthly(ctx, env, PRICES, 'x86_64').total,
      arm64: fixedMonthly(ctx, env, PRICES, 'arm64').total,
      chosen: settings(ctx, env).node_architecture,
    };
  }
  return out;
}

export function architectureTable(comparison) {
  const name = { x86_64: 'amd64', arm64: 'arm64' };
  const rows = Object.entries(comparison).map(
    ([env, c]) =>
      `| \`${env}.tfvars\` | $${c.x86_64.toFixed(2)} | $${c.arm64.toFixed(2)} | $${(c.x86_64 - c.arm64).toFixed(2)} | ${name[c.chosen]} |`,
  );
  return [
    '| environment | amd64 (t3) | arm64 (t4g, Graviton) | arm64 saves | default |',
    '| --- | ---: | ---: | ---: | --- |',
    ...rows,
  ].join('\n');
}

export function markdownTable({ items, total }) {
  const rows = items.map((i) => `| ${i.item} | ${i.quantity} | ${i.unit} | $${i.monthly.toFixed(2)} |`);
  return [
    '| item | quantity | unit price | per month |',
    '| --- | --- | --- | ---: |',
    ...rows,
    `| **fixed total** | | | **$${total.toFixed(2)}** |`,
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { buildContext } = await import('../../deploy/terraform/tests/lib/context.mjs');
  const ctx = await buildContext();
  for (const env of process.argv.slice(2).length ? process.argv.slice(2) : ['dev', 'prod']) {
    console.log(`${env} (target $${TARGETS[env]}):\n${markdownTable(fixedMonthly(ctx, env))}\n`);
  }
  console.log(`amd64 and arm64:\n${architectureTable(architectureComparison(ctx))}`);
}
