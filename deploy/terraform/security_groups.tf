# Every rule is its own resource with a description: rules can change one at a time without
# the whole group being rewritten, and a review sees exactly which flow each one allows.

locals {
  alb_listener_ports = local.https_enabled ? [80, 443] : [80]

  alb_ingress = {
    for pair in setproduct(local.alb_listener_ports, var.alb_ingress_cidrs) : "${pair[0]}-${pair[1]}" => {
      port = pair[0]
      cidr = pair[1]
    }
  }
}

resource "aws_security_group" "alb" {
  name_prefix = "${local.cluster_name}-alb-"
  description = "Internet-facing load balancer of ${local.cluster_name}"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${local.cluster_name}-alb" }

  lifecycle {
    create_before_destroy = true
  }
}

# The public entry point of the service: HTTP(S) from the allowed CIDRs, the internet by default.
#trivy:ignore:AVD-AWS-0107
resource "aws_vpc_security_group_ingress_rule" "alb_listener" {
  #checkov:skip=CKV_AWS_260:The internet-facing load balancer serves the public on port 80 (redirected to 443 once a certificate is configured)
  for_each = local.alb_ingress

  security_group_id = aws_security_group.alb.id
  description       = "Clients to the listener on ${each.value.port}"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.cidr
}

resource "aws_vpc_security_group_egress_rule" "alb_to_nodes" {
  security_group_id            = aws_security_group.alb.id
  description                  = "Load balancer to the app's node port (traffic and health checks)"
  ip_protocol                  = "tcp"
  from_port                    = 30080
  to_port                      = 30080
  referenced_security_group_id = aws_security_group.nodes.id
}

# Attached to the nodes next to the EKS cluster security group, which carries node-to-node,
# node-to-control-plane and outbound traffic. This group only opens the node port, and only
# to the load balancer.
resource "aws_security_group" "nodes" {
  name_prefix = "${local.cluster_name}-nodes-"
  description = "Worker nodes of ${local.cluster_name}: app node port from the load balancer only"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${local.cluster_name}-nodes" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "nodes_from_alb" {
  security_group_id            = aws_security_group.nodes.id
  description                  = "App node port 30080 from the load balancer only"
  ip_protocol                  = "tcp"
  from_port                    = 30080
  to_port                      = 30080
  referenced_security_group_id = aws_security_group.alb.id
}
