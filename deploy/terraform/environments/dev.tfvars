# dev: the cheapest layout that still runs the full design in three zones (see docs/costs.md).
environment        = "dev"
region             = "eu-west-2"
availability_zones = ["eu-west-2a", "eu-west-2b", "eu-west-2c"]

# One NAT instance instead of NAT gateways: the largest saving, at the price of one egress path.
# Graviton (arm64) is the cheaper architecture for the NAT instance and the nodes alike.
single_nat_gateway = true
nat_mode           = "instance"
nat_instance_type  = "t4g.nano"

# One spot node; the cluster autoscaler adds more when pods do not fit.
node_architecture   = "arm64"
node_instance_types = ["t4g.small"]
node_capacity_type  = "SPOT"
node_min_size       = 1
node_desired_size   = 1
node_max_size       = 3

# Disposable: destroy works in one step.
alb_deletion_protection = false
log_retention_days      = 30
