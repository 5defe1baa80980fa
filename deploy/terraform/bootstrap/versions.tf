terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.25"
    }
  }

  # No backend block: this stack creates the state bucket, so its own (tiny) state stays in
  # terraform.tfstate next to it, which .gitignore keeps out of the repository.
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project   = "hello"
      Purpose   = "terraform-state"
      ManagedBy = "terraform"
    }
  }
}
