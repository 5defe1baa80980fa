# nat_mode = "instance": one small NAT instance instead of managed NAT gateways. A NAT gateway
# costs more per month than the whole node group of a dev cluster; this keeps dev under its
# budget. A Graviton type (t4g.nano, the default) is the cheapest; its image is the arm64 one. It is a single point of failure by design (single_nat_gateway = true is required),
# so production uses the gateways.

data "aws_ssm_parameter" "nat_ami" {
  count = var.nat_mode == "instance" ? 1 : 0

  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${local.nat_architecture}"
}

resource "aws_security_group" "nat" {
  count = var.nat_mode == "instance" ? 1 : 0

  name_prefix = "${local.cluster_name}-nat-"
  description = "NAT instance: forwards traffic from inside the VPC to the internet"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${local.cluster_name}-nat" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "nat_from_vpc" {
  count = var.nat_mode == "instance" ? 1 : 0

  security_group_id = aws_security_group.nat[0].id
  description       = "Everything the private subnets send out"
  ip_protocol       = "-1"
  cidr_ipv4         = var.vpc_cidr
}

# A NAT exists to reach any address on the internet.
#trivy:ignore:AVD-AWS-0104
resource "aws_vpc_security_group_egress_rule" "nat_to_internet" {
  #checkov:skip=CKV_AWS_382:A NAT forwards the private subnets' traffic to any internet address by design
  count = var.nat_mode == "instance" ? 1 : 0

  security_group_id = aws_security_group.nat[0].id
  description       = "Forwarded traffic to the internet"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_iam_role" "nat" {
  count = var.nat_mode == "instance" ? 1 : 0

  name_prefix = "${local.cluster_name}-nat-"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

# Session Manager instead of SSH: no key pair, no port 22.
resource "aws_iam_role_policy_attachment" "nat_ssm" {
  count = var.nat_mode == "instance" ? 1 : 0

  role       = aws_iam_role.nat[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "nat" {
  count = var.nat_mode == "instance" ? 1 : 0

  name_prefix = "${local.cluster_name}-nat-"
  role        = aws_iam_role.nat[0].name
}

# Its public address is its purpose.
#trivy:ignore:AVD-AWS-0009
resource "aws_instance" "nat" {
  #checkov:skip=CKV_AWS_88:A NAT instance needs a public address to reach the internet
  #checkov:skip=CKV_AWS_126:Detailed monitoring costs more than this instance; basic metrics suffice for dev
  count = var.nat_mode == "instance" ? 1 : 0

  ami                         = data.aws_ssm_parameter.nat_ami[0].insecure_value
  instance_type               = var.nat_instance_type
  subnet_id                   = aws_subnet.public[local.first_az].id
  vpc_security_group_ids      = [aws_security_group.nat[0].id]
  associate_public_ip_address = true
  source_dest_check           = false
  iam_instance_profile        = aws_iam_instance_profile.nat[0].name
  ebs_optimized               = true
  monitoring                  = false
  user_data_replace_on_change = true

  # Masquerades the VPC's traffic out of the primary interface; the rules are saved so they
  # survive reboots.
  user_data = <<-SCRIPT
    #!/bin/bash
    set -euo pipefail
    dnf install -y iptables-services
    echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-nat.conf
    sysctl --system
    iface="$(ip route show default | awk '{print $5; exit}')"
    iptables -t nat -A POSTROUTING -o "$iface" -s ${var.vpc_cidr} -j MASQUERADE
    iptables-save > /etc/sysconfig/iptables
    systemctl enable --now iptables
  SCRIPT

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    encrypted   = true
    volume_type = "gp3"
  }

  credit_specification {
    cpu_credits = "standard"
  }

  tags = { Name = "${local.cluster_name}-nat" }

  lifecycle {
    # A new Amazon Linux image every few weeks must not replace the NAT (an egress outage) on
    # an unrelated apply; replace it deliberately (README.md, "NAT instance").
    ignore_changes = [ami]
  }
}
