# The module with nothing but the one required input: the defaults must be the safe choice
# (the checkov/trivy policy IDs name the rule each default satisfies).

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  environment = "prod"
}

run "defaults" {
  assert {
    # The mocked region lists its zones out of order; the module sorts them.
    condition = [for az in sort(keys(aws_subnet.private)) : aws_subnet.private[az].availability_zone] == ["eu-west-2a", "eu-west-2b", "eu-west-2c"] && (
      output.private_subnet_ids == [for az in ["eu-west-2a", "eu-west-2b", "eu-west-2c"] : aws_subnet.private[az].id]
    )
    error_message = "Without availability_zones the module must use the region's first three zones, in name order."
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 3 && length(aws_instance.nat) == 0
    error_message = "By default every zone gets its own NAT gateway."
  }

  assert {
    condition = (
      aws_eks_cluster.this.vpc_config[0].endpoint_public_access == false &&
      aws_lb.this.enable_deletion_protection == true &&
      aws_cloudwatch_log_group.eks.retention_in_days >= 365 &&
      aws_cloudwatch_log_group.flow_logs.retention_in_days >= 365 &&
      aws_ecr_repository.app.force_delete == false &&
      length(aws_wafv2_web_acl.this) == 0 &&
      length(aws_iam_role.github_actions) == 0 &&
      length(aws_sns_topic.alarms) == 1 && length(aws_cloudwatch_metric_alarm.unhealthy_hosts) == 3 &&
      length(aws_s3_bucket.alb_logs) == 0
    )
    error_message = "Defaults: private API endpoint (CKV_AWS_39), ALB deletion protection (CKV_AWS_150), a year of logs (CKV_AWS_338), no ECR force delete, alarms on, optional WAF, access logs and CI role off."
  }

  assert {
    condition = alltrue([for ng in aws_eks_node_group.this : ng.capacity_type == "ON_DEMAND" && ng.scaling_config[0].min_size == 1]) && (
      [for rule in aws_vpc_security_group_ingress_rule.alb_listener : "${rule.from_port} ${rule.cidr_ipv4}"] == ["80 0.0.0.0/0"]
    )
    error_message = "Defaults: one on-demand node per zone at least; the ALB open to the internet on port 80 only."
  }
}

run "public_endpoint_for_given_cidrs" {
  variables {
    cluster_endpoint_public_access       = true
    cluster_endpoint_public_access_cidrs = ["203.0.113.10/32"]
  }

  assert {
    condition = (
      aws_eks_cluster.this.vpc_config[0].endpoint_public_access == true &&
      aws_eks_cluster.this.vpc_config[0].endpoint_private_access == true &&
      aws_eks_cluster.this.vpc_config[0].public_access_cidrs == toset(["203.0.113.10/32"])
    )
    error_message = "CKV_AWS_38: a public API endpoint must be open to the given CIDRs only, the private one staying on."
  }
}

run "single_nat_gateway" {
  variables {
    single_nat_gateway = true
  }

  assert {
    condition = keys(aws_nat_gateway.this) == ["eu-west-2a"] && alltrue([
      for route in aws_route.private_nat : route.nat_gateway_id == aws_nat_gateway.this["eu-west-2a"].id
    ]) && length(aws_route.private_nat) == 3
    error_message = "single_nat_gateway must leave one NAT gateway, in the first zone, used by every zone's private route."
  }
}
