# environments/prod.tfvars (the runner passes it with -var-file), planned against the mocked
# AWS provider: the design invariants of docs/architecture.md and design.md, in Terraform's
# own language, on the values Terraform computes. Later runs add one option each on top.

mock_provider "aws" {
  source = "./tests/mocks"
}

run "prod" {
  command = apply

  # --- network: three zones, a NAT gateway and a private route table per zone ------------
  assert {
    condition     = var.environment == "prod" && length(var.availability_zones) == 3
    error_message = "prod.tfvars must name its environment and pin three zones."
  }

  assert {
    condition = (
      toset([for s in aws_subnet.public : s.availability_zone]) == toset(var.availability_zones) &&
      toset([for s in aws_subnet.private : s.availability_zone]) == toset(var.availability_zones)
    )
    error_message = "There must be one public and one private subnet in each of the three zones."
  }

  assert {
    condition = length(aws_nat_gateway.this) == 3 && length(aws_instance.nat) == 0 && alltrue([
      for az, nat in aws_nat_gateway.this : nat.subnet_id == aws_subnet.public[az].id && nat.allocation_id == aws_eip.nat[az].id
    ])
    error_message = "prod must have a NAT gateway (with its address) in the public subnet of every zone, and no NAT instance."
  }

  assert {
    condition = length(aws_route_table.private) == 3 && alltrue([
      for az, route in aws_route.private_nat :
      route.route_table_id == aws_route_table.private[az].id &&
      route.destination_cidr_block == "0.0.0.0/0" &&
      route.nat_gateway_id == aws_nat_gateway.this[az].id &&
      aws_route_table_association.private[az].subnet_id == aws_subnet.private[az].id &&
      aws_route_table_association.private[az].route_table_id == aws_route_table.private[az].id
    ])
    error_message = "Each private subnet must route 0.0.0.0/0 through a route table of its own zone to that zone's NAT gateway."
  }

  assert {
    condition     = alltrue([for s in concat(values(aws_subnet.public), values(aws_subnet.private)) : s.map_public_ip_on_launch != true])
    error_message = "CKV_AWS_130: no subnet may assign public IPs on launch."
  }

  assert {
    condition     = aws_flow_log.vpc.vpc_id == aws_vpc.this.id && aws_flow_log.vpc.traffic_type == "ALL"
    error_message = "CKV2_AWS_11: the VPC must have flow logs for all traffic."
  }

  assert {
    condition     = length(aws_default_security_group.this.ingress) == 0 && length(aws_default_security_group.this.egress) == 0
    error_message = "CKV2_AWS_12: the VPC's default security group must have no rules."
  }

  # --- load balancer, target group, listeners -------------------------------------------
  assert {
    condition = (
      aws_lb_target_group.app.port == 30080 &&
      aws_lb_target_group.app.protocol == "HTTP" &&
      aws_lb_target_group.app.target_type == "instance" &&
      aws_lb_target_group.app.deregistration_delay == "30" &&
      aws_lb_target_group.app.health_check[0].path == "/readyz" &&
      aws_lb_target_group.app.health_check[0].port == "traffic-port" &&
      aws_lb_target_group.app.health_check[0].matcher == "200" &&
      aws_lb_target_group.app.health_check[0].interval == 10 &&
      aws_lb_target_group.app.health_check[0].healthy_threshold == 2 &&
      aws_lb_target_group.app.health_check[0].unhealthy_threshold == 2
    )
    error_message = "The target group must send instance traffic to node port 30080 and check /readyz every 10 s with 2/2 thresholds and a 30 s deregistration delay."
  }

  assert {
    condition = length(aws_lb_listener.https) == 0 && (
      aws_lb_listener.http.port == 80 &&
      aws_lb_listener.http.default_action[0].type == "forward" &&
      aws_lb_listener.http.default_action[0].target_group_arn == aws_lb_target_group.app.arn &&
      length(aws_lb_listener.http.default_action[0].redirect) == 0
    )
    error_message = "Without a certificate or domain, port 80 must forward to the target group and there must be no HTTPS listener."
  }

  assert {
    condition = (
      aws_lb.this.internal == false &&
      aws_lb.this.drop_invalid_header_fields == true &&
      aws_lb.this.enable_deletion_protection == true &&
      aws_lb.this.idle_timeout == 60 &&
      toset(aws_lb.this.subnets) == toset([for s in aws_subnet.public : s.id])
    )
    error_message = "The ALB must be internet-facing in the three public subnets, drop invalid headers (CKV_AWS_131), keep deletion protection in prod (CKV_AWS_150) and an idle timeout of 60 s, below the server's 75 s keep-alive."
  }

  assert {
    condition = length(aws_autoscaling_attachment.app) == length(aws_eks_node_group.this) && alltrue([
      for key, attachment in aws_autoscaling_attachment.app :
      attachment.lb_target_group_arn == aws_lb_target_group.app.arn &&
      attachment.autoscaling_group_name == aws_eks_node_group.this[key].resources[0].autoscaling_groups[0].name
    ])
    error_message = "Every node group's Auto Scaling group must be attached to the target group."
  }

  # --- security groups: clients -> ALB -> node port 30080, nothing else -------------------
  assert {
    condition = alltrue([
      for rule in values(aws_vpc_security_group_ingress_rule.alb_listener) :
      rule.security_group_id == aws_security_group.alb.id && rule.ip_protocol == "tcp" && rule.from_port == 80 && rule.to_port == 80
    ]) && length(aws_vpc_security_group_ingress_rule.alb_listener) == length(var.alb_ingress_cidrs)
    error_message = "Without HTTPS the ALB must accept only port 80, from alb_ingress_cidrs."
  }

  assert {
    condition = (
      aws_vpc_security_group_egress_rule.alb_to_nodes.security_group_id == aws_security_group.alb.id &&
      aws_vpc_security_group_egress_rule.alb_to_nodes.referenced_security_group_id == aws_security_group.nodes.id &&
      aws_vpc_security_group_egress_rule.alb_to_nodes.ip_protocol == "tcp" &&
      aws_vpc_security_group_egress_rule.alb_to_nodes.from_port == 30080 &&
      aws_vpc_security_group_egress_rule.alb_to_nodes.to_port == 30080
    )
    error_message = "The ALB may send only to node port 30080 of the node security group."
  }

  # Every ingress rule the module declares, so a new one on the node group is caught too.
  assert {
    condition = alltrue([
      for rule in concat(
        values(aws_vpc_security_group_ingress_rule.alb_listener),
        [aws_vpc_security_group_ingress_rule.nodes_from_alb],
        aws_vpc_security_group_ingress_rule.nat_from_vpc,
      ) :
      rule.referenced_security_group_id == aws_security_group.alb.id && rule.cidr_ipv4 == null && rule.cidr_ipv6 == null &&
      rule.prefix_list_id == null && rule.ip_protocol == "tcp" && rule.from_port == 30080 && rule.to_port == 30080
      if rule.security_group_id == aws_security_group.nodes.id
    ]) && aws_vpc_security_group_ingress_rule.nodes_from_alb.security_group_id == aws_security_group.nodes.id
    error_message = "Nodes must accept tcp/30080 from the ALB's security group only: no CIDR (no 0.0.0.0/0), no other port."
  }

  assert {
    condition = alltrue([
      for rule in concat(values(aws_vpc_security_group_ingress_rule.alb_listener), [aws_vpc_security_group_ingress_rule.nodes_from_alb], [aws_vpc_security_group_egress_rule.alb_to_nodes]) :
      length(rule.description) > 5
    ]) && length(aws_security_group.alb.description) > 5 && length(aws_security_group.nodes.description) > 5
    error_message = "CKV_AWS_23: every security group and rule needs a description."
  }

  assert {
    condition = toset(aws_launch_template.nodes.vpc_security_group_ids) == toset([
      aws_eks_cluster.this.vpc_config[0].cluster_security_group_id,
      aws_security_group.nodes.id,
    ])
    error_message = "Nodes must carry the EKS cluster security group and the node security group, nothing else."
  }

  # --- nodes -----------------------------------------------------------------------------
  assert {
    condition = (
      aws_launch_template.nodes.metadata_options[0].http_endpoint == "enabled" &&
      aws_launch_template.nodes.metadata_options[0].http_tokens == "required" &&
      aws_launch_template.nodes.metadata_options[0].http_put_response_hop_limit == 1
    )
    error_message = "CKV_AWS_79/CKV_AWS_341: nodes must require IMDSv2 with a hop limit of 1, so pods cannot reach the node role."
  }

  assert {
    condition = (
      aws_launch_template.nodes.user_data == null &&
      aws_launch_template.nodes.image_id == null &&
      aws_launch_template.nodes.block_device_mappings[0].ebs[0].encrypted == "true" &&
      aws_launch_template.nodes.block_device_mappings[0].ebs[0].volume_type == "gp3" &&
      aws_launch_template.nodes.block_device_mappings[0].ebs[0].volume_size == var.node_disk_size &&
      aws_launch_template.nodes.credit_specification[0].cpu_credits == "standard"
    )
    error_message = "The launch template must leave image and user data to EKS (AL2023), encrypt a gp3 root volume and keep T3 credits standard."
  }

  assert {
    condition = alltrue([
      for ng in aws_eks_node_group.this :
      ng.ami_type == "AL2023_ARM_64_STANDARD" &&
      ng.instance_types == tolist(["t4g.small"]) &&
      ng.capacity_type == "ON_DEMAND" &&
      ng.node_role_arn == aws_iam_role.node.arn &&
      ng.launch_template[0].id == aws_launch_template.nodes.id &&
      ng.launch_template[0].version == tostring(aws_launch_template.nodes.latest_version) &&
      ng.update_config[0].max_unavailable == 1 &&
      ng.node_repair_config[0].enabled == true
    ])
    error_message = "prod nodes must be on-demand Graviton (arm64) t4g.small AL2023 nodes following the launch template's latest version, with node repair."
  }

  # One managed node group per zone, so the Cluster Autoscaler (--balance-similar-node-groups)
  # can add a node in the zone where a pending pod's volume lives.
  assert {
    condition = length(aws_eks_node_group.this) == 3 && alltrue([
      for az in var.availability_zones :
      try(toset(aws_eks_node_group.this[az].subnet_ids) == toset([aws_subnet.private[az].id]), false)
    ])
    error_message = "There must be one node group per zone, each in that zone's private subnet only."
  }

  assert {
    condition = alltrue([
      for ng in aws_eks_node_group.this : ng.scaling_config[0].min_size >= 1 && ng.scaling_config[0].max_size >= ng.scaling_config[0].min_size
      ]) && sum([for ng in aws_eks_node_group.this : ng.scaling_config[0].min_size]) == var.node_min_size && (
      sum([for ng in aws_eks_node_group.this : ng.scaling_config[0].desired_size]) == var.node_desired_size) && (
      sum([for ng in aws_eks_node_group.this : ng.scaling_config[0].max_size]) == var.node_max_size
    )
    error_message = "prod must keep at least one node in every zone, and the groups' sizes must add up to node_min_size, node_desired_size and node_max_size."
  }

  assert {
    condition = contains(
      yamldecode(file("${path.module}/../k8s/cluster-autoscaler/deployment.yaml")).spec.template.spec.containers[0].args,
      "--balance-similar-node-groups",
    )
    error_message = "With a node group per zone the Cluster Autoscaler must run with --balance-similar-node-groups."
  }

  # Replacing a node group (instance types, capacity type, subnets) or the target group creates
  # the new one first, which needs a generated name.
  assert {
    condition = alltrue([
      for az, ng in aws_eks_node_group.this : ng.node_group_name_prefix == "hello-prod-${trimprefix(az, "eu-west-2")}-"
    ]) && aws_lb_target_group.app.name_prefix == "hello-" && length(aws_lb_target_group.app.name_prefix) <= 6
    error_message = "Node groups and the target group must be named by prefix (the target group's at most 6 characters), so a replacement can be created before the old one is destroyed."
  }

  # --- EKS -------------------------------------------------------------------------------
  assert {
    condition = (
      aws_eks_cluster.this.version == var.kubernetes_version &&
      aws_eks_cluster.this.access_config[0].authentication_mode == "API" &&
      aws_eks_cluster.this.access_config[0].bootstrap_cluster_creator_admin_permissions == false &&
      aws_eks_cluster.this.bootstrap_self_managed_addons == false &&
      aws_eks_cluster.this.upgrade_policy[0].support_type == "STANDARD" &&
      aws_eks_cluster.this.vpc_config[0].endpoint_private_access == true &&
      aws_eks_cluster.this.vpc_config[0].endpoint_public_access == false &&
      toset(aws_eks_cluster.this.vpc_config[0].subnet_ids) == toset([for s in aws_subnet.private : s.id])
    )
    error_message = "EKS must use access entries (API), standard support, a private endpoint only by default (CKV_AWS_39) and the private subnets."
  }

  assert {
    condition     = toset(aws_eks_cluster.this.enabled_cluster_log_types) == toset(["api", "audit", "authenticator", "controllerManager", "scheduler"])
    error_message = "CKV_AWS_37: all five control-plane log types must be enabled."
  }

  assert {
    condition = (
      aws_cloudwatch_log_group.eks.name == "/aws/eks/hello-prod/cluster" &&
      aws_cloudwatch_log_group.eks.retention_in_days >= 365 &&
      aws_cloudwatch_log_group.flow_logs.retention_in_days >= 365
    )
    error_message = "CKV_AWS_338: prod keeps control-plane and flow logs for at least a year, in the log group EKS writes to."
  }

  # --- KMS: one rotating key for secrets, logs and images --------------------------------
  assert {
    condition = (
      aws_kms_key.main.enable_key_rotation == true &&
      toset(aws_eks_cluster.this.encryption_config[0].resources) == toset(["secrets"]) &&
      aws_eks_cluster.this.encryption_config[0].provider[0].key_arn == aws_kms_key.main.arn &&
      aws_cloudwatch_log_group.eks.kms_key_id == aws_kms_key.main.arn &&
      aws_cloudwatch_log_group.flow_logs.kms_key_id == aws_kms_key.main.arn
    )
    error_message = "CKV_AWS_7/58/158: the key must rotate and encrypt Kubernetes secrets and both log groups."
  }

  # --- add-ons and the autoscaler's identity ----------------------------------------------
  assert {
    condition = (
      toset(keys(aws_eks_addon.before_nodes)) == toset(["vpc-cni", "kube-proxy", "eks-pod-identity-agent"]) &&
      toset(keys(aws_eks_addon.after_nodes)) == toset(["coredns", "metrics-server", "amazon-cloudwatch-observability"]) &&
      jsondecode(aws_eks_addon.before_nodes["vpc-cni"].configuration_values).enableNetworkPolicy == "true"
    )
    error_message = "Networking add-ons (VPC CNI with network policy, kube-proxy, Pod Identity agent) come before the nodes; CoreDNS, metrics-server and, in prod, Container Insights after; no other option."
  }

  # Container Insights: the agent and Fluent Bit run as the ServiceAccount cloudwatch-agent on
  # the host network (IMDS within hop limit 1); credentials come from EKS Pod Identity, so the
  # node role gains nothing.
  assert {
    condition = (
      one(aws_eks_addon.after_nodes["amazon-cloudwatch-observability"].pod_identity_association).service_account == "cloudwatch-agent" &&
      one(aws_eks_addon.after_nodes["amazon-cloudwatch-observability"].pod_identity_association).role_arn == aws_iam_role.addon["amazon-cloudwatch-observability"].arn &&
      aws_iam_role.addon["amazon-cloudwatch-observability"].assume_role_policy == data.aws_iam_policy_document.pod_identity_assume.json &&
      aws_iam_role_policy_attachment.addon["amazon-cloudwatch-observability"].role == aws_iam_role.addon["amazon-cloudwatch-observability"].name &&
      aws_iam_role_policy_attachment.addon["amazon-cloudwatch-observability"].policy_arn == "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy" &&
      toset([for a in aws_iam_role_policy_attachment.node : a.policy_arn]) == toset([
        for p in ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly"] : "arn:aws:iam::aws:policy/${p}"
      ])
    )
    error_message = "prod runs Container Insights with its own role (CloudWatchAgentServerPolicy) through EKS Pod Identity for the ServiceAccount cloudwatch-agent; the node role keeps its three policies."
  }

  assert {
    condition = alltrue([
      for name, addon in merge(aws_eks_addon.before_nodes, aws_eks_addon.after_nodes) :
      addon.addon_version == data.aws_eks_addon_version.this[name].version
    ])
    error_message = "Without a pin, each add-on gets the default version EKS reports for the cluster version."
  }

  assert {
    condition = (
      aws_eks_pod_identity_association.cluster_autoscaler.namespace == "kube-system" &&
      aws_eks_pod_identity_association.cluster_autoscaler.service_account == "cluster-autoscaler" &&
      aws_eks_pod_identity_association.cluster_autoscaler.role_arn == aws_iam_role.cluster_autoscaler.arn
    )
    error_message = "The Cluster Autoscaler's ServiceAccount must get its role through EKS Pod Identity."
  }

  assert {
    condition = alltrue(flatten([
      for document in [data.aws_iam_policy_document.cluster_autoscaler, data.aws_iam_policy_document.github_assume, data.aws_iam_policy_document.github_actions] : [
        for statement in try(document.statement, document[0].statement, []) : [
          for action in statement.actions : can(regex("^[a-z0-9-]+:(Describe|Get|List)[A-Za-z]*$", action))
        ] if contains(coalesce(statement.resources, []), "*")
      ]
    ]))
    error_message = "CKV_AWS_356: a statement on Resource \"*\" may only grant read actions without resource-level permissions."
  }

  # --- CloudWatch alarms and their topic ---------------------------------------------------
  assert {
    condition = (
      aws_sns_topic.alarms[0].name == "hello-prod-alarms" &&
      aws_sns_topic.alarms[0].kms_master_key_id == aws_kms_key.main.arn &&
      length(aws_sns_topic_subscription.email) == 0 && length(aws_sns_topic_subscription.https) == 0 &&
      try(one([
        for st in jsondecode(aws_kms_key.main.policy).Statement : st
        if try(st.Principal.Service, "") == "cloudwatch.amazonaws.com"
        ]).Action == ["kms:Decrypt", "kms:GenerateDataKey*"] && one([
        for st in jsondecode(aws_kms_key.main.policy).Statement : st
        if try(st.Principal.Service, "") == "cloudwatch.amazonaws.com"
      ]).Condition.StringEquals["aws:SourceAccount"] == "123456789012", false)
    )
    error_message = "CKV_AWS_26: the alarm topic must be encrypted with the module's key, whose policy lets this account's CloudWatch alarms generate data keys (the AWS managed SNS key cannot)."
  }

  # The topic admits CloudWatch only for alarms named like this environment's: every alarm's
  # name must match the pattern, or its notifications would be refused.
  assert {
    condition = alltrue([
      for st in jsondecode(aws_sns_topic_policy.alarms[0].policy).Statement :
      try(st.Effect == "Deny" && st.Principal == "*" && st.Condition.Bool["aws:SecureTransport"] == "false" && st.Action == "sns:Publish", false) || try(
        st.Effect == "Allow" && st.Principal.Service == "cloudwatch.amazonaws.com" && st.Action == "sns:Publish" && st.Resource == aws_sns_topic.alarms[0].arn &&
        st.Condition.ArnLike["aws:SourceArn"] == "arn:aws:cloudwatch:eu-west-2:123456789012:alarm:hello-prod-*" &&
        st.Condition.StringEquals["aws:SourceAccount"] == "123456789012", false
      )
      ]) && length(jsondecode(aws_sns_topic_policy.alarms[0].policy).Statement) == 2 && alltrue([
      for alarm in concat(aws_cloudwatch_metric_alarm.target_5xx, aws_cloudwatch_metric_alarm.elb_5xx, values(aws_cloudwatch_metric_alarm.unhealthy_hosts),
      aws_cloudwatch_metric_alarm.response_time_p99, aws_cloudwatch_metric_alarm.healthy_hosts, aws_cloudwatch_metric_alarm.node_capacity) :
      startswith(alarm.alarm_name, "hello-prod-") && alarm.alarm_actions == toset([aws_sns_topic.alarms[0].arn]) && alarm.ok_actions == toset([aws_sns_topic.alarms[0].arn])
    ])
    error_message = "Only this environment's alarms (hello-prod-*) may publish, only over TLS, and every alarm must notify the topic when it fires and when it clears."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.target_5xx[0].threshold == 5 &&
      aws_cloudwatch_metric_alarm.target_5xx[0].comparison_operator == "GreaterThanOrEqualToThreshold" &&
      one([for q in aws_cloudwatch_metric_alarm.target_5xx[0].metric_query : q if q.return_data == true]).expression == "IF(FILL(requests, 0) >= 10, 100 * FILL(errors, 0) / requests, 0)" &&
      jsonencode(one([for q in aws_cloudwatch_metric_alarm.target_5xx[0].metric_query : q.metric[0] if q.id == "errors"])) == jsonencode({
        namespace  = "AWS/ApplicationELB", metric_name = "HTTPCode_Target_5XX_Count", stat = "Sum", period = 60, unit = null,
        dimensions = { LoadBalancer = "app/hello/50dc6c495c0c9188", TargetGroup = "targetgroup/hello-20261126/73e2d6bc24d8a067" }
      }) &&
      jsonencode(one([for q in aws_cloudwatch_metric_alarm.target_5xx[0].metric_query : q.metric[0] if q.id == "requests"])) == jsonencode({
        namespace  = "AWS/ApplicationELB", metric_name = "RequestCount", stat = "Sum", period = 60, unit = null,
        dimensions = { LoadBalancer = "app/hello/50dc6c495c0c9188", TargetGroup = "targetgroup/hello-20261126/73e2d6bc24d8a067" }
      })
    )
    error_message = "The target 5xx alarm must fire at 5 % of the target group's requests (Sum per minute, from 10 requests a minute), by load balancer and target group."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.elb_5xx[0].threshold == 5 &&
      one([for q in aws_cloudwatch_metric_alarm.elb_5xx[0].metric_query : q if q.return_data == true]).expression == "IF(FILL(errors, 0) + FILL(requests, 0) >= 10, 100 * FILL(errors, 0) / (FILL(errors, 0) + FILL(requests, 0)), 0)" &&
      jsonencode(one([for q in aws_cloudwatch_metric_alarm.elb_5xx[0].metric_query : q.metric[0] if q.id == "errors"])) == jsonencode({
        namespace  = "AWS/ApplicationELB", metric_name = "HTTPCode_ELB_5XX_Count", stat = "Sum", period = 60, unit = null,
        dimensions = { LoadBalancer = "app/hello/50dc6c495c0c9188" }
      }) &&
      one([for q in aws_cloudwatch_metric_alarm.elb_5xx[0].metric_query : q.metric[0].dimensions if q.id == "requests"]) == tomap({ LoadBalancer = "app/hello/50dc6c495c0c9188" })
    )
    error_message = "The load balancer 5xx alarm must fire at 5 % of all requests, its own 5xx included (they never reach RequestCount), by load balancer only."
  }

  assert {
    condition = tolist(keys(aws_cloudwatch_metric_alarm.unhealthy_hosts)) == var.availability_zones && alltrue([
      for az, alarm in aws_cloudwatch_metric_alarm.unhealthy_hosts :
      alarm.namespace == "AWS/ApplicationELB" && alarm.metric_name == "UnHealthyHostCount" && alarm.statistic == "Maximum" &&
      alarm.dimensions == tomap({ AvailabilityZone = az, LoadBalancer = "app/hello/50dc6c495c0c9188", TargetGroup = "targetgroup/hello-20261126/73e2d6bc24d8a067" }) &&
      alarm.comparison_operator == "GreaterThanOrEqualToThreshold" && alarm.threshold == 1 && alarm.period == 60
    ])
    error_message = "There must be one UnHealthyHostCount alarm per zone (Maximum >= 1), with that zone, the load balancer and the target group as dimensions."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.response_time_p99[0].metric_name == "TargetResponseTime" &&
      aws_cloudwatch_metric_alarm.response_time_p99[0].extended_statistic == "p99" &&
      aws_cloudwatch_metric_alarm.response_time_p99[0].statistic == null &&
      aws_cloudwatch_metric_alarm.response_time_p99[0].threshold == 0.25 &&
      aws_cloudwatch_metric_alarm.response_time_p99[0].comparison_operator == "GreaterThanThreshold" &&
      aws_cloudwatch_metric_alarm.response_time_p99[0].period == 300 &&
      aws_cloudwatch_metric_alarm.response_time_p99[0].evaluate_low_sample_count_percentiles == "ignore" &&
      aws_cloudwatch_metric_alarm.response_time_p99[0].dimensions == tomap({ LoadBalancer = "app/hello/50dc6c495c0c9188", TargetGroup = "targetgroup/hello-20261126/73e2d6bc24d8a067" })
    )
    error_message = "The latency alarm must watch the target group's TargetResponseTime p99 above 0.25 s over 5-minute periods, ignoring periods with too few samples for a p99."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.healthy_hosts[0].metric_name == "HealthyHostCount" &&
      aws_cloudwatch_metric_alarm.healthy_hosts[0].statistic == "Minimum" &&
      aws_cloudwatch_metric_alarm.healthy_hosts[0].comparison_operator == "LessThanThreshold" &&
      aws_cloudwatch_metric_alarm.healthy_hosts[0].threshold == sum([for ng in aws_eks_node_group.this : ng.scaling_config[0].min_size]) &&
      aws_cloudwatch_metric_alarm.healthy_hosts[0].threshold == 3 &&
      aws_cloudwatch_metric_alarm.healthy_hosts[0].treat_missing_data == "breaching" &&
      aws_cloudwatch_metric_alarm.healthy_hosts[0].dimensions == tomap({ LoadBalancer = "app/hello/50dc6c495c0c9188", TargetGroup = "targetgroup/hello-20261126/73e2d6bc24d8a067" })
    )
    error_message = "The healthy-hosts alarm must fire below the node groups' summed minimum (3 in prod), and when the target group stops reporting at all."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.node_capacity[0].threshold == sum([for ng in aws_eks_node_group.this : ng.scaling_config[0].max_size]) &&
      aws_cloudwatch_metric_alarm.node_capacity[0].threshold == 6 &&
      aws_cloudwatch_metric_alarm.node_capacity[0].comparison_operator == "GreaterThanOrEqualToThreshold" &&
      aws_cloudwatch_metric_alarm.node_capacity[0].evaluation_periods == 6 &&
      one([for q in aws_cloudwatch_metric_alarm.node_capacity[0].metric_query : q if q.return_data == true]).expression == "FILL(healthy, 0) + FILL(unhealthy, 0)" &&
      toset([for q in aws_cloudwatch_metric_alarm.node_capacity[0].metric_query : "${q.metric[0].metric_name} ${q.metric[0].stat} ${q.metric[0].period} ${jsonencode(q.metric[0].dimensions)}" if q.return_data != true]) == toset([
        for m in ["HealthyHostCount", "UnHealthyHostCount"] : "${m} Maximum 300 ${jsonencode({ LoadBalancer = "app/hello/50dc6c495c0c9188", TargetGroup = "targetgroup/hello-20261126/73e2d6bc24d8a067" })}"
      ])
    )
    error_message = "The capacity alarm must fire when the targets (the nodes of every zone's group) reach the groups' summed maximum (6 in prod) for 30 minutes."
  }

  # An idle environment must stay quiet: no request-based alarm breaches on missing data, and
  # every alarm needs consecutive breaching periods.
  assert {
    condition = alltrue([
      for alarm in concat(aws_cloudwatch_metric_alarm.target_5xx, aws_cloudwatch_metric_alarm.elb_5xx, values(aws_cloudwatch_metric_alarm.unhealthy_hosts),
      aws_cloudwatch_metric_alarm.response_time_p99, aws_cloudwatch_metric_alarm.node_capacity) :
      alarm.treat_missing_data == "notBreaching" && alarm.evaluation_periods == alarm.datapoints_to_alarm && alarm.evaluation_periods >= 2
    ]) && aws_cloudwatch_metric_alarm.healthy_hosts[0].evaluation_periods == 5 && aws_cloudwatch_metric_alarm.healthy_hosts[0].datapoints_to_alarm == 5
    error_message = "Request and capacity alarms must treat missing data as not breaching and need every one of at least two periods to breach."
  }

  # --- ALB access logs ---------------------------------------------------------------------
  assert {
    condition = (
      aws_lb.this.access_logs[0].enabled == true &&
      aws_lb.this.access_logs[0].bucket == aws_s3_bucket.alb_logs[0].bucket &&
      aws_lb.this.access_logs[0].prefix == "hello-prod" &&
      aws_s3_bucket.alb_logs[0].bucket == "hello-prod-alb-logs-123456789012-eu-west-2" &&
      one(aws_s3_bucket_server_side_encryption_configuration.alb_logs[0].rule).apply_server_side_encryption_by_default[0].sse_algorithm == "AES256" &&
      aws_s3_bucket_ownership_controls.alb_logs[0].rule[0].object_ownership == "BucketOwnerEnforced" &&
      aws_s3_bucket_public_access_block.alb_logs[0].block_public_acls && aws_s3_bucket_public_access_block.alb_logs[0].block_public_policy &&
      aws_s3_bucket_public_access_block.alb_logs[0].ignore_public_acls && aws_s3_bucket_public_access_block.alb_logs[0].restrict_public_buckets &&
      aws_s3_bucket_lifecycle_configuration.alb_logs[0].rule[0].status == "Enabled" &&
      aws_s3_bucket_lifecycle_configuration.alb_logs[0].rule[0].expiration[0].days == 90 &&
      output.alb_access_logs_bucket == "hello-prod-alb-logs-123456789012-eu-west-2"
    )
    error_message = "CKV_AWS_91/CKV2_AWS_6/CKV2_AWS_61: prod logs ALB access to its own bucket: SSE-S3 (the only encryption ALB logs support), owner-enforced objects, public access blocked, logs expired after 90 days."
  }

  # eu-west-2 is older than August 2022: the regional Elastic Load Balancing account writes.
  assert {
    condition = jsondecode(aws_s3_bucket_policy.alb_logs[0].policy).Statement == [
      {
        Sid       = "ElbLogDeliveryWritesThisLoadBalancersLogs"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::652711504416:root" }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.alb_logs[0].arn}/hello-prod/AWSLogs/123456789012/*"
      },
      {
        Sid       = "DenyRequestsWithoutTls"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.alb_logs[0].arn, "${aws_s3_bucket.alb_logs[0].arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
    error_message = "In eu-west-2 the log bucket must let the London ELB account (652711504416) write this account's logs under the prefix, and refuse requests without TLS."
  }

  # --- outputs ---------------------------------------------------------------------------
  assert {
    condition = (
      output.app_url == "http://${aws_lb.this.dns_name}" &&
      output.alb_dns_name == aws_lb.this.dns_name &&
      output.cluster_name == "hello-prod" &&
      output.region == "eu-west-2" &&
      output.update_kubeconfig_command == "aws eks update-kubeconfig --region eu-west-2 --name hello-prod" &&
      output.image_repository_url == "123456789012.dkr.ecr.eu-west-2.amazonaws.com/hello/hello-server" &&
      length(output.cluster_endpoint_public_access_cidrs) == 0 &&
      output.vpc_id == aws_vpc.this.id &&
      output.vpc_cidr == "10.0.0.0/16" &&
      output.public_subnet_ids == [for az in var.availability_zones : aws_subnet.public[az].id] &&
      output.private_subnet_ids == [for az in var.availability_zones : aws_subnet.private[az].id] &&
      output.target_group_arn == aws_lb_target_group.app.arn &&
      output.github_actions_role_arn == null &&
      output.alarm_topic_arn == aws_sns_topic.alarms[0].arn
    )
    error_message = "The outputs the deploy script and people read must hold the values of the contract."
  }
}

# Finding 1: a certificate is created and validated only with a hosted zone; with a domain
# and a zone the HTTPS listener uses the validated certificate and port 80 redirects.
run "domain_and_zone" {
  command = apply

  variables {
    domain_name     = "hello.example.com"
    route53_zone_id = "Z0123456789ABCDEFGHIJ"
  }

  assert {
    condition = (
      aws_acm_certificate.this[0].domain_name == "hello.example.com" &&
      aws_acm_certificate.this[0].validation_method == "DNS" &&
      aws_route53_record.certificate_validation[0].zone_id == "Z0123456789ABCDEFGHIJ" &&
      aws_route53_record.certificate_validation[0].name == "_3f2a1b.hello.example.com." &&
      aws_route53_record.certificate_validation[0].records == toset(["_9c8d7e.jkddzztszm.acm-validations.aws."])
    )
    error_message = "The certificate must be validated through a CNAME in the given zone."
  }

  assert {
    condition = (
      aws_lb_listener.https[0].port == 443 &&
      aws_lb_listener.https[0].protocol == "HTTPS" &&
      aws_lb_listener.https[0].ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06" &&
      aws_lb_listener.https[0].certificate_arn == aws_acm_certificate_validation.this[0].certificate_arn &&
      aws_lb_listener.https[0].certificate_arn != null &&
      aws_lb_listener.https[0].default_action[0].target_group_arn == aws_lb_target_group.app.arn
    )
    error_message = "CKV_AWS_103: HTTPS on 443 must use the validated certificate, TLS 1.2+ and forward to the target group."
  }

  assert {
    condition = (
      aws_lb_listener.http.default_action[0].type == "redirect" &&
      aws_lb_listener.http.default_action[0].target_group_arn == null &&
      aws_lb_listener.http.default_action[0].redirect[0].protocol == "HTTPS" &&
      aws_lb_listener.http.default_action[0].redirect[0].port == "443" &&
      aws_lb_listener.http.default_action[0].redirect[0].status_code == "HTTP_301"
    )
    error_message = "CKV_AWS_2: with HTTPS, port 80 must redirect to 443 instead of forwarding."
  }

  assert {
    condition     = toset([for rule in aws_vpc_security_group_ingress_rule.alb_listener : rule.from_port]) == toset([80, 443])
    error_message = "With HTTPS the ALB must accept 80 (to redirect) and 443."
  }

  assert {
    condition = (
      aws_route53_record.app[0].name == "hello.example.com" &&
      aws_route53_record.app[0].type == "A" &&
      one(aws_route53_record.app[0].alias).name == aws_lb.this.dns_name &&
      output.app_url == "https://hello.example.com"
    )
    error_message = "The domain must be an alias of the ALB and the app URL https://<domain>."
  }
}

run "certificate_arn" {
  command = apply

  variables {
    certificate_arn = "arn:aws:acm:eu-west-2:123456789012:certificate/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition = (
      aws_lb_listener.https[0].certificate_arn == "arn:aws:acm:eu-west-2:123456789012:certificate/11111111-2222-3333-4444-555555555555" &&
      length(aws_acm_certificate.this) == 0 &&
      length(aws_route53_record.app) == 0 &&
      aws_lb_listener.http.default_action[0].type == "redirect" &&
      output.app_url == "https://${aws_lb.this.dns_name}"
    )
    error_message = "A given certificate must serve HTTPS on the ALB's name without creating a certificate or DNS record."
  }
}

run "waf" {
  command = apply

  variables {
    enable_waf = true
  }

  assert {
    condition = (
      aws_wafv2_web_acl.this[0].scope == "REGIONAL" &&
      aws_wafv2_web_acl_association.this[0].resource_arn == aws_lb.this.arn &&
      aws_wafv2_web_acl_association.this[0].web_acl_arn == aws_wafv2_web_acl.this[0].arn &&
      toset([for rule in aws_wafv2_web_acl.this[0].rule : rule.statement[0].managed_rule_group_statement[0].name]) ==
      toset(["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"])
    )
    error_message = "CKV2_AWS_28/CKV2_AWS_76: the web ACL must hold the AWS common and known-bad-inputs rule sets and be attached to the ALB."
  }
}

run "github_oidc" {
  command = apply

  variables {
    github_repository = "example-org/hello"
  }

  assert {
    condition = (
      aws_iam_openid_connect_provider.github[0].url == "https://token.actions.githubusercontent.com" &&
      toset(aws_iam_openid_connect_provider.github[0].client_id_list) == toset(["sts.amazonaws.com"]) &&
      output.github_actions_role_arn == aws_iam_role.github_actions[0].arn
    )
    error_message = "The GitHub OIDC provider and the role's ARN output must exist when github_repository is set."
  }

  assert {
    condition = alltrue([
      for statement in data.aws_iam_policy_document.github_assume[0].statement : (
        toset(statement.actions) == toset(["sts:AssumeRoleWithWebIdentity"]) &&
        toset([for p in statement.principals : one(p.identifiers)]) == toset([aws_iam_openid_connect_provider.github[0].arn]) &&
        toset([for c in statement.condition : "${c.test} ${c.variable} ${join(",", c.values)}"]) == toset([
          "StringEquals token.actions.githubusercontent.com:aud sts.amazonaws.com",
          "StringEquals token.actions.githubusercontent.com:sub repo:example-org/hello:ref:refs/heads/main,repo:example-org/hello:environment:prod",
        ])
      )
    ])
    error_message = "Only main and the prod environment of the repository may assume the role (exact subjects, no pull requests, no wildcards)."
  }

  assert {
    condition = alltrue(flatten([
      for statement in data.aws_iam_policy_document.github_actions[0].statement : [
        for action in statement.actions : can(regex("^ecr:", action)) || action == "eks:DescribeCluster"
      ]
      ])) && toset(flatten([for s in data.aws_iam_policy_document.github_actions[0].statement : tolist(s.resources)])) == toset([
      "*", "arn:aws:ecr:eu-west-2:123456789012:repository/hello/hello-server", aws_eks_cluster.this.arn,
    ])
    error_message = "The CI role may only log in to the registry, push to the shared repository and describe this cluster."
  }
}

# Add-on versions: EKS moves an add-on's default version within a Kubernetes minor version, so
# a pinned version must hold even when the default moves; unpinned ones follow the default.
run "addon_versions_pinned" {
  command = apply

  variables {
    addon_versions = { coredns = "v1.12.1-eksbuild.2" }
  }

  override_data {
    target = data.aws_eks_addon_version.this["coredns"]
    values = { version = "v1.13.0-eksbuild.1" }
  }

  assert {
    condition = (
      aws_eks_addon.after_nodes["coredns"].addon_version == "v1.12.1-eksbuild.2" &&
      aws_eks_addon.before_nodes["vpc-cni"].addon_version == "v1.20.4-eksbuild.2"
    )
    error_message = "A version in addon_versions must be installed whatever EKS's default is (coredns is ${aws_eks_addon.after_nodes["coredns"].addon_version}, pinned v1.12.1-eksbuild.2); the others follow the default."
  }

  assert {
    condition = output.eks_addon_versions == {
      "vpc-cni"                         = "v1.20.4-eksbuild.2"
      "kube-proxy"                      = "v1.35.0-eksbuild.2"
      "eks-pod-identity-agent"          = "v1.0.0-eksbuild.1"
      "coredns"                         = "v1.12.1-eksbuild.2"
      "metrics-server"                  = "v1.0.0-eksbuild.1"
      "amazon-cloudwatch-observability" = "v4.6.0-eksbuild.1"
    }
    error_message = "The eks_addon_versions output must show every installed add-on's version, ready to pin."
  }
}

# The stateful component's volumes: the EBS CSI driver with its own role through Pod Identity,
# and the component's StorageClass naming that driver.
run "stateful" {
  command = apply

  variables {
    enable_ebs_csi_driver = true
  }

  assert {
    condition = (
      one(aws_eks_addon.after_nodes["aws-ebs-csi-driver"].pod_identity_association).service_account == "ebs-csi-controller-sa" &&
      one(aws_eks_addon.after_nodes["aws-ebs-csi-driver"].pod_identity_association).role_arn == aws_iam_role.addon["aws-ebs-csi-driver"].arn &&
      aws_iam_role_policy_attachment.addon["aws-ebs-csi-driver"].role == aws_iam_role.addon["aws-ebs-csi-driver"].name &&
      aws_iam_role_policy_attachment.addon["aws-ebs-csi-driver"].policy_arn == "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
    )
    error_message = "enable_ebs_csi_driver must install the EBS CSI driver add-on with AmazonEBSCSIDriverPolicy through EKS Pod Identity."
  }

  assert {
    condition = (
      yamldecode(file("${path.module}/../k8s/components/stateful/storageclass.yaml")).provisioner == "ebs.csi.aws.com" &&
      yamldecode(file("${path.module}/../k8s/components/stateful/storageclass.yaml")).volumeBindingMode == "WaitForFirstConsumer" &&
      yamldecode(file("${path.module}/../k8s/components/stateful/storageclass.yaml")).parameters == { type = "gp3", encrypted = "true" } &&
      one([
        for op in yamldecode(file("${path.module}/../k8s/components/stateful/statefulset-patch.yaml")) :
        op.value[0].spec.storageClassName if op.path == "/spec/volumeClaimTemplates"
      ]) == yamldecode(file("${path.module}/../k8s/components/stateful/storageclass.yaml")).metadata.name
    )
    error_message = "The stateful component's claims must use its StorageClass: the EBS CSI driver, gp3, encrypted, WaitForFirstConsumer (a volume in its pod's zone)."
  }
}

# A region opened after August 2022 has no Elastic Load Balancing account: the log delivery
# service principal writes instead. With subscriptions, every endpoint gets one.
run "newer_region_with_subscriptions" {
  command = apply

  variables {
    region                = "eu-south-2"
    availability_zones    = ["eu-south-2a", "eu-south-2b", "eu-south-2c"]
    alarm_email_addresses = ["oncall@example.com", "platform@example.com"]
    alarm_https_endpoints = ["https://events.example.com/integration/sns"]
  }

  assert {
    condition = (
      jsondecode(aws_s3_bucket_policy.alb_logs[0].policy).Statement[0].Principal == { Service = "logdelivery.elasticloadbalancing.amazonaws.com" } &&
      jsondecode(aws_s3_bucket_policy.alb_logs[0].policy).Statement[0].Resource == "${aws_s3_bucket.alb_logs[0].arn}/hello-prod/AWSLogs/123456789012/*" &&
      aws_s3_bucket.alb_logs[0].bucket == "hello-prod-alb-logs-123456789012-eu-south-2"
    )
    error_message = "In a region opened after August 2022 the log bucket must admit the service principal logdelivery.elasticloadbalancing.amazonaws.com, not an account."
  }

  assert {
    condition = (
      toset([for s in aws_sns_topic_subscription.email : "${s.protocol} ${s.endpoint}"]) == toset(["email oncall@example.com", "email platform@example.com"]) &&
      toset([for s in aws_sns_topic_subscription.https : "${s.protocol} ${s.endpoint}"]) == toset(["https https://events.example.com/integration/sns"]) &&
      alltrue([for s in concat(values(aws_sns_topic_subscription.email), values(aws_sns_topic_subscription.https)) : s.topic_arn == aws_sns_topic.alarms[0].arn]) &&
      keys(aws_cloudwatch_metric_alarm.unhealthy_hosts) == ["eu-south-2a", "eu-south-2b", "eu-south-2c"] &&
      one([
        for st in jsondecode(aws_sns_topic_policy.alarms[0].policy).Statement : st.Condition.ArnLike["aws:SourceArn"] if st.Effect == "Allow"
      ]) == "arn:aws:cloudwatch:eu-south-2:123456789012:alarm:hello-prod-*"
    )
    error_message = "Each email address and HTTPS endpoint must be subscribed to the alarm topic, and the alarms must follow the region's zones."
  }
}
