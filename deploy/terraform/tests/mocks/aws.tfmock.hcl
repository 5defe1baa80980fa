# What the mocked AWS provider returns in every test: values shaped like the real ones, so that
# expressions over them (zone names, ARNs, the node group's Auto Scaling group) are evaluated as
# they would be against AWS. Anything not listed gets Terraform's generated values (random
# strings, empty collections). Account 123456789012 and the add-on versions are examples.

mock_data "aws_partition" {
  defaults = {
    partition  = "aws"
    dns_suffix = "amazonaws.com"
  }
}

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "123456789012"
    arn        = "arn:aws:sts::123456789012:assumed-role/platform-admin/laptop-session"
    user_id    = "AROAEXAMPLEPLATFORMADMIN:laptop-session"
  }
}

# Who runs the apply: an engineer's laptop through the platform-admin role. Tests that apply as
# someone else (CI) override this in their run block.
mock_data "aws_iam_session_context" {
  defaults = {
    issuer_arn   = "arn:aws:iam::123456789012:role/platform-admin"
    issuer_id    = "AROAEXAMPLEPLATFORMADMIN"
    issuer_name  = "platform-admin"
    session_name = "laptop-session"
  }
}

mock_data "aws_availability_zones" {
  defaults = {
    # Deliberately unsorted, as the API does not promise an order.
    names    = ["eu-west-2b", "eu-west-2a", "eu-west-2c"]
    zone_ids = ["euw2-az3", "euw2-az2", "euw2-az1"]
  }
}

mock_data "aws_iam_policy_document" {
  defaults = {
    json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  }
}

mock_data "aws_ssm_parameter" {
  defaults = {
    insecure_value = "ami-0a1b2c3d4e5f67890"
    type           = "String"
  }
}

# The default version EKS reports for each add-on (examples in the real format).
mock_data "aws_eks_addon_version" {
  defaults = {
    version = "v1.0.0-eksbuild.1"
  }
}

override_data {
  target = data.aws_eks_addon_version.this["vpc-cni"]
  values = { version = "v1.20.4-eksbuild.2" }
}

override_data {
  target = data.aws_eks_addon_version.this["coredns"]
  values = { version = "v1.12.4-eksbuild.1" }
}

override_data {
  target = data.aws_eks_addon_version.this["kube-proxy"]
  values = { version = "v1.35.0-eksbuild.2" }
}

override_data {
  target = data.aws_eks_addon_version.this["amazon-cloudwatch-observability"]
  values = { version = "v4.6.0-eksbuild.1" }
}

# EKS creates one Auto Scaling group per managed node group; the target group attachment and
# the autoscaler's IAM policy depend on its name.
mock_resource "aws_eks_node_group" {
  defaults = {
    resources = [{
      autoscaling_groups              = [{ name = "eks-hello-nodes-0ac9c0d1-57f3-6c8b-a1e2-1b2c3d4e5f60" }]
      remote_access_security_group_id = ""
    }]
  }
}

# DNS validation of a certificate for one name: one CNAME record.
mock_resource "aws_acm_certificate" {
  defaults = {
    arn = "arn:aws:acm:eu-west-2:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    domain_validation_options = [{
      domain_name           = "hello.example.com"
      resource_record_name  = "_3f2a1b.hello.example.com."
      resource_record_type  = "CNAME"
      resource_record_value = "_9c8d7e.jkddzztszm.acm-validations.aws."
    }]
  }
}

# The alarms' dimensions are the ARN suffixes CloudWatch names them by.
mock_resource "aws_lb" {
  defaults = {
    arn        = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:loadbalancer/app/hello/50dc6c495c0c9188"
    arn_suffix = "app/hello/50dc6c495c0c9188"
    dns_name   = "hello-1234567890.eu-west-2.elb.amazonaws.com"
    zone_id    = "ZHURV8PSTC4K8"
  }
}

mock_resource "aws_lb_target_group" {
  defaults = {
    arn        = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/hello-20261126/73e2d6bc24d8a067"
    arn_suffix = "targetgroup/hello-20261126/73e2d6bc24d8a067"
  }
}
