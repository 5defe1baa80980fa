data "aws_iam_policy_document" "ec2_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "node" {
  name_prefix        = "${local.cluster_name}-node-"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
}

# Separate attachments (not managed_policy_arns) so that no other tool's attachment is
# silently removed and each can change on its own.
resource "aws_iam_role_policy_attachment" "node" {
  for_each = toset(["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly"])

  role       = aws_iam_role.node.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.key}"
}

# No image and no user data: the AL2023 AMI type lets EKS pick the image and generate the
# nodeadm configuration, and keeps node upgrades a single node group version bump.
resource "aws_launch_template" "nodes" {
  name_prefix            = "${local.cluster_name}-nodes-"
  description            = "EKS managed nodes of ${local.cluster_name}"
  update_default_version = true

  # Without the cluster security group here EKS would not add it, and nodes could not reach
  # each other or the control plane.
  vpc_security_group_ids = [
    aws_eks_cluster.this.vpc_config[0].cluster_security_group_id,
    aws_security_group.nodes.id,
  ]

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
    # Hop limit 1 keeps pods (one hop further) away from the node role's credentials; they
    # get their own through EKS Pod Identity.
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_size           = var.node_disk_size
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  dynamic "credit_specification" {
    for_each = local.burstable_nodes ? [1] : []

    content {
      cpu_credits = "standard"
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(local.tags, { Name = "${local.cluster_name}-node" })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(local.tags, { Name = "${local.cluster_name}-node" })
  }
}

# One per zone (local.node_groups). EKS tags each group's Auto Scaling group with
# k8s.io/cluster-autoscaler/enabled and k8s.io/cluster-autoscaler/<cluster>, which is what the
# autoscaler's auto-discovery reads.
resource "aws_eks_node_group" "this" {
  for_each = local.node_groups

  cluster_name = aws_eks_cluster.this.name
  # A generated name: changing instance types, capacity type, AMI type or subnets replaces
  # the group, and the new one is created (and its nodes ready) before the old one drains.
  node_group_name_prefix = each.value.name_prefix
  node_role_arn          = aws_iam_role.node.arn
  subnet_ids             = [aws_subnet.private[each.key].id]
  ami_type               = local.node_ami_type
  instance_types         = var.node_instance_types
  capacity_type          = var.node_capacity_type

  scaling_config {
    min_size     = each.value.min_size
    desired_size = each.value.desired_size
    max_size     = each.value.max_size
  }

  update_config {
    max_unavailable = 1
  }

  node_repair_config {
    enabled = true
  }

  launch_template {
    id      = aws_launch_template.nodes.id
    version = aws_launch_template.nodes.latest_version
  }

  lifecycle {
    create_before_destroy = true
    # The cluster autoscaler owns the current size; Terraform owns the bounds.
    ignore_changes = [scaling_config[0].desired_size]
  }

  depends_on = [
    aws_iam_role_policy_attachment.node,
    aws_eks_addon.before_nodes,
  ]
}

# The Cluster Autoscaler (deploy/k8s/cluster-autoscaler) runs as the ServiceAccount
# kube-system/cluster-autoscaler and gets this role through EKS Pod Identity.
resource "aws_iam_role" "cluster_autoscaler" {
  name_prefix        = "${local.cluster_name}-autoscaler-"
  assume_role_policy = data.aws_iam_policy_document.pod_identity_assume.json
}

data "aws_iam_policy_document" "cluster_autoscaler" {
  # Read-only discovery calls; these actions do not support resource-level permissions.
  statement {
    sid = "Discover"
    actions = [
      "autoscaling:DescribeAutoScalingGroups",
      "autoscaling:DescribeAutoScalingInstances",
      "autoscaling:DescribeLaunchConfigurations",
      "autoscaling:DescribeScalingActivities",
      "autoscaling:DescribeTags",
      "ec2:DescribeImages",
      "ec2:DescribeInstanceTypes",
      "ec2:DescribeLaunchTemplateVersions",
      "ec2:GetInstanceTypesFromInstanceRequirements",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "DescribeOwnNodeGroups"
    actions   = ["eks:DescribeNodegroup"]
    resources = ["arn:${local.partition}:eks:${var.region}:${local.account_id}:nodegroup/${local.cluster_name}/*/*"]
  }

  # Scaling is limited to this cluster's node group Auto Scaling groups, by name and by tag.
  statement {
    sid       = "ScaleOwnNodeGroups"
    actions   = ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"]
    resources = ["arn:${local.partition}:autoscaling:${var.region}:${local.account_id}:autoScalingGroup:*:autoScalingGroupName/eks-${local.cluster_name}-*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/k8s.io/cluster-autoscaler/${local.cluster_name}"
      values   = ["owned"]
    }
  }
}

resource "aws_iam_role_policy" "cluster_autoscaler" {
  name   = "cluster-autoscaler"
  role   = aws_iam_role.cluster_autoscaler.id
  policy = data.aws_iam_policy_document.cluster_autoscaler.json
}

resource "aws_eks_pod_identity_association" "cluster_autoscaler" {
  cluster_name    = aws_eks_cluster.this.name
  namespace       = "kube-system"
  service_account = "cluster-autoscaler"
  role_arn        = aws_iam_role.cluster_autoscaler.arn
}
