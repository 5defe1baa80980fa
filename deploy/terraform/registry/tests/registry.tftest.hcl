# The shared image repository: tag immutability except the deploy markers, the lifecycle policy
# rendered with its inputs, and the cross-account policy only when asked for. What the policy
# does to images is checked by a model of ECR's lifecycle evaluation
# (deploy/terraform/tests/ecr-lifecycle.model.test.mjs), since no AWS account runs it here.

# Plans only; the mocked values stand in for computed ones at plan time too.
mock_provider "aws" {
  override_during = plan

  mock_resource "aws_ecr_repository" {
    defaults = {
      repository_url = "123456789012.dkr.ecr.eu-west-2.amazonaws.com/hello/hello-server"
      registry_id    = "123456789012"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

run "registry" {
  command = plan

  assert {
    condition = (
      aws_ecr_repository.app.name == "hello/hello-server" &&
      aws_ecr_repository.app.image_tag_mutability == "IMMUTABLE_WITH_EXCLUSION" &&
      toset([for f in aws_ecr_repository.app.image_tag_mutability_exclusion_filter : "${f.filter_type} ${f.filter}"]) == toset(["WILDCARD running-*", "WILDCARD previous-*"]) &&
      aws_ecr_repository.app.image_scanning_configuration[0].scan_on_push == true &&
      aws_ecr_repository.app.encryption_configuration[0].encryption_type == "KMS" &&
      aws_ecr_repository.app.force_delete == false
    )
    error_message = "CKV_AWS_51/136/163: one repository hello/hello-server, KMS-encrypted, scanned on push, every tag immutable except running-* and previous-*, never force-deleted by default."
  }

  assert {
    condition = [
      for r in jsondecode(aws_ecr_lifecycle_policy.app.policy).rules :
      [r.rulePriority, r.selection.tagStatus, join(",", r.selection.tagPatternList), r.selection.countType, r.selection.countNumber]
      ] == [
      [1, "tagged", "running-prod", "imageCountMoreThan", 1],
      [2, "tagged", "previous-prod", "imageCountMoreThan", 1],
      [3, "tagged", "running-dev", "imageCountMoreThan", 1],
      [4, "tagged", "previous-dev", "imageCountMoreThan", 1],
      [5, "tagged", "deployed-prod-*", "imageCountMoreThan", 10],
      [6, "tagged", "deployed-dev-*", "imageCountMoreThan", 10],
      [7, "tagged", "git-*", "sinceImagePushed", 30],
    ]
    error_message = "The lifecycle policy must protect the running and previous image of each environment first, then keep the last 10 deployed per environment, then expire undeployed builds after 30 days, and select no untagged image."
  }

  assert {
    condition     = length(aws_ecr_repository_policy.cross_account) == 0
    error_message = "A repository used by one account needs no repository policy."
  }

  assert {
    condition = (
      output.repository_name == "hello/hello-server" &&
      output.repository_url == "123456789012.dkr.ecr.eu-west-2.amazonaws.com/hello/hello-server" &&
      output.tag_scheme.deployed == "deployed-<env>-<UTC time as yyyymmddThhmmssZ>"
    )
    error_message = "The outputs must name the repository and the tag scheme the deploys use."
  }
}

run "other_accounts" {
  command = plan

  variables {
    keep_deployed_images         = { dev = 5, prod = 20 }
    expire_undeployed_after_days = 60
    pull_account_ids             = ["210987654321"]
    deploy_principal_arns        = ["arn:aws:iam::210987654321:role/hello-prod-deploy"]
  }

  assert {
    condition = (
      [for r in jsondecode(aws_ecr_lifecycle_policy.app.policy).rules : r.selection.countNumber] == [1, 1, 1, 1, 20, 5, 60] &&
      length(aws_ecr_repository_policy.cross_account) == 1 &&
      aws_ecr_repository_policy.cross_account[0].repository == aws_ecr_repository.app.name
    )
    error_message = "The counts must follow the inputs, and other accounts get a repository policy."
  }

  assert {
    condition = (
      [for s in data.aws_iam_policy_document.cross_account[0].statement : s.sid] == ["PullFromOtherAccounts", "TagDeployedImagesFromOtherAccounts"] &&
      data.aws_iam_policy_document.cross_account[0].statement[0].principals == toset([{ type = "AWS", identifiers = toset(["arn:aws:iam::210987654321:root"]) }]) &&
      toset(data.aws_iam_policy_document.cross_account[0].statement[0].actions) == toset(["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]) &&
      contains(data.aws_iam_policy_document.cross_account[0].statement[1].actions, "ecr:PutImage") &&
      !contains(data.aws_iam_policy_document.cross_account[0].statement[1].actions, "ecr:UploadLayerPart")
    )
    error_message = "Other accounts may pull; their deploy roles may also write tags (PutImage), never upload layers."
  }
}

run "bad_values" {
  command = plan

  variables {
    name                         = "Hello"
    region                       = "London"
    keep_deployed_images         = { dev = 0, prod = 10 }
    expire_undeployed_after_days = 0
    pull_account_ids             = ["12345"]
    deploy_principal_arns        = ["arn:aws:iam::210987654321:user/deployer"]
  }

  expect_failures = [
    var.name,
    var.region,
    var.keep_deployed_images,
    var.expire_undeployed_after_days,
    var.pull_account_ids,
    var.deploy_principal_arns,
  ]
}
