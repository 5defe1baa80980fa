terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.25"
    }
  }

  # Partial configuration like the environments': the state bucket that bootstrap/ creates,
  # key hello/registry/terraform.tfstate (see README.md, "The image registry").
  backend "s3" {
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, {
      Project   = var.name
      Purpose   = "image-registry"
      ManagedBy = "terraform"
    })
  }
}
