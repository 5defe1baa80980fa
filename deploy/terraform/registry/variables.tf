variable "name" {
  description = "Project name; the repository is \"<name>/hello-server\"."
  type        = string
  default     = "hello"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.name))
    error_message = "name must be 2-16 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "region" {
  description = "Region of the repository: the region the clusters run in (ECR pulls stay in-region)."
  type        = string
  default     = "eu-west-2"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must look like eu-west-2."
  }
}

variable "keep_deployed_images" {
  description = "Per environment, how many of the images it deployed (tag deployed-<env>-<UTC time>) the lifecycle policy keeps, counted by push time: the rollback targets. The image an environment runs and the one it replaced are kept whatever this says (tags running-<env>, previous-<env>)."
  type        = object({ dev = number, prod = number })
  default     = { dev = 10, prod = 10 }

  validation {
    condition     = alltrue([for n in values(var.keep_deployed_images) : n >= 1 && n <= 1000 && floor(n) == n])
    error_message = "keep_deployed_images must keep a whole number between 1 and 1000 for dev and for prod."
  }
}

variable "expire_undeployed_after_days" {
  description = "Days after its push when an image that no environment deployed (only its build tag git-<commit>) is expired. Long enough for a build to be promoted to prod."
  type        = number
  default     = 30

  validation {
    condition     = var.expire_undeployed_after_days >= 1 && var.expire_undeployed_after_days <= 3650 && floor(var.expire_undeployed_after_days) == var.expire_undeployed_after_days
    error_message = "expire_undeployed_after_days must be a whole number of days between 1 and 3650."
  }
}

variable "pull_account_ids" {
  description = "Other AWS accounts whose principals may pull (an environment in another account: its node role's AmazonEC2ContainerRegistryPullOnly then applies here). The repository's own account needs no entry."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.pull_account_ids : can(regex("^[0-9]{12}$", a))]) && length(distinct(var.pull_account_ids)) == length(var.pull_account_ids)
    error_message = "pull_account_ids must be distinct 12-digit AWS account IDs."
  }
}

variable "deploy_principal_arns" {
  description = "IAM roles of other accounts that deploy from this repository: they may read images and add the deploy tags (deployed-<env>-*, running-<env>, previous-<env>), which takes ecr:PutImage. Roles of the repository's own account get that from their IAM policy instead."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.deploy_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", a))])
    error_message = "deploy_principal_arns must be IAM role ARNs."
  }
}

variable "force_delete" {
  description = "Let destroy delete the repository while it still holds images (the images every environment runs)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
