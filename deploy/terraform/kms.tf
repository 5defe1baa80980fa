# One customer managed key for Kubernetes secrets, the log groups, the image repository and the
# alarm topic: each key costs a fixed monthly fee, and the services are separated by the key
# policy and by IAM, not by keys.
resource "aws_kms_key" "main" {
  description             = "${local.cluster_name}: EKS secrets, CloudWatch log groups, the alarm topic"
  enable_key_rotation     = true
  deletion_window_in_days = 30

  # Inline JSON: the root statement is the standard "let IAM decide" grant, CloudWatch Logs may
  # only use the key for this account's log groups, and this account's CloudWatch alarms may
  # use it to publish to the encrypted alarm topic (alarms.tf).
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid       = "AccountAdministersKeyThroughIam"
          Effect    = "Allow"
          Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
          Action    = "kms:*"
          Resource  = "*"
        },
        {
          Sid       = "CloudWatchLogsEncryptsThisAccountsLogGroups"
          Effect    = "Allow"
          Principal = { Service = "logs.${var.region}.amazonaws.com" }
          Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
          Resource  = "*"
          Condition = {
            ArnLike = {
              "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:*"
            }
          }
        },
      ],
      local.kms_alarm_topic_statements,
    )
  })
}

locals {
  # Publishing to an encrypted topic needs a data key: SNS asks KMS on behalf of the publisher.
  kms_alarm_topic_statements = var.enable_alarms ? [
    {
      Sid       = "CloudWatchAlarmsPublishToTheEncryptedAlarmTopic"
      Effect    = "Allow"
      Principal = { Service = "cloudwatch.amazonaws.com" }
      Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
      Resource  = "*"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    },
  ] : []
}

resource "aws_kms_alias" "main" {
  name          = "alias/${local.cluster_name}"
  target_key_id = aws_kms_key.main.key_id
}
