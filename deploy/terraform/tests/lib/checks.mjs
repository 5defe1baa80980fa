// The offline checks. Each check returns a list of failure messages (empty = pass) for a
// context { mod, boot, schema, tfvars } built from the module by context.mjs. Policy checks
// carry the checkov (or trivy) ID whose intent they enforce; where the real scanner would
// flag a finding that is intended, the check also accepts a "#checkov:skip=ID:reason" with a
// real reason in the block, exactly as checkov does.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { format } from "@cdktf/hcl-tools";
import { TARGETS, fixedMonthly, markdownTable } from "./costs.mjs";
import {
  REPO_ROOT,
  TF_ROOT,
  META_ARGS,
  block,
  blocksOfType,
  isBlockValue,
  literal,
  referencesIn,
  referencesOf,
  skipped,
  strings,
  targetOf,
} from "./tf.mjs";

export function get(obj, path) {
  let cur = obj;
  for (const key of path.split(".")) {
    if (cur === undefined || cur === null) return undefined;
    cur = cur[key];
  }
  return cur;
}

function str(value) {
  if (value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function isBool(mod, value, want) {
  return literal(mod, value, { defaults: true }) === want;
}

const LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

export const REQUIRED_OUTPUTS = [
  "app_url",
  "alb_dns_name",
  "cluster_name",
  "cluster_endpoint",
  "region",
  "update_kubeconfig_command",
  "ecr_repository_url",
  "vpc_id",
  "vpc_cidr",
  "public_subnet_ids",
  "private_subnet_ids",
  "target_group_arn",
  "github_actions_role_arn",
];

// ---------------------------------------------------------------------------------------
// Structure: parse, format, references, plan-time keys, tfvars, provider schema
// ---------------------------------------------------------------------------------------

function schemaFor(ctx, b) {
  return b.kind === "data" ? ctx.schema.data[b.type] : ctx.schema.resource[b.type];
}

function checkBody(body, schema, where, errs, topLevel) {
  for (const [key, value] of Object.entries(body)) {
    if (topLevel && META_ARGS.has(key)) continue;
    if (key === "dynamic") {
      for (const [name, dyns] of Object.entries(value)) {
        const bs = schema.blocks[name];
        if (!bs) {
          errs.push(`${where}: dynamic "${name}" is not a block of this type`);
          continue;
        }
        for (const dyn of dyns) {
          if (!("for_each" in dyn)) errs.push(`${where}: dynamic "${name}" has no for_each`);
          if (bs.nesting !== "opaque") for (const content of dyn.content ?? []) checkBody(content, bs, `${where}.${name}`, errs, false);
        }
      }
      continue;
    }
    const bs = schema.blocks[key];
    if (bs) {
      if (!isBlockValue(value)) errs.push(`${where}.${key} is a block but is written as an argument`);
      else {
        if (bs.nesting === "single" && value.length > 1) errs.push(`${where}.${key} may appear only once`);
        if (bs.nesting !== "opaque") for (const v of value) checkBody(v, bs, `${where}.${key}`, errs, false);
      }
    } else if (key in schema.attributes) {
      if (schema.attributes[key] === "computed") errs.push(`${where}.${key} is read-only (computed by the provider)`);
    } else {
      errs.push(`${where}: "${key}" is neither an argument nor a block in the provider schema`);
    }
  }
  for (const [key, flag] of Object.entries(schema.attributes)) {
    if (flag === "required" && !(key in body)) errs.push(`${where}: required argument "${key}" is missing`);
  }
  for (const [key, bs] of Object.entries(schema.blocks)) {
    if (bs.required && !(key in body) && !(body.dynamic && key in body.dynamic)) errs.push(`${where}: required block "${key}" is missing`);
  }
}

function declared(ctx, m, target) {
  const [root, a] = target.split(".");
  if (root === "var") return a in m.variables;
  if (root === "local") return a in m.locals;
  if (root === "module") return a in m.modules;
  return Boolean(block(m, target));
}

// Where an expression may be evaluated: everything except lifecycle (its values are
// attribute paths of the block itself, not references).
function* expressionsOf(m) {
  for (const b of m.blocks) {
    const { lifecycle, ...rest } = b.body;
    yield { where: b.address, value: rest, block: b };
  }
  for (const [name, l] of Object.entries(m.locals)) yield { where: `local.${name}`, value: l.expr };
  for (const [name, o] of Object.entries(m.outputs)) yield { where: `output.${name}`, value: o.body };
  for (const p of m.providers) yield { where: `provider.${p.name}`, value: p.body };
  for (const [name, v] of Object.entries(m.variables)) yield { where: `var.${name}`, value: v.body.validation ?? [], ownVariable: name };
}

function referenceErrors(ctx, m) {
  const errs = [];
  for (const { where, value, block: b, ownVariable } of expressionsOf(m)) {
    for (const ref of referencesOf(value)) {
      if (ref.root === "each" && b && !("for_each" in b.body) && !ref.path.startsWith("dynamic")) errs.push(`${where}: each.${ref.parts[0]} outside a for_each block`);
      if (ref.root === "count" && b && !("count" in b.body)) errs.push(`${where}: count.${ref.parts[0]} outside a count block`);
      const target = targetOf(ref);
      if (!target) continue;
      if (!declared(ctx, m, target)) {
        errs.push(`${where}: reference to undeclared ${target}`);
        continue;
      }
      const b2 = ref.root.startsWith("aws_") || ref.root === "data" ? block(m, target) : null;
      const attr = ref.root === "data" ? ref.parts[2] : ref.parts[1];
      if (b2 && attr) {
        const s = schemaFor(ctx, b2);
        if (s && !(attr in s.attributes) && !(attr in s.blocks)) errs.push(`${where}: ${target} has no attribute "${attr}"`);
      }
    }
  }
  return errs;
}

// A for_each/count value is known at plan time when it depends only on variables, locals and
// data sources that are themselves known at plan time, never on a resource attribute.
function unknownAtPlan(ctx, m, value, trail, seen) {
  const bad = [];
  for (const ref of referencesOf(value)) {
    const target = targetOf(ref);
    if (!target || ref.root === "var") continue;
    if (seen.has(target)) continue;
    seen.add(target);
    if (ref.root === "local") {
      const l = m.locals[ref.parts[0]];
      if (l) bad.push(...unknownAtPlan(ctx, m, l.expr, [...trail, target], seen));
    } else if (ref.root === "data") {
      const d = block(m, target);
      if (!d) continue;
      if (d.body.depends_on) bad.push([...trail, target, "depends_on"].join(" -> "));
      const { depends_on, lifecycle, ...args } = d.body;
      bad.push(...unknownAtPlan(ctx, m, args, [...trail, target], seen));
    } else if (ref.root === "module" || ref.root.startsWith("aws_")) {
      bad.push([...trail, ref.text].join(" -> "));
    }
  }
  return bad;
}

function planTimeErrors(ctx, m) {
  const errs = [];
  for (const b of m.blocks) {
    for (const meta of ["for_each", "count"]) {
      if (!(meta in b.body)) continue;
      for (const chain of unknownAtPlan(ctx, m, b.body[meta], [`${b.address}.${meta}`], new Set())) errs.push(`${chain} is only known after apply`);
    }
    for (const { path, value } of strings(b.body.dynamic ?? {})) {
      if (!path.endsWith("for_each")) continue;
      for (const chain of unknownAtPlan(ctx, m, value, [`${b.address}.dynamic.${path}`], new Set())) errs.push(`${chain} is only known after apply`);
    }
  }
  return errs;
}

function usesOf(m) {
  const used = new Set();
  for (const { value, ownVariable } of expressionsOf(m)) {
    if (ownVariable) continue;
    for (const ref of referencesOf(value)) {
      const t = targetOf(ref);
      if (t) used.add(t);
    }
  }
  for (const b of m.blocks) for (const ref of referencesOf(b.body.lifecycle ?? [])) used.add(targetOf(ref));
  return used;
}

function unusedErrors(m) {
  const used = usesOf(m);
  const errs = [];
  for (const name of Object.keys(m.variables)) if (!used.has(`var.${name}`)) errs.push(`variable "${name}" is declared but never used`);
  for (const name of Object.keys(m.locals)) if (!used.has(`local.${name}`)) errs.push(`local "${name}" is declared but never used`);
  for (const b of m.blocks) if (b.kind === "data" && !used.has(b.address)) errs.push(`${b.address} is declared but never used`);
  return errs;
}

export const structureChecks = [
  {
    id: "parse",
    title: "every .tf file parses with HashiCorp's HCL parser",
    run: (ctx) => [...ctx.mod.errors, ...ctx.boot.errors, ...ctx.tfvarsErrors],
  },
  {
    id: "fmt",
    title: "every .tf and .tfvars file is terraform fmt-clean (hclwrite.Format)",
    run: async (ctx) => {
      const errs = [];
      for (const f of [...ctx.mod.files, ...ctx.boot.files, ...ctx.tfvarsFiles]) {
        if ((await format(f.text)) !== f.text) errs.push(`${f.path ?? f.name} is not formatted (terraform fmt would rewrite it)`);
      }
      return errs;
    },
  },
  {
    id: "references",
    title: "every var., local., data., module and resource reference resolves (and names a real attribute)",
    run: (ctx) => [...referenceErrors(ctx, ctx.mod), ...referenceErrors(ctx, ctx.boot)],
  },
  {
    id: "plan-time-keys",
    title: "for_each and count use only values known at plan time",
    run: (ctx) => [...planTimeErrors(ctx, ctx.mod), ...planTimeErrors(ctx, ctx.boot)],
  },
  {
    id: "unused",
    title: "no variable, local or data source is declared without being used (tflint terraform_unused_declarations)",
    run: (ctx) => [...unusedErrors(ctx.mod), ...unusedErrors(ctx.boot)],
  },
  {
    id: "tfvars-declared",
    title: "every variable set in environments/*.tfvars is declared, and each file names its environment",
    run: (ctx) => {
      const errs = [];
      for (const [env, values] of Object.entries(ctx.tfvars)) {
        for (const key of Object.keys(values)) if (!(key in ctx.mod.variables)) errs.push(`environments/${env}.tfvars sets undeclared variable "${key}"`);
        if (values.environment !== env) errs.push(`environments/${env}.tfvars sets environment = ${str(values.environment)}`);
      }
      return errs;
    },
  },
  {
    id: "schema",
    title: "every argument and block name exists in the AWS provider v6 schema; required ones are set",
    run: (ctx) => {
      const errs = [];
      for (const m of [ctx.mod, ctx.boot]) {
        for (const b of m.blocks) {
          const s = schemaFor(ctx, b);
          if (!s) {
            errs.push(`${b.address}: type ${b.type} is not in the derived schema (rerun tests/schema/derive-schema.mjs)`);
            continue;
          }
          checkBody(b.body, s, b.address, errs, true);
        }
        for (const p of m.providers) if (p.name === "aws") checkBody(p.body, ctx.schema.provider, "provider.aws", errs, true);
      }
      return errs;
    },
  },
];

// ---------------------------------------------------------------------------------------
// Policy: checkov / trivy intent, evaluated on the code
// ---------------------------------------------------------------------------------------

function each(ctx, type, fn, kind = "resource") {
  const errs = [];
  for (const m of [ctx.mod, ctx.boot]) for (const b of blocksOfType(m, type, kind)) errs.push(...fn(b, m));
  return errs;
}

function hasBlock(body, name) {
  return isBlockValue(body[name]) || Boolean(body.dynamic && name in body.dynamic);
}

function mentions(value, re) {
  return [...strings(value)].some(({ value: v }) => re.test(v));
}

export const policyChecks = [
  {
    id: "CKV_AWS_37",
    title: "EKS control plane logging is enabled for all five log types",
    run: (ctx) =>
      each(ctx, "aws_eks_cluster", (b) => {
        const types = b.body.enabled_cluster_log_types ?? [];
        const missing = LOG_TYPES.filter((t) => !types.includes(t));
        return missing.length ? [`${b.address}: log types missing: ${missing.join(", ")}`] : [];
      }),
  },
  {
    id: "CKV_AWS_38",
    title: "the EKS public endpoint is never open to 0.0.0.0/0",
    run: (ctx) =>
      each(ctx, "aws_eks_cluster", (b, m) => {
        const vpc = get(b.body, "vpc_config.0") ?? {};
        // A literal false cannot be flipped; a variable can, so its CIDRs are checked too.
        if (vpc.endpoint_public_access === false) return [];
        const cidrs = vpc.public_access_cidrs;
        if (cidrs === undefined) return [`${b.address}: public endpoint possible without public_access_cidrs (AWS then allows 0.0.0.0/0)`];
        if (mentions(cidrs, /0\.0\.0\.0\/0/)) return [`${b.address}: public_access_cidrs contains 0.0.0.0/0`];
        const errs = [];
        for (const ref of referencesOf(cidrs).filter((r) => r.root === "var")) {
          const v = m.variables[ref.parts[0]];
          if (!/list|set/.test(str(v?.body.type))) continue;
          if (mentions(v.body.default ?? [], /0\.0\.0\.0\/0/)) errs.push(`var.${ref.parts[0]} defaults to 0.0.0.0/0`);
          if (!mentions(v.body.validation ?? [], /0\.0\.0\.0\/0/)) errs.push(`var.${ref.parts[0]} has no validation rejecting 0.0.0.0/0`);
        }
        return errs;
      }),
  },
  {
    id: "CKV_AWS_39",
    title: "the EKS public endpoint is disabled by default (or carries a documented skip)",
    run: (ctx) =>
      each(ctx, "aws_eks_cluster", (b, m) => {
        const pub = get(b.body, "vpc_config.0.endpoint_public_access");
        if (isBool(m, pub, false) || skipped(b, "CKV_AWS_39")) return [];
        return [`${b.address}: public endpoint enabled (${str(pub)}) without a reasoned checkov:skip`];
      }),
  },
  {
    id: "CKV_AWS_58",
    title: "EKS secrets are envelope-encrypted with a KMS key",
    run: (ctx) =>
      each(ctx, "aws_eks_cluster", (b) => {
        const enc = get(b.body, "encryption_config.0");
        if (!enc || !(enc.resources ?? []).includes("secrets") || !get(enc, "provider.0.key_arn")) return [`${b.address}: no encryption_config for secrets with a key`];
        return [];
      }),
  },
  {
    id: "CKV_AWS_79",
    title: "instance metadata requires IMDSv2 tokens (launch templates and instances)",
    run: (ctx) =>
      ["aws_launch_template", "aws_instance"].flatMap((type) =>
        each(ctx, type, (b) => (get(b.body, "metadata_options.0.http_tokens") === "required" ? [] : [`${b.address}: metadata_options.http_tokens is not "required"`])),
      ),
  },
  {
    id: "CKV_AWS_341",
    title: "instance metadata hop limit is 1, so pods cannot reach node credentials",
    run: (ctx) =>
      ["aws_launch_template", "aws_instance"].flatMap((type) =>
        each(ctx, type, (b) => (get(b.body, "metadata_options.0.http_put_response_hop_limit") === 1 ? [] : [`${b.address}: http_put_response_hop_limit is not 1`])),
      ),
  },
  {
    id: "CKV_AWS_91",
    title: "the load balancer can write access logs (optional bucket), or documents why not",
    run: (ctx) => each(ctx, "aws_lb", (b) => (hasBlock(b.body, "access_logs") || skipped(b, "CKV_AWS_91") ? [] : [`${b.address}: no access_logs block and no reasoned skip`])),
  },
  {
    id: "CKV_AWS_131",
    title: "the load balancer drops invalid HTTP header fields",
    run: (ctx) => each(ctx, "aws_lb", (b) => (b.body.drop_invalid_header_fields === true ? [] : [`${b.address}: drop_invalid_header_fields is not true`])),
  },
  {
    id: "CKV_AWS_150",
    title: "load balancer deletion protection is on by default",
    run: (ctx) => each(ctx, "aws_lb", (b, m) => (isBool(m, b.body.enable_deletion_protection, true) ? [] : [`${b.address}: enable_deletion_protection is not true by default`])),
  },
  {
    id: "CKV_AWS_2",
    title: "plain-HTTP listeners redirect to HTTPS when a certificate exists (skip documented otherwise)",
    run: (ctx) =>
      each(ctx, "aws_lb_listener", (b) => {
        if (b.body.protocol !== "HTTP") return [];
        const action = get(b.body, "default_action.0") ?? {};
        const redirects = [...(action.redirect ?? []), ...(get(action, "dynamic.redirect.0.content") ?? [])];
        const toHttps = redirects.some((r) => r.protocol === "HTTPS" && String(r.port) === "443");
        if (!toHttps) return [`${b.address}: HTTP listener has no redirect to HTTPS:443`];
        if (!skipped(b, "CKV_AWS_2") && typeof action.type === "string" && action.type.includes("forward")) return [`${b.address}: may forward plain HTTP without a reasoned skip`];
        return [];
      }),
  },
  {
    id: "CKV_AWS_103",
    title: "HTTPS listeners use ELBSecurityPolicy-TLS13-1-2-2021-06 (TLS 1.2+)",
    run: (ctx) =>
      each(ctx, "aws_lb_listener", (b) =>
        b.body.protocol === "HTTPS" && b.body.ssl_policy !== "ELBSecurityPolicy-TLS13-1-2-2021-06" ? [`${b.address}: ssl_policy is ${str(b.body.ssl_policy)}`] : [],
      ),
  },
  {
    id: "CKV_AWS_23",
    title: "every security group and rule has a description",
    run: (ctx) =>
      ["aws_security_group", "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"].flatMap((type) =>
        each(ctx, type, (b) => (typeof b.body.description === "string" && b.body.description.length > 5 ? [] : [`${b.address}: no description`])),
      ),
  },
  {
    id: "CKV_AWS_130",
    title: "no subnet assigns public IPs on launch",
    run: (ctx) => each(ctx, "aws_subnet", (b) => (b.body.map_public_ip_on_launch === true ? [`${b.address}: map_public_ip_on_launch = true`] : [])),
  },
  {
    id: "CKV_AWS_382",
    title: "no security group allows all egress to 0.0.0.0/0 (except a documented NAT)",
    run: (ctx) =>
      each(ctx, "aws_vpc_security_group_egress_rule", (b) =>
        b.body.cidr_ipv4 === "0.0.0.0/0" && String(b.body.ip_protocol) === "-1" && !skipped(b, "CKV_AWS_382") ? [`${b.address}: all traffic to 0.0.0.0/0`] : [],
      ),
  },
  {
    id: "CKV_AWS_7",
    title: "KMS keys rotate",
    run: (ctx) => each(ctx, "aws_kms_key", (b) => (b.body.enable_key_rotation === true ? [] : [`${b.address}: enable_key_rotation is not true`])),
  },
  {
    id: "CKV_AWS_158",
    title: "log groups are encrypted with the customer managed key",
    run: (ctx) => each(ctx, "aws_cloudwatch_log_group", (b) => (b.body.kms_key_id ? [] : [`${b.address}: no kms_key_id`])),
  },
  {
    id: "CKV_AWS_338",
    title: "log groups keep logs for at least a year by default",
    run: (ctx) =>
      each(ctx, "aws_cloudwatch_log_group", (b, m) => {
        const days = literal(m, b.body.retention_in_days, { defaults: true });
        return typeof days === "number" && days >= 365 ? [] : [`${b.address}: retention_in_days defaults to ${str(days)}`];
      }),
  },
  {
    id: "CKV_AWS_51",
    title: "ECR image tags are immutable",
    run: (ctx) => each(ctx, "aws_ecr_repository", (b) => (b.body.image_tag_mutability === "IMMUTABLE" ? [] : [`${b.address}: tags are mutable`])),
  },
  {
    id: "CKV_AWS_163",
    title: "ECR scans images on push",
    run: (ctx) => each(ctx, "aws_ecr_repository", (b) => (get(b.body, "image_scanning_configuration.0.scan_on_push") === true ? [] : [`${b.address}: scan_on_push is not true`])),
  },
  {
    id: "CKV_AWS_136",
    title: "ECR repositories are encrypted with the customer managed KMS key (trivy AVD-AWS-0033)",
    run: (ctx) =>
      each(ctx, "aws_ecr_repository", (b) => {
        const enc = get(b.body, "encryption_configuration.0") ?? {};
        return enc.encryption_type === "KMS" && enc.kms_key ? [] : [`${b.address}: not encrypted with a customer managed key`];
      }),
  },
  {
    id: "CKV_AWS_356",
    title: "IAM statements on Resource \"*\" grant only read actions that have no resource-level permissions",
    run: (ctx) =>
      each(
        ctx,
        "aws_iam_policy_document",
        (b) =>
          (b.body.statement ?? [])
            .filter((s) => (s.resources ?? []).includes("*"))
            .flatMap((s) => (s.actions ?? []).filter((a) => !/^[a-z0-9-]+:(Describe|Get|List)[A-Za-z]*$/.test(a)).map((a) => `${b.address}: ${a} on "*"`)),
        "data",
      ),
  },
  {
    id: "CKV2_AWS_11",
    title: "every VPC has flow logs",
    run: (ctx) =>
      each(ctx, "aws_vpc", (v, m) =>
        blocksOfType(m, "aws_flow_log").some((f) => referencesIn(str(f.body.vpc_id)).some((r) => targetOf(r) === v.address)) ? [] : [`${v.address}: no aws_flow_log`],
      ),
  },
  {
    id: "CKV2_AWS_12",
    title: "every VPC's default security group denies all traffic",
    run: (ctx) =>
      each(ctx, "aws_vpc", (v, m) => {
        const sg = blocksOfType(m, "aws_default_security_group").find((d) => referencesIn(str(d.body.vpc_id)).some((r) => targetOf(r) === v.address));
        if (!sg) return [`${v.address}: default security group not managed`];
        return sg.body.ingress || sg.body.egress ? [`${sg.address}: has rules`] : [];
      }),
  },
  {
    id: "CKV2_AWS_20",
    title: "the load balancer redirects HTTP to HTTPS when HTTPS exists (skip documented)",
    run: (ctx) =>
      each(ctx, "aws_lb", (b, m) => {
        const listeners = blocksOfType(m, "aws_lb_listener").filter((l) => l.body.protocol === "HTTP");
        const redirect = listeners.some((l) => get(l.body, "default_action.0.dynamic.redirect") || get(l.body, "default_action.0.redirect"));
        return redirect && skipped(b, "CKV2_AWS_20") ? [] : [`${b.address}: no HTTP->HTTPS redirect, or no reasoned skip for the certificate-less case`];
      }),
  },
  {
    id: "CKV2_AWS_28",
    title: "the public load balancer can be protected by WAF (optional, skip documented)",
    run: (ctx) =>
      each(ctx, "aws_lb", (b, m) => {
        const assoc = blocksOfType(m, "aws_wafv2_web_acl_association").some((a) => referencesIn(str(a.body.resource_arn)).some((r) => targetOf(r) === b.address));
        const acl = blocksOfType(m, "aws_wafv2_web_acl").some((w) => mentions(w.body, /^AWSManagedRulesCommonRuleSet$/));
        return assoc && acl && skipped(b, "CKV2_AWS_28") ? [] : [`${b.address}: no optional WAF with the AWS common rule set, or no reasoned skip`];
      }),
  },
];

// ---------------------------------------------------------------------------------------
// Design invariants of this project
// ---------------------------------------------------------------------------------------

export const invariantChecks = [
  {
    id: "three-zones",
    title: "three availability zones: validated variable, three per-zone subnets, both environments pin three",
    run: (ctx) => {
      const errs = [];
      const { mod } = ctx;
      if (!mentions(mod.variables.availability_zones?.body.validation ?? [], /length\(var\.availability_zones\) == 3/)) errs.push("var.availability_zones does not require three zones");
      if (!/slice\(.*, 0, 3\)/.test(str(mod.locals.azs?.expr))) errs.push("local.azs does not default to three zones");
      for (const s of ["aws_subnet.public", "aws_subnet.private"]) if (str(block(mod, s)?.body.for_each) !== "${local.zones}") errs.push(`${s} is not one per zone`);
      for (const [env, v] of Object.entries(ctx.tfvars)) {
        const azs = v.availability_zones ?? [];
        if (azs.length !== 3 || new Set(azs).size !== 3) errs.push(`${env}.tfvars does not list three distinct zones`);
      }
      return errs;
    },
  },
  {
    id: "nat-per-zone",
    title: "one NAT gateway per zone unless single_nat_gateway; prod keeps one per zone, dev uses one",
    run: (ctx) => {
      const errs = [];
      const { mod } = ctx;
      if (str(block(mod, "aws_nat_gateway.this")?.body.for_each) !== "${local.nat_gateway_zones}") errs.push("aws_nat_gateway.this is not keyed by local.nat_gateway_zones");
      if (!/^\$\{\{\s*for az, zone in local\.zones : az => zone\s+if var\.nat_mode == "gateway" && \(!var\.single_nat_gateway \|\| az == local\.first_az\)\s*\}\}$/.test(str(mod.locals.nat_gateway_zones?.expr))) errs.push("local.nat_gateway_zones is not every zone when single_nat_gateway is false");
      if (mod.variables.single_nat_gateway?.body.default !== false) errs.push("single_nat_gateway does not default to false");
      if (ctx.tfvars.prod?.single_nat_gateway !== false || (ctx.tfvars.prod?.nat_mode ?? "gateway") !== "gateway") errs.push("prod.tfvars must keep a NAT gateway per zone");
      if (ctx.tfvars.dev?.single_nat_gateway !== true) errs.push("dev.tfvars must use a single NAT");
      return errs;
    },
  },
  {
    id: "private-routes-own-zone",
    title: "each private subnet routes through a route table of its own zone to that zone's NAT",
    run: (ctx) => {
      const errs = [];
      const { mod } = ctx;
      const rt = block(mod, "aws_route_table.private");
      const route = block(mod, "aws_route.private_nat");
      const assoc = block(mod, "aws_route_table_association.private");
      if (str(rt?.body.for_each) !== "${local.zones}") errs.push("aws_route_table.private is not one per zone");
      if (str(route?.body.for_each) !== "${local.zones}") errs.push("aws_route.private_nat is not one per zone");
      if (str(route?.body.route_table_id) !== "${aws_route_table.private[each.key].id}") errs.push("aws_route.private_nat is not in its zone's route table");
      if (!/aws_nat_gateway\.this\[var\.single_nat_gateway \? local\.first_az : each\.key\]/.test(str(route?.body.nat_gateway_id))) errs.push("aws_route.private_nat does not use its own zone's NAT gateway");
      if (route?.body.destination_cidr_block !== "0.0.0.0/0") errs.push("aws_route.private_nat is not the default route");
      if (str(assoc?.body.subnet_id) !== "${aws_subnet.private[each.key].id}" || str(assoc?.body.route_table_id) !== "${aws_route_table.private[each.key].id}") errs.push("private subnets are not associated with their own zone's route table");
      return errs;
    },
  },
  {
    id: "target-group",
    title: "target group: instance targets on node port 30080, health check /readyz every 10 s, 2/2 thresholds, 30 s deregistration",
    run: (ctx) => {
      const tg = block(ctx.mod, "aws_lb_target_group.app");
      if (!tg) return ["aws_lb_target_group.app is missing"];
      const hc = get(tg.body, "health_check.0") ?? {};
      const want = [
        ["port", tg.body.port, 30080],
        ["protocol", tg.body.protocol, "HTTP"],
        ["target_type", tg.body.target_type, "instance"],
        ["deregistration_delay", tg.body.deregistration_delay, 30],
        ["health_check.path", hc.path, "/readyz"],
        ["health_check.interval", hc.interval, 10],
        ["health_check.healthy_threshold", hc.healthy_threshold, 2],
        ["health_check.unhealthy_threshold", hc.unhealthy_threshold, 2],
      ];
      return want.filter(([, got, exp]) => got !== exp).map(([k, got, exp]) => `target group ${k} is ${str(got)}, want ${str(exp)}`);
    },
  },
  {
    id: "asg-attachment",
    title: "the node group's Auto Scaling group is attached to the target group (static keys); no static instance attachment",
    run: (ctx) => {
      const errs = [];
      const { mod } = ctx;
      const att = blocksOfType(mod, "aws_autoscaling_attachment");
      if (att.length === 0) errs.push("no aws_autoscaling_attachment");
      for (const a of att) {
        if (str(a.body.for_each) !== "${local.node_groups}") errs.push(`${a.address} is not keyed by the node groups`);
        if (!/aws_eks_node_group\.this\[each\.key\]\.resources\[0\]\.autoscaling_groups\[0\]\.name/.test(str(a.body.autoscaling_group_name))) errs.push(`${a.address} does not attach the node group's Auto Scaling group`);
        if (str(a.body.lb_target_group_arn) !== "${aws_lb_target_group.app.arn}") errs.push(`${a.address} does not target aws_lb_target_group.app`);
      }
      for (const t of blocksOfType(mod, "aws_lb_target_group_attachment")) errs.push(`${t.address} registers static targets`);
      // Keyed by zone name, known at plan time.
      if (!/for az, zone in local\.zones : az =>/.test(str(mod.locals.node_groups?.expr))) errs.push("local.node_groups is not keyed by zone");
      return errs;
    },
  },
  {
    id: "node-ingress-from-alb-only",
    title: "nodes accept only node port 30080 and only from the load balancer's security group",
    run: (ctx) => {
      const errs = [];
      const { mod } = ctx;
      const nodes = block(mod, "aws_security_group.nodes");
      if (!nodes) return ["aws_security_group.nodes is missing"];
      if (nodes.body.ingress || nodes.body.egress) errs.push("aws_security_group.nodes has inline rules");
      const rules = blocksOfType(mod, "aws_vpc_security_group_ingress_rule").filter((r) => str(r.body.security_group_id) === "${aws_security_group.nodes.id}");
      if (rules.length === 0) errs.push("no ingress rule for the nodes");
      for (const r of rules) {
        if (str(r.body.referenced_security_group_id) !== "${aws_security_group.alb.id}") errs.push(`${r.address} admits a source other than the ALB group`);
        if (r.body.cidr_ipv4 || r.body.cidr_ipv6 || r.body.prefix_list_id) errs.push(`${r.address} admits CIDRs`);
        if (r.body.from_port !== 30080 || r.body.to_port !== 30080 || r.body.ip_protocol !== "tcp") errs.push(`${r.address} opens more than tcp/30080`);
      }
      for (const r of blocksOfType(mod, "aws_security_group_rule")) errs.push(`${r.address}: use aws_vpc_security_group_*_rule`);
      const lt = block(mod, "aws_launch_template.nodes");
      if (!/cluster_security_group_id/.test(str(lt?.body.vpc_security_group_ids)) || !/aws_security_group\.nodes\.id/.test(str(lt?.body.vpc_security_group_ids))) errs.push("nodes do not carry both the cluster and the node security group");
      return errs;
    },
  },
  {
    id: "outputs",
    title: "every output of the contract exists",
    run: (ctx) => REQUIRED_OUTPUTS.filter((o) => !(o in ctx.mod.outputs)).map((o) => `output "${o}" is missing`),
  },
  {
    id: "nodes-managed",
    title: "managed nodes: AL2023, latest launch template version, only desired_size ignored, no user data, IMDS/disk hardened, policy attachments",
    run: (ctx) => {
      const errs = [];
      const { mod } = ctx;
      const ng = block(mod, "aws_eks_node_group.this");
      if (!ng) return ["aws_eks_node_group.this is missing"];
      if (ng.body.ami_type !== "AL2023_x86_64_STANDARD") errs.push(`ami_type is ${str(ng.body.ami_type)}`);
      if (str(get(ng.body, "launch_template.0.version")) !== "${aws_launch_template.nodes.latest_version}") errs.push("node group does not follow the launch template's latest version");
      if (JSON.stringify(get(ng.body, "lifecycle.0.ignore_changes")) !== JSON.stringify(["${scaling_config[0].desired_size}"])) errs.push("ignore_changes must be exactly desired_size");
      if (!/aws_subnet\.private/.test(str(ng.body.subnet_ids))) errs.push("node group is not in the private subnets");
      const lt = block(mod, "aws_launch_template.nodes");
      if (lt?.body.user_data || lt?.body.image_id) errs.push("launch template sets user data or an image");
      const ebs = get(lt?.body ?? {}, "block_device_mappings.0.ebs.0") ?? {};
      if (ebs.encrypted !== true || ebs.volume_type !== "gp3") errs.push("node root volume is not encrypted gp3");
      for (const m of [mod, ctx.boot]) for (const r of blocksOfType(m, "aws_iam_role")) if ("managed_policy_arns" in r.body) errs.push(`${r.address} uses managed_policy_arns`);
      if (!blocksOfType(mod, "aws_iam_role_policy_attachment").some((a) => str(a.body.role) === "${aws_iam_role.node.name}")) errs.push("node role has no policy attachments");
      return errs;
    },
  },
  {
    id: "eks-cluster",
    title: "EKS: API authentication with access entries, private endpoint on, private subnets, retained log group, secrets key rotates",
    run: (ctx) => {
      const errs = [];
      const { mod } = ctx;
      const c = block(mod, "aws_eks_cluster.this");
      if (!c) return ["aws_eks_cluster.this is missing"];
      if (get(c.body, "access_config.0.authentication_mode") !== "API") errs.push("authentication_mode is not API");
      if (get(c.body, "vpc_config.0.endpoint_private_access") !== true) errs.push("private endpoint is off");
      if (!/aws_subnet\.private/.test(str(get(c.body, "vpc_config.0.subnet_ids")))) errs.push("cluster is not in the private subnets");
      if (str(c.body.version) !== "${var.kubernetes_version}") errs.push("cluster version is not the variable");
      if (!blocksOfType(mod, "aws_eks_access_entry").length || !blocksOfType(mod, "aws_eks_access_policy_association").length) errs.push("no access entries for admins");
      const lg = block(mod, "aws_cloudwatch_log_group.eks");
      if (lg?.body.name !== "/aws/eks/${local.cluster_name}/cluster" || !lg?.body.retention_in_days) errs.push("the cluster's log group is not created with a retention");
      if (!(c.body.depends_on ?? []).includes("${aws_cloudwatch_log_group.eks}")) errs.push("the cluster does not wait for its log group");
      return errs;
    },
  },
  {
    id: "eks-addons",
    title: "add-ons: vpc-cni (network policy on), kube-proxy, pod identity agent before nodes; coredns and metrics-server after; autoscaler bound by Pod Identity",
    run: (ctx) => {
      const errs = [];
      const { mod } = ctx;
      const before = mod.locals.addons_before_nodes?.expr ?? {};
      const after = str(mod.locals.addons_after_nodes?.expr);
      for (const a of ["vpc-cni", "kube-proxy", "eks-pod-identity-agent"]) if (typeof before !== "object" || !(a in before)) errs.push(`${a} is not installed before the nodes`);
      for (const a of ["coredns", "metrics-server", "amazon-cloudwatch-observability"]) if (!after.includes(a)) errs.push(`${a} is not installed after the nodes`);
      if (!/enableNetworkPolicy = "true"/.test(str(before["vpc-cni"]?.configuration_values))) errs.push("vpc-cni does not enable network policy");
      if (!(block(mod, "aws_eks_addon.after_nodes")?.body.depends_on ?? []).includes("${aws_eks_node_group.this}")) errs.push("late add-ons do not wait for the node group");
      if (!(block(mod, "aws_eks_node_group.this")?.body.depends_on ?? []).includes("${aws_eks_addon.before_nodes}")) errs.push("the node group does not wait for the networking add-ons");
      const pia = block(mod, "aws_eks_pod_identity_association.cluster_autoscaler");
      if (pia?.body.namespace !== "kube-system" || pia?.body.service_account !== "cluster-autoscaler") errs.push("no Pod Identity association for kube-system/cluster-autoscaler");
      return errs;
    },
  },
  {
    id: "state-backend",
    title: "Terraform >= 1.10, AWS provider ~> 6.x, S3 backend partial configuration with encryption and lock file",
    run: (ctx) => {
      const errs = [];
      const tf = ctx.mod.terraform.map((t) => t.body);
      const s3 = tf.map((t) => get(t, "backend.s3.0")).find(Boolean);
      if (!s3) errs.push("no backend \"s3\"");
      else {
        if (s3.encrypt !== true) errs.push("backend encrypt is not true");
        if (s3.use_lockfile !== true) errs.push("backend use_lockfile is not true");
        for (const k of ["bucket", "key", "region"]) if (k in s3) errs.push(`backend hard-codes ${k} (partial configuration expected)`);
      }
      const rv = tf.map((t) => t.required_version).find(Boolean);
      if (rv !== ">= 1.10") errs.push(`required_version is ${str(rv)}`);
      const aws = tf.map((t) => get(t, "required_providers.0.aws")).find(Boolean);
      if (!aws || aws.source !== "hashicorp/aws" || !/^~> 6\./.test(aws.version ?? "")) errs.push("aws provider is not pinned to ~> 6.x");
      for (const b of ctx.boot.terraform.map((t) => t.body)) if (b.backend) errs.push("the bootstrap stack must keep local state");
      return errs;
    },
  },
  {
    id: "state-bucket",
    title: "the state bucket is versioned, encrypted, private, TLS-only and never destroyed with its contents",
    run: (ctx) => {
      const errs = [];
      const { boot } = ctx;
      const bucket = block(boot, "aws_s3_bucket.state");
      if (!bucket) return ["aws_s3_bucket.state is missing"];
      if (get(bucket.body, "lifecycle.0.prevent_destroy") !== true) errs.push("state bucket lacks prevent_destroy");
      if (get(block(boot, "aws_s3_bucket_versioning.state")?.body ?? {}, "versioning_configuration.0.status") !== "Enabled") errs.push("state bucket is not versioned");
      if (!get(block(boot, "aws_s3_bucket_server_side_encryption_configuration.state")?.body ?? {}, "rule.0.apply_server_side_encryption_by_default.0.sse_algorithm")) errs.push("state bucket is not encrypted");
      const pab = block(boot, "aws_s3_bucket_public_access_block.state")?.body ?? {};
      for (const k of ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]) if (pab[k] !== true) errs.push(`public access block ${k} is not true`);
      if (!mentions(block(boot, "aws_s3_bucket_policy.state")?.body ?? {}, /aws:SecureTransport/)) errs.push("state bucket does not deny plain HTTP");
      if (!/hello-tfstate-\$\{data\.aws_caller_identity\.current\.account_id\}-\$\{var\.region\}/.test(str(boot.locals.bucket_name?.expr))) errs.push("state bucket is not named hello-tfstate-<account>-<region>");
      return errs;
    },
  },
  {
    id: "prod-high-availability",
    title: "prod keeps at least three on-demand nodes (one per zone) and deletion protection",
    run: (ctx) => {
      const p = ctx.tfvars.prod ?? {};
      const errs = [];
      if (!(p.node_min_size >= 3)) errs.push(`prod node_min_size is ${str(p.node_min_size)}`);
      if ((p.node_capacity_type ?? "ON_DEMAND") !== "ON_DEMAND") errs.push("prod nodes are not on-demand");
      if (p.alb_deletion_protection === false) errs.push("prod turns deletion protection off");
      if ((p.node_instance_types ?? []).some((t) => /^[a-z][0-9][a-z]*g[a-z]*\./.test(t))) errs.push("prod uses a non-x86_64 instance type");
      return errs;
    },
  },
  {
    id: "alb-timeouts",
    title: "load balancer idle timeout (60 s) stays below the server's 75 s keep-alive",
    run: (ctx) => {
      const lb = block(ctx.mod, "aws_lb.this");
      return lb && typeof lb.body.idle_timeout === "number" && lb.body.idle_timeout < 75 ? [] : ["aws_lb.this idle_timeout must be set below 75"];
    },
  },
  {
    id: "github-oidc",
    title: "optional GitHub OIDC role: off by default, trusts only main and the environment, may only push to this repository and describe this cluster",
    run: (ctx) => {
      const errs = [];
      const { mod } = ctx;
      if (mod.variables.github_repository?.body.default !== null) errs.push("github_repository must default to null (role disabled)");
      const trust = block(mod, "data.aws_iam_policy_document.github_assume");
      const conds = get(trust?.body ?? {}, "statement.0.condition") ?? [];
      const sub = conds.find((c) => /:sub/.test(str(c.variable)));
      if (!sub || sub.test !== "StringEquals" || !(sub.values ?? []).every((v) => v.startsWith("repo:${var.github_repository}:"))) errs.push("trust is not limited to exact subjects of var.github_repository");
      if ((sub?.values ?? []).some((v) => /pull_request|\*/.test(v))) errs.push("trust admits pull requests or wildcards");
      if (!conds.some((c) => /:aud/.test(str(c.variable)) && (c.values ?? []).includes("sts.amazonaws.com"))) errs.push("trust does not pin the audience");
      const perm = block(mod, "data.aws_iam_policy_document.github_actions");
      for (const s of get(perm?.body ?? {}, "statement") ?? []) {
        for (const a of s.actions ?? []) if (!/^ecr:|^eks:DescribeCluster$/.test(a)) errs.push(`GitHub role may ${a}`);
        if ((s.resources ?? []).includes("*") && JSON.stringify(s.actions) !== JSON.stringify(["ecr:GetAuthorizationToken"])) errs.push("GitHub role has a wildcard resource beyond registry login");
      }
      if (!("github_actions_role_arn" in mod.outputs)) errs.push("no github_actions_role_arn output");
      return errs;
    },
  },
];

invariantChecks.push(
  {
    id: "cost-targets",
    title: "fixed monthly cost in eu-west-2: prod <= $335 with every HA property, dev <= $150",
    run: (ctx) =>
      Object.entries(TARGETS).flatMap(([env, target]) => {
        const { total } = fixedMonthly(ctx, env);
        return total <= target ? [] : [`${env} costs $${total.toFixed(2)} a month before traffic, target $${target}`];
      }),
  },
  {
    id: "cost-doc-current",
    title: "docs/costs.md shows the cost tables computed from the current code",
    run: (ctx) => {
      let doc;
      try {
        doc = readFileSync(join(REPO_ROOT, "docs/costs.md"), "utf8");
      } catch {
        return ["docs/costs.md is missing"];
      }
      return Object.keys(TARGETS)
        .filter((env) => !doc.includes(markdownTable(fixedMonthly(ctx, env))))
        .map((env) => `docs/costs.md does not show the current ${env} table (print it with: node deploy/terraform/tests/lib/costs.mjs ${env})`);
    },
  },
);

invariantChecks.push({
  id: "readme-current",
  title: "deploy/terraform/README.md lists every input and output and the current monthly costs",
  run: (ctx) => {
    let readme;
    try {
      readme = readFileSync(join(TF_ROOT, "README.md"), "utf8");
    } catch {
      return ["deploy/terraform/README.md is missing"];
    }
    const errs = [];
    for (const name of Object.keys(ctx.mod.variables)) if (!readme.includes(`| \`${name}\` |`)) errs.push(`README.md does not document input ${name}`);
    for (const name of Object.keys(ctx.mod.outputs)) if (!readme.includes(`| \`${name}\` |`)) errs.push(`README.md does not document output ${name}`);
    for (const env of Object.keys(TARGETS)) {
      const total = `**$${fixedMonthly(ctx, env).total.toFixed(2)}**`;
      if (!readme.includes(total)) errs.push(`README.md does not show ${env}'s current fixed cost ${total}`);
    }
    return errs;
  },
});

export const allChecks = [...structureChecks, ...policyChecks, ...invariantChecks];
