# The state bucket: the one thing here that cannot be recreated. Planned, not applied: the
# bucket's prevent_destroy would (rightly) stop the test's clean-up from destroying it. The
# mocked bucket's name and ARN are known at plan time so that references can be compared.

mock_provider "aws" {
  override_during = plan

  mock_resource "aws_s3_bucket" {
    defaults = {
      id  = "hello-tfstate-123456789012-eu-west-2"
      arn = "arn:aws:s3:::hello-tfstate-123456789012-eu-west-2"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
      arn        = "arn:aws:sts::123456789012:assumed-role/platform-admin/laptop-session"
      user_id    = "AROAEXAMPLEPLATFORMADMIN:laptop-session"
    }
  }
}

run "state_bucket" {
  command = plan

  assert {
    condition     = aws_s3_bucket.state.bucket == "hello-tfstate-123456789012-eu-west-2" && aws_s3_bucket.state.force_destroy == false
    error_message = "The bucket must be hello-tfstate-<account>-<region> and never be destroyed with its contents."
  }

  assert {
    condition     = aws_s3_bucket_versioning.state.bucket == aws_s3_bucket.state.id && aws_s3_bucket_versioning.state.versioning_configuration[0].status == "Enabled"
    error_message = "Every state revision must be kept (versioning)."
  }

  assert {
    condition = (
      one(aws_s3_bucket_server_side_encryption_configuration.state.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms" &&
      one(aws_s3_bucket_server_side_encryption_configuration.state.rule).bucket_key_enabled == true
    )
    error_message = "State must be encrypted with KMS (bucket key on)."
  }

  assert {
    condition = (
      aws_s3_bucket_public_access_block.state.block_public_acls &&
      aws_s3_bucket_public_access_block.state.block_public_policy &&
      aws_s3_bucket_public_access_block.state.ignore_public_acls &&
      aws_s3_bucket_public_access_block.state.restrict_public_buckets &&
      one(aws_s3_bucket_ownership_controls.state.rule).object_ownership == "BucketOwnerEnforced"
    )
    error_message = "All public access must be blocked and ACLs disabled."
  }

  assert {
    condition = jsondecode(aws_s3_bucket_policy.state.policy).Statement == [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
    error_message = "The bucket policy must deny every request not made over TLS."
  }

  assert {
    condition = (
      one(aws_s3_bucket_lifecycle_configuration.state.rule).noncurrent_version_expiration[0].noncurrent_days == 90 &&
      one(aws_s3_bucket_lifecycle_configuration.state.rule).abort_incomplete_multipart_upload[0].days_after_initiation == 7
    )
    error_message = "Old state revisions expire after 90 days; incomplete uploads after 7."
  }

  assert {
    condition     = output.bucket_name == aws_s3_bucket.state.id && output.region == "eu-west-2"
    error_message = "The outputs must name the bucket and its region for -backend-config."
  }
}

run "bad_inputs" {
  command = plan

  variables {
    region      = "London"
    bucket_name = "Hello_State"
  }

  expect_failures = [var.region, var.bucket_name]
}
