data "aws_iam_policy_document" "eks_assume" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]

    principals {
      type        = "Service"
      identifiers = ["eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cluster" {
  name_prefix        = "${local.cluster_name}-cluster-"
  assume_role_policy = data.aws_iam_policy_document.eks_assume.json
}

resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonEKSClusterPolicy"
}

# Envelope encryption of Kubernetes secrets needs the cluster role to use the key.
resource "aws_iam_role_policy" "cluster_kms" {
  name = "encrypt-secrets"
  role = aws_iam_role.cluster.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"]
      Resource = aws_kms_key.main.arn
    }]
  })
}

# EKS writes to this exact name; creating it first gives it a retention and the key.
resource "aws_cloudwatch_log_group" "eks" {
  name              = "/aws/eks/${local.cluster_name}/cluster"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

# The public endpoint is off unless asked for, and then open only to the given CIDRs (never
# 0.0.0.0/0, see the variable's validation); the nodes always use the private endpoint.
resource "aws_eks_cluster" "this" {
  name     = local.cluster_name
  version  = var.kubernetes_version
  role_arn = aws_iam_role.cluster.arn

  enabled_cluster_log_types = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

  # The add-ons below are managed by EKS from the start instead of adopting self-managed copies.
  bootstrap_self_managed_addons = false

  access_config {
    authentication_mode                         = "API"
    bootstrap_cluster_creator_admin_permissions = false
  }

  vpc_config {
    subnet_ids              = [for az in local.azs : aws_subnet.private[az].id]
    endpoint_private_access = true
    endpoint_public_access  = var.cluster_endpoint_public_access
    public_access_cidrs     = var.cluster_endpoint_public_access ? var.cluster_endpoint_public_access_cidrs : null
  }

  encryption_config {
    resources = ["secrets"]

    provider {
      key_arn = aws_kms_key.main.arn
    }
  }

  # At the end of standard support EKS upgrades the cluster instead of billing extended support.
  upgrade_policy {
    support_type = "STANDARD"
  }

  depends_on = [
    aws_iam_role_policy_attachment.cluster,
    aws_iam_role_policy.cluster_kms,
    aws_cloudwatch_log_group.eks,
  ]
}

locals {
  # The key of the entry for whoever ran the first apply. It is not an ARN, so it stays the
  # same whoever applies later.
  first_apply_caller = "first-apply-caller"

  # Pinned principals are keyed by their ARN. The first apply's caller (a laptop, typically)
  # gets its own entry, which later applies keep as it is (ignore_changes below): when CI
  # applies after a person did, nobody's access changes. CI's role belongs in the pinned list.
  admin_access_entries = merge(
    { for arn in var.cluster_admin_principal_arns : arn => arn },
    var.grant_caller_cluster_admin ? { (local.first_apply_caller) = data.aws_iam_session_context.current.issuer_arn } : {},
  )
}

resource "aws_eks_access_entry" "admin" {
  for_each = local.admin_access_entries

  cluster_name  = aws_eks_cluster.this.name
  principal_arn = each.value
  type          = "STANDARD"

  lifecycle {
    # Only the first-apply entry's wanted principal changes (with the caller); it keeps the first.
    ignore_changes = [principal_arn]

    # EKS allows one access entry per principal.
    postcondition {
      condition     = each.key != local.first_apply_caller || !contains(var.cluster_admin_principal_arns, self.principal_arn)
      error_message = "${self.principal_arn} has cluster-admin as the first apply's caller; remove it from cluster_admin_principal_arns, or set grant_caller_cluster_admin = false to list it there instead."
    }
  }
}

resource "aws_eks_access_policy_association" "admin" {
  for_each = local.admin_access_entries

  cluster_name  = aws_eks_cluster.this.name
  principal_arn = aws_eks_access_entry.admin[each.key].principal_arn
  policy_arn    = "arn:${local.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"

  access_scope {
    type = "cluster"
  }
}

locals {
  # Add-ons nodes need in order to become Ready (networking, service routing, credentials for
  # pods) are installed before the node group; the others are Deployments that need nodes.
  addons_before_nodes = {
    vpc-cni = {
      # Enforces Kubernetes NetworkPolicy with the VPC CNI's eBPF agent.
      configuration_values = jsonencode({ enableNetworkPolicy = "true" })
    }
    kube-proxy             = { configuration_values = null }
    eks-pod-identity-agent = { configuration_values = null }
  }

  addons_after_nodes = merge(
    {
      coredns        = { configuration_values = null }
      metrics-server = { configuration_values = null }
    },
    # Container Insights (on in prod). Its CloudWatch agent and Fluent Bit DaemonSets run on the
    # host network, so they reach IMDSv2 on their node within the hop limit of 1, and both run
    # as the ServiceAccount cloudwatch-agent, which gets its role through EKS Pod Identity below.
    var.enable_container_insights ? { amazon-cloudwatch-observability = { configuration_values = null } } : {},
    # Volumes for deploy/k8s/components/stateful (its StorageClass names this driver). Nodes
    # keep IMDS out of pods' reach (hop limit 1), so the driver reads its node's zone and
    # instance from the Kubernetes API instead.
    var.enable_ebs_csi_driver ? { aws-ebs-csi-driver = { configuration_values = null } } : {},
  )

  # Add-ons whose pods call AWS APIs, each with its own role through EKS Pod Identity, so the
  # node role stays as narrow as it is (hop limit 1 keeps other pods away from it).
  addon_roles = merge(
    var.enable_container_insights ? {
      amazon-cloudwatch-observability = { role_name = "cw-agent", service_account = "cloudwatch-agent", policy = "CloudWatchAgentServerPolicy" }
    } : {},
    var.enable_ebs_csi_driver ? {
      aws-ebs-csi-driver = { role_name = "ebs-csi", service_account = "ebs-csi-controller-sa", policy = "service-role/AmazonEBSCSIDriverPolicy" }
    } : {},
  )
}

# The version EKS currently recommends for each add-on on the cluster's Kubernetes version.
# AWS moves it within a minor version too (new eksbuild releases), so an apply after such a
# move upgrades the add-on. Versions in var.addon_versions are pinned instead; output
# eks_addon_versions shows what is installed, ready to copy into the tfvars.
data "aws_eks_addon_version" "this" {
  for_each = merge(local.addons_before_nodes, local.addons_after_nodes)

  addon_name         = each.key
  kubernetes_version = var.kubernetes_version
}

locals {
  addon_version = {
    for name in keys(merge(local.addons_before_nodes, local.addons_after_nodes)) :
    name => lookup(var.addon_versions, name, data.aws_eks_addon_version.this[name].version)
  }

  # The first version of each add-on that takes its role through EKS Pod Identity
  # (amazon-cloudwatch-observability: 3.1.0, per the CloudWatch user guide), as major * 1000 + minor.
  addon_min_pod_identity_version = { amazon-cloudwatch-observability = 3001 }
}

resource "aws_eks_addon" "before_nodes" {
  for_each = local.addons_before_nodes

  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = each.key
  addon_version               = local.addon_version[each.key]
  configuration_values        = each.value.configuration_values
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"
}

resource "aws_eks_addon" "after_nodes" {
  for_each = local.addons_after_nodes

  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = each.key
  addon_version               = local.addon_version[each.key]
  configuration_values        = each.value.configuration_values
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  dynamic "pod_identity_association" {
    for_each = contains(keys(local.addon_roles), each.key) ? [local.addon_roles[each.key]] : []

    content {
      role_arn        = aws_iam_role.addon[each.key].arn
      service_account = pod_identity_association.value.service_account
    }
  }

  lifecycle {
    # An older add-on would ignore the association and find no credentials: its pods cannot
    # reach the node role either (hop limit 1, and it has no CloudWatch permissions).
    precondition {
      condition = !contains(keys(local.addon_min_pod_identity_version), each.key) || try(
        tonumber(regex("^v([0-9]+)\\.([0-9]+)\\.", local.addon_version[each.key])[0]) * 1000 +
        tonumber(regex("^v([0-9]+)\\.([0-9]+)\\.", local.addon_version[each.key])[1]) >= lookup(local.addon_min_pod_identity_version, each.key, 0),
        false,
      )
      error_message = "${each.key} ${local.addon_version[each.key]} cannot take its role through EKS Pod Identity; pin ${format("v%d.%d.0", floor(lookup(local.addon_min_pod_identity_version, each.key, 0) / 1000), lookup(local.addon_min_pod_identity_version, each.key, 0) % 1000)} or later in addon_versions."
    }
  }

  depends_on = [aws_eks_node_group.this]
}

data "aws_iam_policy_document" "pod_identity_assume" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]

    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "addon" {
  for_each = local.addon_roles

  name_prefix        = "${local.cluster_name}-${each.value.role_name}-"
  assume_role_policy = data.aws_iam_policy_document.pod_identity_assume.json
}

resource "aws_iam_role_policy_attachment" "addon" {
  for_each = local.addon_roles

  role       = aws_iam_role.addon[each.key].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.value.policy}"
}

moved {
  from = aws_iam_role.cloudwatch_agent[0]
  to   = aws_iam_role.addon["amazon-cloudwatch-observability"]
}

moved {
  from = aws_iam_role_policy_attachment.cloudwatch_agent[0]
  to   = aws_iam_role_policy_attachment.addon["amazon-cloudwatch-observability"]
}
