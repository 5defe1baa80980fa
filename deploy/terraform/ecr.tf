# The image repository is shared by every environment and lives in its own stack
# (registry/): CI pushes each commit's image once and every environment deploys that digest,
# so destroying an environment must not delete the images another one runs. This stack only
# needs its address: the node role pulls with AmazonEC2ContainerRegistryPullOnly (any
# repository the account may read), CI's role pushes to it (github_oidc.tf).

locals {
  image_registry_id     = coalesce(var.image_registry_account_id, local.account_id)
  image_repository_name = coalesce(var.image_repository_name, "${var.name}/hello-server")
  image_repository_url  = "${local.image_registry_id}.dkr.ecr.${var.region}.${data.aws_partition.current.dns_suffix}/${local.image_repository_name}"
  image_repository_arn  = "arn:${local.partition}:ecr:${var.region}:${local.image_registry_id}:repository/${local.image_repository_name}"
}

# The per-environment repositories of earlier versions ("hello-<env>/hello-server") leave the
# state without being deleted: they may hold the image that runs until the first deploy from
# the shared repository. Delete them by hand afterwards (README.md, "The image registry").
removed {
  from = aws_ecr_lifecycle_policy.app

  lifecycle {
    destroy = false
  }
}

removed {
  from = aws_ecr_repository.app

  lifecycle {
    destroy = false
  }
}
