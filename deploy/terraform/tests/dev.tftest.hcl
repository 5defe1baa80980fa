# environments/dev.tfvars (the runner passes it with -var-file): the cheap layout keeps three
# zones, trading the per-zone NAT gateways for one NAT instance and on-demand for spot nodes.

mock_provider "aws" {
  source = "./tests/mocks"
}

run "dev" {
  assert {
    condition     = var.environment == "dev" && length(var.availability_zones) == 3
    error_message = "dev.tfvars must name its environment and pin three zones."
  }

  assert {
    condition = (
      length(aws_nat_gateway.this) == 0 && length(aws_eip.nat) == 0 && length(aws_instance.nat) == 1 &&
      aws_instance.nat[0].subnet_id == aws_subnet.public[var.availability_zones[0]].id &&
      aws_instance.nat[0].instance_type == "t4g.nano" &&
      data.aws_ssm_parameter.nat_ami[0].name == "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64" &&
      aws_instance.nat[0].source_dest_check == false &&
      aws_instance.nat[0].associate_public_ip_address == true &&
      aws_instance.nat[0].ami == "ami-0a1b2c3d4e5f67890"
    )
    error_message = "dev must have one Graviton NAT instance (arm64 Amazon Linux from SSM, forwarding) in the first zone's public subnet, and no NAT gateway."
  }

  assert {
    condition = length(aws_route.private_nat) == 3 && alltrue([
      for az, route in aws_route.private_nat :
      route.route_table_id == aws_route_table.private[az].id &&
      route.network_interface_id == aws_instance.nat[0].primary_network_interface_id &&
      route.nat_gateway_id == null
    ])
    error_message = "Every zone's private route table must send 0.0.0.0/0 to the NAT instance."
  }

  assert {
    condition = (
      aws_instance.nat[0].metadata_options[0].http_tokens == "required" &&
      aws_instance.nat[0].metadata_options[0].http_put_response_hop_limit == 1 &&
      aws_instance.nat[0].root_block_device[0].encrypted == true &&
      aws_instance.nat[0].credit_specification[0].cpu_credits == "standard"
    )
    error_message = "CKV_AWS_79: the NAT instance must require IMDSv2 (hop limit 1), encrypt its disk and keep standard credits."
  }

  assert {
    condition = (
      aws_vpc_security_group_ingress_rule.nat_from_vpc[0].security_group_id == aws_security_group.nat[0].id &&
      aws_vpc_security_group_ingress_rule.nat_from_vpc[0].cidr_ipv4 == "10.0.0.0/16" &&
      aws_vpc_security_group_egress_rule.nat_to_internet[0].cidr_ipv4 == "0.0.0.0/0" &&
      aws_instance.nat[0].vpc_security_group_ids == toset([aws_security_group.nat[0].id])
    )
    error_message = "The NAT instance may receive only from the VPC and forward to the internet."
  }

  # One spot node in the first zone; the autoscaler may add one in each zone.
  assert {
    condition = try([
      for az in var.availability_zones : [
        aws_eks_node_group.this[az].scaling_config[0].min_size,
        aws_eks_node_group.this[az].scaling_config[0].desired_size,
        aws_eks_node_group.this[az].scaling_config[0].max_size,
      ]
    ], null) == [[1, 1, 1], [0, 0, 1], [0, 0, 1]]
    error_message = "dev's node_min_size 1, node_desired_size 1 and node_max_size 3 must become one node group per zone (min, desired, max): [1, 1, 1] in the first, [0, 0, 1] in the others; got ${jsonencode({ for k, ng in aws_eks_node_group.this : k => [ng.scaling_config[0].min_size, ng.scaling_config[0].desired_size, ng.scaling_config[0].max_size] })}."
  }

  assert {
    condition     = alltrue([for ng in aws_eks_node_group.this : ng.capacity_type == "SPOT" && ng.instance_types == tolist(["t4g.small"]) && ng.ami_type == "AL2023_ARM_64_STANDARD"])
    error_message = "dev nodes must be spot Graviton t4g.small on the arm64 AL2023 image."
  }

  assert {
    condition = (
      aws_lb.this.enable_deletion_protection == false &&
      output.image_repository_url == "123456789012.dkr.ecr.eu-west-2.amazonaws.com/hello/hello-server" &&
      aws_cloudwatch_log_group.eks.retention_in_days == 30 &&
      output.cluster_name == "hello-dev"
    )
    error_message = "dev must be disposable in one destroy (no deletion protection; the image repository is shared, in registry/, and not its to delete) and keep logs 30 days."
  }

  # The alarms are cheap enough for dev and follow its sizes; access logs and Container
  # Insights stay off.
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.healthy_hosts[0].threshold == 1 &&
      aws_cloudwatch_metric_alarm.node_capacity[0].threshold == 3 &&
      length(aws_cloudwatch_metric_alarm.unhealthy_hosts) == 3 &&
      aws_sns_topic.alarms[0].name == "hello-dev-alarms" &&
      length(aws_s3_bucket.alb_logs) == 0 && length(aws_lb.this.access_logs) == 0 && output.alb_access_logs_bucket == null &&
      !contains(keys(aws_eks_addon.after_nodes), "amazon-cloudwatch-observability")
    )
    error_message = "dev must alarm below its 1 node and at its 3, with no access-log bucket and no Container Insights."
  }
}
