output "bucket_name" {
  description = "State bucket; pass it as -backend-config=bucket=... to the main stack."
  value       = aws_s3_bucket.state.id
}

output "region" {
  description = "Region of the state bucket; pass it as -backend-config=region=...."
  value       = var.region
}

output "backend_config_example" {
  description = "terraform init flags for the main stack (dev shown; use the environment's name in the key)."
  value       = "-backend-config=bucket=${aws_s3_bucket.state.id} -backend-config=key=hello/dev/terraform.tfstate -backend-config=region=${var.region}"
}
