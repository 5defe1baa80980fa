data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

# Resolves an assumed role's temporary identity to the IAM role ARN an EKS access entry needs.
data "aws_iam_session_context" "current" {
  arn = data.aws_caller_identity.current.arn
}

data "aws_availability_zones" "available" {
  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

locals {
  cluster_name = "${var.name}-${var.environment}"
  partition    = data.aws_partition.current.partition
  account_id   = data.aws_caller_identity.current.account_id

  tags = merge(var.tags, {
    Project     = var.name
    Environment = var.environment
    ManagedBy   = "terraform"
  })

  # Zone names are the for_each keys of every per-zone resource, so they must be known at plan
  # time: the environments pin them; otherwise the first three available zones are used.
  azs = length(var.availability_zones) > 0 ? var.availability_zones : slice(sort(data.aws_availability_zones.available.names), 0, 3)

  # Private subnets take three /18-equivalents (pods get VPC addresses), public ones small
  # slices of the last quarter; both scale with the VPC prefix.
  zones = {
    for index, az in local.azs : az => {
      index        = index
      private_cidr = cidrsubnet(var.vpc_cidr, 2, index)
      public_cidr  = cidrsubnet(var.vpc_cidr, 6, 48 + index)
    }
  }

  first_az = local.azs[0]

  # Zones that get their own NAT gateway: every zone, or only the first with a single NAT,
  # or none with the NAT instance.
  nat_gateway_zones = {
    for az, zone in local.zones : az => zone
    if var.nat_mode == "gateway" && (!var.single_nat_gateway || az == local.first_az)
  }

  https_enabled      = var.certificate_arn != null || var.domain_name != null
  create_certificate = var.certificate_arn == null && var.domain_name != null && var.route53_zone_id != null

  # One managed node group per zone, keyed by zone name (known at plan time, so the Auto
  # Scaling attachments have plan-time keys). A single group over three zones lets the Cluster
  # Autoscaler add a node only "somewhere": a pod bound to a zonal EBS volume could wait
  # forever. Per zone, with --balance-similar-node-groups, it adds the node where the pod
  # must run and keeps the zones level. The totals in the variables are split over the zones,
  # the remainder going to the first zones: min 1, desired 1, max 3 gives (1, 1, 1), (0, 0, 1)
  # and (0, 0, 1).
  node_groups = {
    for az, zone in local.zones : az => {
      min_size     = floor(var.node_min_size / length(local.azs)) + (zone.index < var.node_min_size % length(local.azs) ? 1 : 0)
      desired_size = floor(var.node_desired_size / length(local.azs)) + (zone.index < var.node_desired_size % length(local.azs) ? 1 : 0)
      max_size     = floor(var.node_max_size / length(local.azs)) + (zone.index < var.node_max_size % length(local.azs) ? 1 : 0)
      # "hello-prod-a-": short enough for the generated suffix within EKS's 63 characters.
      name_prefix = "${local.cluster_name}-${trimprefix(az, var.region)}-"
    }
  }

  # Burstable types in standard credit mode cannot run up surplus-credit charges.
  burstable_nodes = alltrue([for t in var.node_instance_types : can(regex("^t[0-9]", t))])

  # The EKS-optimized Amazon Linux 2023 image for the nodes' architecture (the variable's
  # validation keeps the instance types on it).
  node_ami_type = { arm64 = "AL2023_ARM_64_STANDARD", x86_64 = "AL2023_x86_64_STANDARD" }[var.node_architecture]

  # The NAT instance's image follows its type: Graviton families (t4g, ...) run arm64.
  nat_architecture = can(regex("^([a-z]+[0-9]+g[a-z]*|a1)\\.", var.nat_instance_type)) ? "arm64" : "x86_64"
}
