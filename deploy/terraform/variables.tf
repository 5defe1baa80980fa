variable "name" {
  description = "Project name; prefixes every resource name. The cluster is \"<name>-<environment>\"."
  type        = string
  default     = "hello"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.name))
    error_message = "name must be 2-16 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name: dev or prod (see environments/*.tfvars)."
  type        = string

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be \"dev\" or \"prod\"."
  }
}

variable "region" {
  description = "AWS region for every resource."
  type        = string
  default     = "eu-west-2"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must look like eu-west-2."
  }
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC, /16 to /20. Private subnets take three quarters of it (pod IPs come from them)."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 20, false)
    error_message = "vpc_cidr must be a valid IPv4 CIDR with a prefix length between 16 and 20."
  }
}

variable "availability_zones" {
  description = "Exactly three availability zone names; empty picks the region's first three available zones."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zones) == 0 || (length(var.availability_zones) == 3 && length(distinct(var.availability_zones)) == 3)
    error_message = "availability_zones must be empty or list three distinct zones."
  }
}

variable "single_nat_gateway" {
  description = "One NAT for the whole VPC instead of one per zone: cheaper, but egress from every zone depends on one zone."
  type        = bool
  default     = false
}

variable "nat_mode" {
  description = "\"gateway\" (managed NAT gateways) or \"instance\" (one small EC2 NAT instance, for cheap environments; needs single_nat_gateway = true)."
  type        = string
  default     = "gateway"

  validation {
    condition     = contains(["gateway", "instance"], var.nat_mode)
    error_message = "nat_mode must be \"gateway\" or \"instance\"."
  }

  validation {
    condition     = var.nat_mode == "gateway" || var.single_nat_gateway
    error_message = "nat_mode = \"instance\" provides a single NAT: set single_nat_gateway = true."
  }
}

variable "nat_instance_type" {
  description = "Instance type of the NAT instance (nat_mode = \"instance\"). A Graviton type (t4g.nano) gets the arm64 Amazon Linux image, any other the x86_64 one."
  type        = string
  default     = "t4g.nano"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.nat_instance_type))
    error_message = "nat_instance_type must be an EC2 instance type such as t4g.nano or t3.nano."
  }
}

variable "kubernetes_version" {
  description = "EKS Kubernetes minor version. Keep it in standard support: extended support costs six times as much per cluster hour."
  type        = string
  default     = "1.35"

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must look like 1.35."
  }
}

variable "node_architecture" {
  description = "CPU architecture of the nodes: \"arm64\" (Graviton, AL2023_ARM_64_STANDARD) or \"x86_64\" (AL2023_x86_64_STANDARD). Every image the cluster runs must have a build for it (hello-server's image index has both)."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.node_architecture)
    error_message = "node_architecture must be \"arm64\" or \"x86_64\"."
  }
}

variable "node_instance_types" {
  description = "Instance types of the managed node groups, all of node_architecture: Graviton types (t4g, m7g, m6g, c7g, ...) for arm64, others for x86_64. Several types help SPOT capacity."
  type        = list(string)
  default     = ["t4g.small"]

  validation {
    condition     = length(var.node_instance_types) > 0 && length(distinct(var.node_instance_types)) == length(var.node_instance_types) && alltrue([for t in var.node_instance_types : can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", t))])
    error_message = "node_instance_types must list at least one EC2 instance type, each once."
  }

  # A node group has one AMI type, so an instance type of the other architecture would not
  # boot. Graviton families carry a "g" after the generation digit (t4g, m7g, c6gn, r8gd);
  # a1 is the first Graviton. No x86_64 family in EC2 matches that pattern.
  validation {
    condition = alltrue([
      for t in var.node_instance_types :
      (can(regex("^([a-z]+[0-9]+g[a-z]*|a1)\\.", t)) ? "arm64" : "x86_64") == var.node_architecture
    ])
    error_message = "node_instance_types must all match node_architecture: Graviton types (t4g, m7g, m6g, c7g, a1, ...) for arm64, other types for x86_64."
  }
}

variable "node_capacity_type" {
  description = "ON_DEMAND or SPOT capacity for the node group."
  type        = string
  default     = "ON_DEMAND"

  validation {
    condition     = contains(["ON_DEMAND", "SPOT"], var.node_capacity_type)
    error_message = "node_capacity_type must be ON_DEMAND or SPOT."
  }
}

variable "node_min_size" {
  description = "Minimum node count, split over the per-zone node groups (the first zones get the remainder). Three or more keeps a node in every zone."
  type        = number
  default     = 3

  validation {
    condition     = var.node_min_size >= 1 && floor(var.node_min_size) == var.node_min_size
    error_message = "node_min_size must be a whole number of at least 1."
  }
}

variable "node_desired_size" {
  description = "Node count at creation, split over the zones like node_min_size; afterwards the cluster autoscaler owns it (Terraform ignores later drift)."
  type        = number
  default     = 3

  validation {
    condition     = var.node_desired_size >= var.node_min_size && var.node_desired_size <= var.node_max_size
    error_message = "node_desired_size must lie between node_min_size and node_max_size."
  }
}

variable "node_max_size" {
  description = "Maximum node count the cluster autoscaler may reach, split over the zones like node_min_size."
  type        = number
  default     = 6

  validation {
    condition     = var.node_max_size >= var.node_min_size && var.node_max_size <= 100
    error_message = "node_max_size must be at least node_min_size and at most 100."
  }

  validation {
    condition     = var.node_max_size >= 3
    error_message = "node_max_size must be at least 3: each zone's node group must be able to hold a node."
  }
}

variable "node_disk_size" {
  description = "Root volume size of each node in GiB (gp3, encrypted). The EKS AL2023 image needs 20."
  type        = number
  default     = 20

  validation {
    condition     = var.node_disk_size >= 20 && var.node_disk_size <= 1000
    error_message = "node_disk_size must be between 20 and 1000 GiB."
  }
}

variable "cluster_endpoint_public_access" {
  description = "Expose the Kubernetes API endpoint publicly, to cluster_endpoint_public_access_cidrs only (kubectl from outside the VPC). Off: private endpoint only. Set both in the environment's tfvars, where a review sees them; see README.md, \"Kubernetes API access\"."
  type        = bool
  default     = false
}

variable "cluster_endpoint_public_access_cidrs" {
  description = "Fixed public IPv4 ranges allowed to reach the public Kubernetes API endpoint (an office's or a self-hosted runner's egress), each at most a /16; never 0.0.0.0/0, never a private range. Only with cluster_endpoint_public_access = true."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.cluster_endpoint_public_access_cidrs : can(cidrnetmask(c)) && c == format("%s/%s", cidrhost(c, 0), split("/", c)[1])])
    error_message = "cluster_endpoint_public_access_cidrs must be IPv4 CIDRs written with their network address (203.0.113.0/24, not 203.0.113.7/24)."
  }

  # A broad range is as good as an open endpoint: shared or moving addresses (hosted CI
  # runners, a café) do not belong here at all.
  validation {
    condition     = alltrue([for c in var.cluster_endpoint_public_access_cidrs : try(tonumber(split("/", c)[1]) >= 16, false)])
    error_message = "cluster_endpoint_public_access_cidrs entries must be /16 or narrower: the API must not be opened to the whole internet or a large part of it (0.0.0.0/0 included)."
  }

  # The public endpoint only ever sees public source addresses; traffic from inside the VPC
  # (or a peered network) uses the private endpoint. A private range here is a mistake.
  validation {
    condition = alltrue([
      for c in var.cluster_endpoint_public_access_cidrs : try(
        !contains(["10", "127"], split(".", c)[0]) &&
        !(split(".", c)[0] == "172" && tonumber(split(".", c)[1]) >= 16 && tonumber(split(".", c)[1]) <= 31) &&
        !(split(".", c)[0] == "192" && split(".", c)[1] == "168") &&
        !(split(".", c)[0] == "169" && split(".", c)[1] == "254") &&
        !(split(".", c)[0] == "100" && tonumber(split(".", c)[1]) >= 64 && tonumber(split(".", c)[1]) <= 127),
        false,
      )
    ])
    error_message = "cluster_endpoint_public_access_cidrs must be public addresses: private (10/8, 172.16/12, 192.168/16), shared (100.64/10), loopback and link-local ranges reach the private endpoint, never the public one."
  }

  validation {
    condition     = !var.cluster_endpoint_public_access || length(var.cluster_endpoint_public_access_cidrs) > 0
    error_message = "cluster_endpoint_public_access = true needs at least one CIDR in cluster_endpoint_public_access_cidrs."
  }

  validation {
    condition     = var.cluster_endpoint_public_access || length(var.cluster_endpoint_public_access_cidrs) == 0
    error_message = "cluster_endpoint_public_access_cidrs is set but cluster_endpoint_public_access is false, so it would be ignored: set both, or neither."
  }
}

variable "cluster_admin_principal_arns" {
  description = "IAM role or user ARNs granted cluster-admin through EKS access entries, whoever applies: CI's deploy role and the operators."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.cluster_admin_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", a))])
    error_message = "cluster_admin_principal_arns must be IAM role or user ARNs."
  }
}

variable "grant_caller_cluster_admin" {
  description = "Grant cluster-admin to the identity running the first apply (resolved to its IAM role), so a first deploy can use kubectl. Later applies by other identities keep that entry as it is and add none; false removes it."
  type        = bool
  default     = true
}

variable "domain_name" {
  description = "Optional DNS name for the app (e.g. hello.example.com). Needs route53_zone_id (a certificate and an alias record are created) or certificate_arn (DNS is then yours to point at the ALB)."
  type        = string
  default     = null

  validation {
    condition     = var.domain_name == null || can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.domain_name))
    error_message = "domain_name must be a lowercase DNS name."
  }
}

variable "route53_zone_id" {
  description = "Optional Route 53 public hosted zone ID holding domain_name; enables DNS validation of the certificate."
  type        = string
  default     = null

  validation {
    condition     = var.route53_zone_id == null || var.domain_name != null
    error_message = "route53_zone_id needs domain_name."
  }
}

variable "certificate_arn" {
  description = "Optional existing ACM certificate ARN for the HTTPS listener (instead of creating one)."
  type        = string
  default     = null

  validation {
    condition     = var.certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN."
  }

  # A domain without a zone to validate a new certificate in needs this one: otherwise the
  # HTTPS listener gets no certificate, which AWS rejects only at apply time. (On this variable
  # because domain_name's and route53_zone_id's validations already refer to each other.)
  validation {
    condition     = var.certificate_arn != null || var.domain_name == null || var.route53_zone_id != null
    error_message = "domain_name needs route53_zone_id (to create and validate a certificate) or certificate_arn (an existing certificate for it)."
  }
}

variable "alb_ingress_cidrs" {
  description = "CIDRs allowed to reach the load balancer on 80/443."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.alb_ingress_cidrs) > 0 && alltrue([for c in var.alb_ingress_cidrs : can(cidrhost(c, 0))])
    error_message = "alb_ingress_cidrs must be a non-empty list of valid CIDRs."
  }
}

variable "alb_deletion_protection" {
  description = "Deletion protection on the load balancer. Turn it off (apply) before destroying."
  type        = bool
  default     = true
}

variable "enable_alb_access_logs" {
  description = "Write ALB access logs to an S3 bucket this module creates (SSE-S3, public access blocked, TLS only, expired after alb_access_logs_retention_days). Ignored when alb_access_logs_bucket names an existing bucket."
  type        = bool
  default     = false
}

variable "alb_access_logs_bucket" {
  description = "Optional existing S3 bucket for ALB access logs instead of the one enable_alb_access_logs creates; it must be in the region, encrypted with SSE-S3 and carry the ELB log-delivery policy."
  type        = string
  default     = null

  validation {
    condition     = var.alb_access_logs_bucket == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.alb_access_logs_bucket))
    error_message = "alb_access_logs_bucket must be an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)."
  }
}

variable "alb_access_logs_retention_days" {
  description = "Days after which the created access-log bucket deletes a log file."
  type        = number
  default     = 90

  validation {
    condition     = var.alb_access_logs_retention_days >= 1 && var.alb_access_logs_retention_days <= 3650 && floor(var.alb_access_logs_retention_days) == var.alb_access_logs_retention_days
    error_message = "alb_access_logs_retention_days must be a whole number of days between 1 and 3650."
  }
}

variable "enable_alarms" {
  description = "Create the CloudWatch alarms on the load balancer and the node groups and the encrypted SNS topic they notify (see docs/operations.md, \"CloudWatch alarms\")."
  type        = bool
  default     = true
}

variable "alarm_email_addresses" {
  description = "Email addresses subscribed to the alarm topic. Each receives a confirmation message first; no notification arrives before the link in it is followed."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.alarm_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", a))]) && length(distinct(var.alarm_email_addresses)) == length(var.alarm_email_addresses)
    error_message = "alarm_email_addresses must be distinct email addresses."
  }
}

variable "alarm_https_endpoints" {
  description = "HTTPS URLs subscribed to the alarm topic (a paging service's SNS integration, a chat webhook bridge). The endpoint must confirm the subscription SNS sends it."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for u in var.alarm_https_endpoints : can(regex("^https://[^\\s/]+(/[^\\s]*)?$", u))]) && length(distinct(var.alarm_https_endpoints)) == length(var.alarm_https_endpoints)
    error_message = "alarm_https_endpoints must be distinct https:// URLs (plain http is refused: alarms leave AWS only encrypted)."
  }
}

variable "alarm_5xx_percent" {
  description = "Share of requests, in percent, answered with a 5xx by the targets (or by the load balancer itself) that raises the 5xx alarms when it holds for 5 minutes."
  type        = number
  default     = 5

  validation {
    condition     = var.alarm_5xx_percent > 0 && var.alarm_5xx_percent <= 100
    error_message = "alarm_5xx_percent must be greater than 0 and at most 100."
  }
}

variable "alarm_min_requests_per_minute" {
  description = "Requests a minute below which the 5xx ratios count as 0: one failed request out of two is no outage, and an idle environment never alarms."
  type        = number
  default     = 10

  validation {
    condition     = var.alarm_min_requests_per_minute >= 1 && floor(var.alarm_min_requests_per_minute) == var.alarm_min_requests_per_minute
    error_message = "alarm_min_requests_per_minute must be a whole number of at least 1."
  }
}

variable "alarm_p99_latency_seconds" {
  description = "The ALB's TargetResponseTime p99, in seconds, that raises the latency alarm when it holds for 10 minutes (the same 0.25 s as the HelloHighLatencyP99 rule by default)."
  type        = number
  default     = 0.25

  validation {
    condition     = var.alarm_p99_latency_seconds > 0 && var.alarm_p99_latency_seconds <= 60
    error_message = "alarm_p99_latency_seconds must be greater than 0 and at most 60 (the load balancer's idle timeout)."
  }
}

variable "enable_waf" {
  description = "Attach a WAFv2 web ACL with the AWS managed common and known-bad-inputs rule sets to the ALB."
  type        = bool
  default     = false
}

variable "enable_ebs_csi_driver" {
  description = "Install the Amazon EBS CSI driver add-on (its role through EKS Pod Identity), so PersistentVolumeClaims get EBS volumes: needed by the StatefulSet component deploy/k8s/components/stateful."
  type        = bool
  default     = false
}

variable "addon_versions" {
  description = "Pinned EKS add-on versions by add-on name, e.g. { coredns = \"v1.12.1-eksbuild.2\" }. Unpinned add-ons get the version EKS recommends for kubernetes_version, which AWS moves within a minor version too; output eks_addon_versions shows what is installed."
  type        = map(string)
  default     = {}

  validation {
    condition = alltrue([
      for name, version in var.addon_versions :
      contains(["vpc-cni", "kube-proxy", "eks-pod-identity-agent", "coredns", "metrics-server", "amazon-cloudwatch-observability", "aws-ebs-csi-driver"], name) &&
      can(regex("^v[0-9]+\\.[0-9]+\\.[0-9]+-eksbuild\\.[0-9]+$", version))
    ])
    error_message = "addon_versions maps add-ons this module installs (vpc-cni, kube-proxy, eks-pod-identity-agent, coredns, metrics-server, amazon-cloudwatch-observability, aws-ebs-csi-driver) to versions like v1.12.1-eksbuild.2."
  }
}

variable "enable_container_insights" {
  description = "Install the amazon-cloudwatch-observability add-on (Container Insights); adds CloudWatch cost."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Retention of the EKS control-plane and VPC flow log groups."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 365, ...)."
  }
}

variable "image_repository_name" {
  description = "Name of the shared image repository that registry/ creates; null means \"<name>/hello-server\"."
  type        = string
  default     = null

  validation {
    condition     = var.image_repository_name == null || can(regex("^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$", var.image_repository_name))
    error_message = "image_repository_name must be an ECR repository name (lowercase letters, digits, and . _ - / between them)."
  }
}

variable "image_registry_account_id" {
  description = "Account that holds the shared image repository, when it is not this environment's account (its registry/ stack then lists this account in pull_account_ids); null means this account."
  type        = string
  default     = null

  validation {
    condition     = var.image_registry_account_id == null || can(regex("^[0-9]{12}$", var.image_registry_account_id))
    error_message = "image_registry_account_id must be a 12-digit AWS account ID."
  }
}

variable "github_repository" {
  description = "Optional \"owner/repo\": creates an IAM role that this repository's workflows on main (and its environment named like var.environment) can assume through GitHub OIDC to push images and describe the cluster."
  type        = string
  default     = null

  validation {
    condition     = var.github_repository == null || can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must look like owner/repo."
  }
}

variable "github_oidc_provider_arn" {
  description = "ARN of an existing GitHub OIDC provider in the account (only one can exist); null creates it."
  type        = string
  default     = null
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
