output "app_url" {
  description = "URL of the service."
  value       = var.domain_name != null ? "https://${var.domain_name}" : "${local.https_enabled ? "https" : "http"}://${aws_lb.this.dns_name}"
}

output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "cluster_name" {
  description = "EKS cluster name."
  value       = aws_eks_cluster.this.name
}

output "cluster_endpoint" {
  description = "Kubernetes API endpoint."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_endpoint_public_access_cidrs" {
  description = "Who may reach the public Kubernetes API endpoint: the CIDRs, or [] when the endpoint is private only. A person's temporary access is restored to this afterwards."
  value       = var.cluster_endpoint_public_access ? var.cluster_endpoint_public_access_cidrs : []
}

output "region" {
  description = "AWS region."
  value       = var.region
}

output "update_kubeconfig_command" {
  description = "Command that points kubectl at the cluster."
  value       = "aws eks update-kubeconfig --region ${var.region} --name ${aws_eks_cluster.this.name}"
}

output "image_repository_url" {
  description = "The shared repository (registry/) this environment deploys from: <repository>@sha256:<digest>."
  value       = local.image_repository_url
}

output "vpc_id" {
  description = "VPC ID."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "VPC CIDR (the NetworkPolicy admits traffic from it)."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnet IDs, one per zone."
  value       = [for az in local.azs : aws_subnet.public[az].id]
}

output "private_subnet_ids" {
  description = "Private subnet IDs, one per zone."
  value       = [for az in local.azs : aws_subnet.private[az].id]
}

output "target_group_arn" {
  description = "ARN of the target group on node port 30080."
  value       = aws_lb_target_group.app.arn
}

output "github_actions_role_arn" {
  description = "Role for GitHub Actions (null unless github_repository is set)."
  value       = try(aws_iam_role.github_actions[0].arn, null)
}

output "eks_addon_versions" {
  description = "Installed version of each EKS add-on, in the form addon_versions takes."
  value       = { for name, addon in merge(aws_eks_addon.before_nodes, aws_eks_addon.after_nodes) : name => addon.addon_version }
}

output "alarm_topic_arn" {
  description = "SNS topic the CloudWatch alarms notify (null without enable_alarms); subscribe more endpoints to it."
  value       = try(aws_sns_topic.alarms[0].arn, null)
}

output "alb_access_logs_bucket" {
  description = "Bucket the load balancer writes its access logs to, under the prefix <cluster name>/ (null when access logs are off)."
  value       = local.alb_access_logs_bucket
}
