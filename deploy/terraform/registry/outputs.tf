output "repository_url" {
  description = "Repository every environment deploys from: push by digest, deploy <repository_url>@sha256:<digest>."
  value       = aws_ecr_repository.app.repository_url
}

output "repository_name" {
  description = "Repository name, for aws ecr commands (--repository-name)."
  value       = aws_ecr_repository.app.name
}

output "repository_arn" {
  description = "Repository ARN, for IAM policies."
  value       = aws_ecr_repository.app.arn
}

output "registry_id" {
  description = "Account that holds the repository (--registry-id for aws ecr commands from another account)."
  value       = aws_ecr_repository.app.registry_id
}

output "tag_scheme" {
  description = "The tags CI and the deploys write, which the lifecycle policy reads."
  value       = local.tag_scheme
}
