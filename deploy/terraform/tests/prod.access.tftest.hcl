# Cluster-admin access entries across applies by different identities: an engineer's laptop
# creates the cluster, CI applies later. Nobody's access may depend on who applied last.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  # CI's deploy role, pinned as an input.
  cluster_admin_principal_arns = ["arn:aws:iam::123456789012:role/hello-deploy"]
}

run "first_apply_from_a_laptop" {
  assert {
    condition = toset([for entry in aws_eks_access_entry.admin : entry.principal_arn]) == toset([
      "arn:aws:iam::123456789012:role/platform-admin",
      "arn:aws:iam::123456789012:role/hello-deploy",
    ])
    error_message = "The first apply must grant cluster-admin to the listed principals and to the identity that ran it."
  }

  assert {
    condition = alltrue([
      for key, association in aws_eks_access_policy_association.admin :
      association.principal_arn == aws_eks_access_entry.admin[key].principal_arn &&
      association.policy_arn == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy" &&
      association.access_scope[0].type == "cluster"
    ]) && length(aws_eks_access_policy_association.admin) == length(aws_eks_access_entry.admin)
    error_message = "Every admin access entry must carry the cluster-wide AmazonEKSClusterAdminPolicy."
  }
}

run "later_apply_from_ci" {
  override_data {
    target = data.aws_iam_session_context.current
    values = {
      issuer_arn = "arn:aws:iam::123456789012:role/hello-deploy"
    }
  }

  assert {
    condition = toset([for entry in aws_eks_access_entry.admin : entry.principal_arn]) == toset([
      "arn:aws:iam::123456789012:role/platform-admin",
      "arn:aws:iam::123456789012:role/hello-deploy",
    ])
    error_message = "An apply by CI must neither remove the laptop's access entry nor add one of its own beyond the pinned list."
  }

  assert {
    condition     = contains([for association in aws_eks_access_policy_association.admin : association.principal_arn], "arn:aws:iam::123456789012:role/platform-admin")
    error_message = "The first caller must keep its cluster-admin policy after CI applies."
  }
}
