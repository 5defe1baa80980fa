# The one repository every environment deploys from (docs/architecture.md, "One image per
# commit, promoted by digest"): CI pushes each commit's image index once, dev deploys its
# digest, prod deploys the same digest after dev ran it. Its own stack, so that destroying an
# environment never touches the images another one runs.

data "aws_partition" "current" {}

locals {
  repository_name = "${var.name}/hello-server"

  # The tags the deploys write and the lifecycle policy reads (README.md, "The image registry").
  tag_scheme = {
    build    = "git-<40-hex commit>"
    deployed = "deployed-<env>-<UTC time as yyyymmddThhmmssZ>"
    running  = "running-<env>"
    previous = "previous-<env>"
  }
}

resource "aws_ecr_repository" "app" {
  name = local.repository_name
  # Every tag is immutable except the two markers a deploy moves (which image an environment
  # runs and which it ran before); the lifecycle policy keeps what they point at.
  image_tag_mutability = "IMMUTABLE_WITH_EXCLUSION"
  force_delete         = var.force_delete

  image_tag_mutability_exclusion_filter {
    filter      = "running-*"
    filter_type = "WILDCARD"
  }

  image_tag_mutability_exclusion_filter {
    filter      = "previous-*"
    filter_type = "WILDCARD"
  }

  image_scanning_configuration {
    scan_on_push = true
  }

  # The AWS managed key (aws/ecr): no key of an environment's stack, which that environment's
  # destroy would schedule for deletion, and no key policy to keep in step with pullers.
  encryption_configuration {
    encryption_type = "KMS"
  }
}

resource "aws_ecr_lifecycle_policy" "app" {
  repository = aws_ecr_repository.app.name

  policy = templatefile("${path.module}/lifecycle-policy.json.tftpl", {
    keep_prod       = var.keep_deployed_images.prod
    keep_dev        = var.keep_deployed_images.dev
    undeployed_days = var.expire_undeployed_after_days
  })
}

# Same-account principals get their access from IAM policies (the node role's
# AmazonEC2ContainerRegistryPullOnly, CI's role); only other accounts need this policy.
data "aws_iam_policy_document" "cross_account" {
  count = length(var.pull_account_ids) + length(var.deploy_principal_arns) > 0 ? 1 : 0

  dynamic "statement" {
    for_each = length(var.pull_account_ids) > 0 ? [1] : []

    content {
      sid     = "PullFromOtherAccounts"
      actions = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]

      principals {
        type        = "AWS"
        identifiers = [for a in var.pull_account_ids : "arn:${data.aws_partition.current.partition}:iam::${a}:root"]
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.deploy_principal_arns) > 0 ? [1] : []

    content {
      sid     = "TagDeployedImagesFromOtherAccounts"
      actions = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer", "ecr:PutImage"]

      principals {
        type        = "AWS"
        identifiers = var.deploy_principal_arns
      }
    }
  }
}

resource "aws_ecr_repository_policy" "cross_account" {
  count = length(data.aws_iam_policy_document.cross_account)

  repository = aws_ecr_repository.app.name
  policy     = data.aws_iam_policy_document.cross_account[0].json
}
