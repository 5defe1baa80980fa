# prod: every high-availability property (three zones, a NAT gateway per zone, at least one
# node per zone) at the lowest fixed cost that keeps them (see docs/costs.md).
environment        = "prod"
region             = "eu-west-2"
availability_zones = ["eu-west-2a", "eu-west-2b", "eu-west-2c"]

single_nat_gateway = false
nat_mode           = "gateway"

# The service needs a few millicores per thousand requests per second: small on-demand nodes,
# one per zone, up to two per zone under load. Graviton (t4g) costs less than t3 for the same
# 2 vCPUs and 2 GiB.
node_architecture   = "arm64"
node_instance_types = ["t4g.small"]
node_capacity_type  = "ON_DEMAND"
node_min_size       = 3
node_desired_size   = 3
node_max_size       = 6

alb_deletion_protection = true
log_retention_days      = 365

# Observability where the service runs: CloudWatch alarms (on by default, see alarms.tf),
# ALB access logs and Container Insights (see docs/costs.md for what they add).
enable_alb_access_logs    = true
enable_container_insights = true
