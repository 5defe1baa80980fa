terraform {
  # 1.10 brings S3-native state locking (use_lockfile) and cross-variable validation.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # The offline schema checks are derived from provider 6.25; older 6.x lack arguments used here.
      version = "~> 6.25"
    }
  }

  # Partial configuration: bucket, key and region come from -backend-config at init time, so
  # one module serves every environment and account (see README.md, "State").
  backend "s3" {
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}
