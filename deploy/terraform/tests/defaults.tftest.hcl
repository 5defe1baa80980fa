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
      length(aws_wafv2_web_acl.this) == 0 &&
      length(aws_iam_role.github_actions) == 0 &&
      length(aws_sns_topic.alarms) == 1 && length(aws_cloudwatch_metric_alarm.unhealthy_hosts) == 3 &&
      length(aws_s3_bucket.alb_logs) == 0
    )
    error_message = "Defaults: private API endpoint (CKV_AWS_39), ALB deletion protection (CKV_AWS_150), a year of logs (CKV_AWS_338), alarms on, optional WAF, access logs and CI role off."
  }

  assert {
    condition = alltrue([for ng in aws_eks_node_group.this : ng.capacity_type == "ON_DEMAND" && ng.scaling_config[0].min_size == 1 && ng.ami_type == "AL2023_ARM_64_STANDARD" && ng.instance_types == tolist(["t4g.small"])]) && (
      [for rule in aws_vpc_security_group_ingress_rule.alb_listener : "${rule.from_port} ${rule.cidr_ipv4}"] == ["80 0.0.0.0/0"]
    )
    error_message = "Defaults: one on-demand Graviton t4g.small node per zone at least; the ALB open to the internet on port 80 only."
  }
}

# Also an x86_64 NAT instance: its image follows its type.
run "public_endpoint_for_given_cidrs" {
  variables {
    cluster_endpoint_public_access       = true
    cluster_endpoint_public_access_cidrs = ["203.0.113.10/32"]
    single_nat_gateway                   = true
    nat_mode                             = "instance"
    nat_instance_type                    = "t3.nano"
  }

  assert {
    condition     = data.aws_ssm_parameter.nat_ami[0].name == "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64" && aws_instance.nat[0].instance_type == "t3.nano"
    error_message = "An x86_64 NAT instance type must get the x86_64 Amazon Linux image."
  }

  assert {
    condition = (
      aws_eks_cluster.this.vpc_config[0].endpoint_public_access == true &&
      aws_eks_cluster.this.vpc_config[0].endpoint_private_access == true &&
      aws_eks_cluster.this.vpc_config[0].public_access_cidrs == toset(["203.0.113.10/32"]) &&
      output.cluster_endpoint_public_access_cidrs == tolist(["203.0.113.10/32"])
    )
    error_message = "CKV_AWS_38: a public API endpoint must be open to the given CIDRs only, the private one staying on."
  }
}

# Also the x86_64 option: nodes and the NAT instance follow the architecture of their types.
run "single_nat_gateway" {
  variables {
    single_nat_gateway  = true
    node_architecture   = "x86_64"
    node_instance_types = ["t3.small", "t3a.small"]
  }

  assert {
    condition     = alltrue([for ng in aws_eks_node_group.this : ng.ami_type == "AL2023_x86_64_STANDARD" && ng.instance_types == tolist(["t3.small", "t3a.small"])])
    error_message = "node_architecture = \"x86_64\" must put the x86_64 AL2023 image on the nodes."
  }

  assert {
    condition = keys(aws_nat_gateway.this) == ["eu-west-2a"] && alltrue([
      for route in aws_route.private_nat : route.nat_gateway_id == aws_nat_gateway.this["eu-west-2a"].id
    ]) && length(aws_route.private_nat) == 3
    error_message = "single_nat_gateway must leave one NAT gateway, in the first zone, used by every zone's private route."
  }
}
