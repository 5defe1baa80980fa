# Internet-facing by purpose; HTTP is forwarded only while no certificate is configured.
#trivy:ignore:AVD-AWS-0053
resource "aws_lb" "this" {
  #checkov:skip=CKV_AWS_91:Access logs are on in prod (enable_alb_access_logs) and optional in dev, where nobody reads them
  #checkov:skip=CKV2_AWS_28:WAF is optional (enable_waf); it costs more per month than the load balancer itself
  #checkov:skip=CKV2_AWS_20:Port 80 redirects to HTTPS as soon as a certificate or domain is configured; without one there is nothing to redirect to
  #checkov:skip=CKV2_AWS_76:The web ACL, when enabled, includes the known-bad-inputs (Log4j) rule set
  name                       = local.cluster_name
  internal                   = false
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.alb.id]
  subnets                    = [for az in local.azs : aws_subnet.public[az].id]
  drop_invalid_header_fields = true
  enable_deletion_protection = var.alb_deletion_protection
  # Shorter than the server's 75 s keep-alive, so the load balancer never reuses a
  # connection the server is closing.
  idle_timeout = 60

  dynamic "access_logs" {
    for_each = local.alb_access_logs_enabled ? [1] : []

    content {
      bucket  = local.alb_access_logs_bucket
      prefix  = local.alb_access_logs_prefix
      enabled = true
    }
  }
}

# Instance targets on the Service's node port: the Auto Scaling attachment below registers
# every node, kube-proxy forwards to a ready pod wherever it runs.
# Named by prefix (at most 6 characters) so that a change that replaces it (port, protocol,
# VPC) creates the new group first and moves the listeners over: a target group in use by a
# listener cannot be deleted.
resource "aws_lb_target_group" "app" {
  #checkov:skip=CKV_AWS_378:TLS ends at the load balancer; the hop to the node port stays inside the VPC
  name_prefix          = "${substr(var.name, 0, 5)}-"
  port                 = 30080
  protocol             = "HTTP"
  target_type          = "instance"
  vpc_id               = aws_vpc.this.id
  deregistration_delay = 30

  tags = { Name = "${local.cluster_name}-30080" }

  health_check {
    enabled             = true
    path                = "/readyz"
    port                = "traffic-port"
    protocol            = "HTTP"
    matcher             = "200"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }

  lifecycle {
    create_before_destroy = true
  }
}

# Registers each node group's Auto Scaling group itself, not its instances: targets follow
# every scale-out, scale-in and node replacement without another apply. A replaced node group
# or target group is attached before the old attachment goes, so the target group never
# empties.
resource "aws_autoscaling_attachment" "app" {
  for_each = local.node_groups

  autoscaling_group_name = aws_eks_node_group.this[each.key].resources[0].autoscaling_groups[0].name
  lb_target_group_arn    = aws_lb_target_group.app.arn

  lifecycle {
    create_before_destroy = true
  }
}

#trivy:ignore:AVD-AWS-0054
resource "aws_lb_listener" "http" {
  #checkov:skip=CKV_AWS_2:Port 80 redirects to HTTPS as soon as a certificate or domain is configured; without one it is the only listener
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = local.https_enabled ? "redirect" : "forward"
    target_group_arn = local.https_enabled ? null : aws_lb_target_group.app.arn

    dynamic "redirect" {
      for_each = local.https_enabled ? [1] : []

      content {
        port        = "443"
        protocol    = "HTTPS"
        status_code = "HTTP_301"
      }
    }
  }
}

resource "aws_lb_listener" "https" {
  count = local.https_enabled ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = local.create_certificate ? aws_acm_certificate_validation.this[0].certificate_arn : var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.app.arn
  }
}

resource "aws_acm_certificate" "this" {
  count = local.create_certificate ? 1 : 0

  domain_name       = var.domain_name
  validation_method = "DNS"

  options {
    certificate_transparency_logging_preference = "ENABLED"
  }

  lifecycle {
    create_before_destroy = true
  }
}

# A single name means a single validation record, so count (known at plan time) suffices.
resource "aws_route53_record" "certificate_validation" {
  count = local.create_certificate ? 1 : 0

  zone_id         = var.route53_zone_id
  name            = tolist(aws_acm_certificate.this[0].domain_validation_options)[0].resource_record_name
  type            = tolist(aws_acm_certificate.this[0].domain_validation_options)[0].resource_record_type
  records         = [tolist(aws_acm_certificate.this[0].domain_validation_options)[0].resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  count = local.create_certificate ? 1 : 0

  certificate_arn         = aws_acm_certificate.this[0].arn
  validation_record_fqdns = [aws_route53_record.certificate_validation[0].fqdn]
}

resource "aws_route53_record" "app" {
  count = var.domain_name != null && var.route53_zone_id != null ? 1 : 0

  zone_id = var.route53_zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = aws_lb.this.dns_name
    zone_id                = aws_lb.this.zone_id
    evaluate_target_health = true
  }
}

resource "aws_wafv2_web_acl" "this" {
  #checkov:skip=CKV2_AWS_31:WAF request logging needs a Firehose or log group per environment; enable it when the web ACL is used in earnest
  count = var.enable_waf ? 1 : 0

  name  = local.cluster_name
  scope = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = "aws-common-rule-set"
    priority = 10

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesCommonRuleSet"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.cluster_name}-common"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-known-bad-inputs"
    priority = 20

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.cluster_name}-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = local.cluster_name
    sampled_requests_enabled   = true
  }
}

resource "aws_wafv2_web_acl_association" "this" {
  count = var.enable_waf ? 1 : 0

  resource_arn = aws_lb.this.arn
  web_acl_arn  = aws_wafv2_web_acl.this[0].arn
}
