# ALB access logs: a bucket per environment (enable_alb_access_logs, on in prod) or an existing
# one (alb_access_logs_bucket). The load balancer writes a gzip file per load balancer node every
# five minutes under <bucket>/<cluster name>/AWSLogs/<account>/elasticloadbalancing/<region>/.

locals {
  alb_access_logs_enabled = var.enable_alb_access_logs || var.alb_access_logs_bucket != null
  create_alb_logs_bucket  = var.enable_alb_access_logs && var.alb_access_logs_bucket == null
  alb_access_logs_prefix  = local.cluster_name

  # Who writes the logs depends on the region. Regions available before August 2022 deliver
  # from a regional Elastic Load Balancing account, which the bucket policy must name; newer
  # regions deliver as the service principal logdelivery.elasticloadbalancing.amazonaws.com.
  # The accounts are the ones the ALB user guide lists ("Enable access logs for your
  # Application Load Balancer", step 2); a region missing here gets the service principal.
  elb_log_delivery_accounts = {
    "us-east-1"      = "127311923021"
    "us-east-2"      = "033677994240"
    "us-west-1"      = "027434742980"
    "us-west-2"      = "797873946194"
    "af-south-1"     = "098369216593"
    "ca-central-1"   = "985666609251"
    "eu-central-1"   = "054676820928"
    "eu-west-1"      = "156460612806"
    "eu-west-2"      = "652711504416"
    "eu-south-1"     = "635631232127"
    "eu-west-3"      = "009996457667"
    "eu-north-1"     = "897822967062"
    "ap-east-1"      = "754344448648"
    "ap-northeast-1" = "582318560864"
    "ap-northeast-2" = "600734575887"
    "ap-northeast-3" = "383597477331"
    "ap-southeast-1" = "114774131450"
    "ap-southeast-2" = "783225319266"
    "ap-south-1"     = "718504428378"
    "me-south-1"     = "076674570225"
    "sa-east-1"      = "507241528517"
    "us-gov-west-1"  = "048591011584"
    "us-gov-east-1"  = "190560391635"
  }
  elb_log_delivery_account = lookup(local.elb_log_delivery_accounts, var.region, null)
  elb_log_delivery_principal = {
    (local.elb_log_delivery_account == null ? "Service" : "AWS") = (
      local.elb_log_delivery_account == null
      ? "logdelivery.elasticloadbalancing.amazonaws.com"
      : "arn:${local.partition}:iam::${local.elb_log_delivery_account}:root"
    )
  }

  # The policy's bucket attribute, not the bucket's: the load balancer then waits for the
  # policy, and AWS checks that it may write (ELBAccessLogTestFile) when logging is turned on.
  alb_access_logs_bucket = var.alb_access_logs_bucket != null ? var.alb_access_logs_bucket : (
    local.create_alb_logs_bucket ? aws_s3_bucket_policy.alb_logs[0].bucket : null
  )
}

resource "aws_s3_bucket" "alb_logs" {
  #checkov:skip=CKV_AWS_18:This bucket holds access logs itself; logging its own access would need a second bucket for no reader
  #checkov:skip=CKV_AWS_21:Log files are written once and expire; versioning would only keep deleted logs longer
  #checkov:skip=CKV_AWS_144:Access logs are an operational record with a short retention, not data that needs a second region
  #checkov:skip=CKV_AWS_145:ALB access logs support SSE-S3 only; a bucket default of SSE-KMS makes the load balancer's writes fail
  #checkov:skip=CKV2_AWS_62:Nothing consumes object events from the log bucket
  count = local.create_alb_logs_bucket ? 1 : 0

  # hello-prod-alb-logs-<account>-<region>: at most 58 characters for a 16-character name.
  bucket = "${local.cluster_name}-alb-logs-${local.account_id}-${var.region}"
  # Expiring logs must not stop a destroy; copy them out first when an investigation needs them.
  force_destroy = true
}

resource "aws_s3_bucket_ownership_controls" "alb_logs" {
  count = local.create_alb_logs_bucket ? 1 : 0

  bucket = aws_s3_bucket.alb_logs[0].bucket

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "alb_logs" {
  count = local.create_alb_logs_bucket ? 1 : 0

  bucket                  = aws_s3_bucket.alb_logs[0].bucket
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# SSE-S3 is the only server-side encryption that ALB access logs support.
resource "aws_s3_bucket_server_side_encryption_configuration" "alb_logs" {
  count = local.create_alb_logs_bucket ? 1 : 0

  bucket = aws_s3_bucket.alb_logs[0].bucket

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "alb_logs" {
  count = local.create_alb_logs_bucket ? 1 : 0

  bucket = aws_s3_bucket.alb_logs[0].bucket

  rule {
    id     = "expire-access-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = var.alb_access_logs_retention_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_policy" "alb_logs" {
  count = local.create_alb_logs_bucket ? 1 : 0

  bucket = aws_s3_bucket.alb_logs[0].bucket

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "ElbLogDeliveryWritesThisLoadBalancersLogs"
        Effect    = "Allow"
        Principal = local.elb_log_delivery_principal
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.alb_logs[0].arn}/${local.alb_access_logs_prefix}/AWSLogs/${local.account_id}/*"
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
  })

  # S3 can answer OperationAborted to configuration changes of one bucket made at the same
  # time; the policy waits for the public access block.
  depends_on = [aws_s3_bucket_public_access_block.alb_logs]
}
