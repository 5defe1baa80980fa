# CloudWatch alarms on what AWS measures itself (the load balancer's metrics are published at no
# charge), to an SNS topic that reaches a person by email or HTTPS. What each alarm means and
# what to do: docs/operations.md, "CloudWatch alarms". The Prometheus rules in
# deploy/observability see the service from inside; these see it from the load balancer, which
# keeps working when the cluster's own monitoring does not.
#
# Every alarm is written so that an idle environment stays quiet: request-based alarms treat
# missing data as not breaching and count ratios only above a minimum request rate, the
# percentile alarm ignores periods with too few samples, and each must hold for several
# consecutive periods (evaluation_periods = datapoints_to_alarm).

locals {
  alarm_actions = var.enable_alarms ? [aws_sns_topic.alarms[0].arn] : []

  alb_dimensions = { LoadBalancer = aws_lb.this.arn_suffix }
  target_group_dimensions = {
    LoadBalancer = aws_lb.this.arn_suffix
    TargetGroup  = aws_lb_target_group.app.arn_suffix
  }

  # Every node is a target (each node group's Auto Scaling group is attached to the target
  # group), so the target group's host counts are the node groups' node counts.
  nodes_min = sum([for ng in values(local.node_groups) : ng.min_size])
  nodes_max = sum([for ng in values(local.node_groups) : ng.max_size])

  runbook = "docs/operations.md, section \"CloudWatch alarms\""
}

# Encrypted with the module's customer managed key: the AWS managed alias/aws/sns key cannot be
# used, because its policy cannot grant CloudWatch the kms:GenerateDataKey* and kms:Decrypt that
# publishing to an encrypted topic needs (kms.tf grants them).
resource "aws_sns_topic" "alarms" {
  count = var.enable_alarms ? 1 : 0

  name              = "${local.cluster_name}-alarms"
  kms_master_key_id = aws_kms_key.main.arn
}

resource "aws_sns_topic_policy" "alarms" {
  count = var.enable_alarms ? 1 : 0

  arn = aws_sns_topic.alarms[0].arn

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "ThisEnvironmentsAlarmsPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alarms[0].arn
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
          ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:cloudwatch:${var.region}:${local.account_id}:alarm:${local.cluster_name}-*" }
        }
      },
      {
        Sid       = "DenyPublishWithoutTls"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alarms[0].arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.enable_alarms ? var.alarm_email_addresses : [])

  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_sns_topic_subscription" "https" {
  for_each = toset(var.enable_alarms ? var.alarm_https_endpoints : [])

  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "https"
  endpoint  = each.value
}

# 5xx answers of the pods, as a share of the requests the target group received. The server
# answers 5xx only while it drains (/readyz, which health checks call and RequestCount does not
# count) and for unknown methods (501), so a sustained share means users see errors.
resource "aws_cloudwatch_metric_alarm" "target_5xx" {
  count = var.enable_alarms ? 1 : 0

  alarm_name          = "${local.cluster_name}-target-5xx"
  alarm_description   = "More than ${var.alarm_5xx_percent}% of requests got a 5xx from the pods for 5 minutes (ratios count from ${var.alarm_min_requests_per_minute} requests a minute). See ${local.runbook}."
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.alarm_5xx_percent
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "percent"
    label       = "Target 5xx, percent of requests"
    expression  = "IF(FILL(requests, 0) >= ${var.alarm_min_requests_per_minute}, 100 * FILL(errors, 0) / requests, 0)"
    return_data = true
  }

  metric_query {
    id = "errors"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      dimensions  = local.target_group_dimensions
      stat        = "Sum"
      period      = 60
    }
  }

  metric_query {
    id = "requests"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      dimensions  = local.target_group_dimensions
      stat        = "Sum"
      period      = 60
    }
  }
}

# 5xx answers the load balancer made itself (502 and 504: no answer from a node; 503: no
# target at all). Such requests never reach a target and are not in RequestCount, so the share
# is of both together.
resource "aws_cloudwatch_metric_alarm" "elb_5xx" {
  count = var.enable_alarms ? 1 : 0

  alarm_name          = "${local.cluster_name}-elb-5xx"
  alarm_description   = "More than ${var.alarm_5xx_percent}% of requests got a 5xx from the load balancer itself for 5 minutes (ratios count from ${var.alarm_min_requests_per_minute} requests a minute). See ${local.runbook}."
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.alarm_5xx_percent
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "percent"
    label       = "Load balancer 5xx, percent of requests"
    expression  = "IF(FILL(errors, 0) + FILL(requests, 0) >= ${var.alarm_min_requests_per_minute}, 100 * FILL(errors, 0) / (FILL(errors, 0) + FILL(requests, 0)), 0)"
    return_data = true
  }

  metric_query {
    id = "errors"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      dimensions  = local.alb_dimensions
      stat        = "Sum"
      period      = 60
    }
  }

  metric_query {
    id = "requests"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      dimensions  = local.alb_dimensions
      stat        = "Sum"
      period      = 60
    }
  }
}

# One per zone: a node whose health check (GET /readyz through kube-proxy) has failed for five
# minutes. A new node passes after two checks 10 s apart, so a rollout never holds it that long.
resource "aws_cloudwatch_metric_alarm" "unhealthy_hosts" {
  for_each = var.enable_alarms ? local.zones : {}

  alarm_name          = "${local.cluster_name}-unhealthy-hosts-${each.key}"
  alarm_description   = "At least one target in ${each.key} has failed the /readyz health check for 5 minutes. See ${local.runbook}."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = merge(local.target_group_dimensions, { AvailabilityZone = each.key })
  statistic           = "Maximum"
  period              = 60
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# What users wait for, queueing in front of the process included (the server's own histogram
# sees only the time inside it). A p99 needs 1,000 samples in a period to mean anything; below
# that (about 3.3 requests a second over 5 minutes) the alarm keeps its state.
resource "aws_cloudwatch_metric_alarm" "response_time_p99" {
  count = var.enable_alarms ? 1 : 0

  alarm_name                            = "${local.cluster_name}-response-time-p99"
  alarm_description                     = "The 99th percentile of TargetResponseTime has been above ${var.alarm_p99_latency_seconds} s for 10 minutes. See ${local.runbook}."
  namespace                             = "AWS/ApplicationELB"
  metric_name                           = "TargetResponseTime"
  dimensions                            = local.target_group_dimensions
  extended_statistic                    = "p99"
  period                                = 300
  comparison_operator                   = "GreaterThanThreshold"
  threshold                             = var.alarm_p99_latency_seconds
  evaluation_periods                    = 2
  datapoints_to_alarm                   = 2
  treat_missing_data                    = "notBreaching"
  evaluate_low_sample_count_percentiles = "ignore"
  alarm_actions                         = local.alarm_actions
  ok_actions                            = local.alarm_actions
}

# Fewer healthy targets than the node groups' minimum (node_min_size): a node is missing or
# cannot reach a ready pod. Host counts are reported whenever health checks are enabled, idle
# or not, so missing data means the target group is no longer reported at all and counts as
# breaching. Created after the Auto Scaling attachments, so a first apply does not page while
# the nodes register.
resource "aws_cloudwatch_metric_alarm" "healthy_hosts" {
  count = var.enable_alarms ? 1 : 0

  alarm_name          = "${local.cluster_name}-healthy-hosts-below-minimum"
  alarm_description   = "Fewer than ${local.nodes_min} healthy targets (the node groups' minimum) for 5 minutes. See ${local.runbook}."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HealthyHostCount"
  dimensions          = local.target_group_dimensions
  statistic           = "Minimum"
  period              = 60
  comparison_operator = "LessThanThreshold"
  threshold           = local.nodes_min
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  depends_on = [aws_autoscaling_attachment.app]
}

# The node groups (one per zone) hold their maximum together: the Cluster Autoscaler, which
# keeps them level, can add no node, and pods that do not fit stay Pending. Targets healthy or
# not are nodes, so their sum is the node count. Thirty minutes, because a burst that the
# autoscaler absorbs at the maximum is no incident.
resource "aws_cloudwatch_metric_alarm" "node_capacity" {
  count = var.enable_alarms ? 1 : 0

  alarm_name          = "${local.cluster_name}-node-groups-at-maximum"
  alarm_description   = "The node groups have held their maximum of ${local.nodes_max} nodes for 30 minutes: the cluster autoscaler can add no node. See ${local.runbook}."
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = local.nodes_max
  evaluation_periods  = 6
  datapoints_to_alarm = 6
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "nodes"
    label       = "Nodes registered as targets"
    expression  = "FILL(healthy, 0) + FILL(unhealthy, 0)"
    return_data = true
  }

  metric_query {
    id = "healthy"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HealthyHostCount"
      dimensions  = local.target_group_dimensions
      stat        = "Maximum"
      period      = 300
    }
  }

  metric_query {
    id = "unhealthy"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "UnHealthyHostCount"
      dimensions  = local.target_group_dimensions
      stat        = "Maximum"
      period      = 300
    }
  }
}
