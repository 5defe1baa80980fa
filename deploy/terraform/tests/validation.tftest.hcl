# Every input validation rejects a bad value, on top of otherwise valid defaults. Variables
# whose rules are independent share a run; expect_failures names each variable that must fail,
# and the run fails if one of them passes or anything else fails.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  environment = "prod"
}

run "bad_values" {
  command = plan

  variables {
    name                                 = "Hello_World"
    environment                          = "staging"
    region                               = "London"
    vpc_cidr                             = "10.0.0.0/8"
    availability_zones                   = ["eu-west-2a", "eu-west-2a", "eu-west-2b"]
    nat_mode                             = "nat-gateway"
    single_nat_gateway                   = true
    kubernetes_version                   = "1.35.2"
    nat_instance_type                    = "t4g nano"
    node_instance_types                  = ["t4g.small", "t4g.small"]
    node_capacity_type                   = "RESERVED"
    node_max_size                        = 101
    node_disk_size                       = 10
    cluster_endpoint_public_access_cidrs = ["203.0.113.7/24"]
    cluster_admin_principal_arns         = ["arn:aws:iam::123456789012:group/admins"]
    certificate_arn                      = "arn:aws:iam::123456789012:server-certificate/hello"
    alb_ingress_cidrs                    = ["10.0.0.0/33"]
    log_retention_days                   = 100
    image_repository_name                = "Hello/Server"
    image_registry_account_id            = "1234"
    github_repository                    = "hello"
    alb_access_logs_bucket               = "Hello_Logs"
    alb_access_logs_retention_days       = 0
    alarm_email_addresses                = ["oncall"]
    alarm_https_endpoints                = ["http://events.example.com/sns"]
    alarm_5xx_percent                    = 0
    alarm_min_requests_per_minute        = 0.5
    alarm_p99_latency_seconds            = 0
  }

  expect_failures = [
    var.name,
    var.environment,
    var.region,
    var.vpc_cidr,
    var.availability_zones,
    var.nat_mode,
    var.kubernetes_version,
    var.nat_instance_type,
    var.node_instance_types,
    var.node_capacity_type,
    var.node_max_size,
    var.node_disk_size,
    var.cluster_endpoint_public_access_cidrs,
    var.cluster_admin_principal_arns,
    var.certificate_arn,
    var.alb_ingress_cidrs,
    var.log_retention_days,
    var.image_repository_name,
    var.image_registry_account_id,
    var.github_repository,
    var.alb_access_logs_bucket,
    var.alb_access_logs_retention_days,
    var.alarm_email_addresses,
    var.alarm_https_endpoints,
    var.alarm_5xx_percent,
    var.alarm_min_requests_per_minute,
    var.alarm_p99_latency_seconds,
  ]
}

# A failed validation hides the rules that read that variable, so rules that read others
# get runs of their own.
run "route53_zone_id_needs_domain" {
  command = plan

  variables {
    route53_zone_id = "Z0123456789ABCDEFGHIJ"
  }

  expect_failures = [var.route53_zone_id]
}

run "nat_instance_needs_single_nat" {
  command = plan

  variables {
    nat_mode           = "instance"
    single_nat_gateway = false
  }

  expect_failures = [var.nat_mode]
}

run "public_endpoint_needs_cidrs" {
  command = plan

  variables {
    cluster_endpoint_public_access = true
  }

  expect_failures = [var.cluster_endpoint_public_access_cidrs]
}

# Each rule of the API allowlist on its own (the bad_values run has a CIDR that is not
# written with its network address), each run sharing its plan with a rule of another
# variable: the nodes' architecture and their instance types.
run "api_cidrs_not_the_internet_architecture_known" {
  command = plan

  variables {
    cluster_endpoint_public_access       = true
    cluster_endpoint_public_access_cidrs = ["203.0.113.10/32", "0.0.0.0/0"]
    node_architecture                    = "amd64"
  }

  expect_failures = [var.cluster_endpoint_public_access_cidrs, var.node_architecture]
}

# A node group has one AMI type: every instance type must be of its architecture.
run "api_cidrs_public_addresses_types_match_arm64" {
  command = plan

  variables {
    cluster_endpoint_public_access       = true
    cluster_endpoint_public_access_cidrs = ["172.20.0.0/16"]
    node_instance_types                  = ["t4g.small", "t3.small"]
  }

  expect_failures = [var.cluster_endpoint_public_access_cidrs, var.node_instance_types]
}

run "api_cidrs_need_public_access_types_match_x86_64" {
  command = plan

  variables {
    cluster_endpoint_public_access_cidrs = ["203.0.113.10/32"]
    node_architecture                    = "x86_64"
    node_instance_types                  = ["m7g.medium"]
  }

  expect_failures = [var.cluster_endpoint_public_access_cidrs, var.node_instance_types]
}

run "node_min_size_whole_number" {
  command = plan

  variables {
    node_min_size = 1.5
  }

  expect_failures = [var.node_min_size]
}

run "node_desired_size_within_bounds" {
  command = plan

  variables {
    node_desired_size = 7
  }

  expect_failures = [var.node_desired_size]
}

# A node group per zone needs room for a node in each.
run "node_max_size_one_per_zone" {
  command = plan

  variables {
    node_min_size     = 1
    node_desired_size = 1
    node_max_size     = 2
  }

  expect_failures = [var.node_max_size]
}

run "domain_name_lowercase_dns" {
  command = plan

  variables {
    domain_name     = "Hello.Example.com"
    route53_zone_id = "Z0123456789ABCDEFGHIJ"
  }

  expect_failures = [var.domain_name]
}

# Without a zone to validate a new certificate in, and without an existing certificate, the
# HTTPS listener would have no certificate: AWS rejects that at apply time.
run "domain_name_needs_zone_or_certificate" {
  command = plan

  variables {
    domain_name = "hello.example.com"
  }

  expect_failures = [var.certificate_arn]
}

run "addon_versions_format" {
  command = plan

  variables {
    addon_versions = { coredns = "1.12" }
  }

  expect_failures = [var.addon_versions]
}

# The identity of the first apply has an entry of its own; listing it again would be a second
# entry for the same principal, which EKS rejects.
run "first_caller_not_listed_again" {
  command = plan

  variables {
    cluster_admin_principal_arns = ["arn:aws:iam::123456789012:role/platform-admin"]
  }

  expect_failures = [aws_eks_access_entry.admin]
}

# Container Insights takes its role through EKS Pod Identity, which the add-on supports from
# 3.1.0; an older pin would run the agent without credentials.
run "container_insights_needs_pod_identity_support" {
  command = plan

  variables {
    enable_container_insights = true
    addon_versions            = { amazon-cloudwatch-observability = "v3.0.2-eksbuild.1" }
  }

  expect_failures = [aws_eks_addon.after_nodes]
}
