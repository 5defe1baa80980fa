#!/usr/bin/env bats
# kubectl is supported within one minor version of the EKS API server: the
# minimum deploy requires, the pinned kubectl and the docs follow the
# Terraform default kubernetes_version, and the check fails when the cluster
# moves on without them (fixture terraform/next-minor.tf).

load helpers/common

# The cluster's minor version: the default of kubernetes_version in a Terraform file.
terraform_kubernetes_minor() {
  awk '/^variable "kubernetes_version" \{/ { inside = 1; next }
    inside && /^\}/ { exit }
    inside && $1 == "default" { gsub(/"/, "", $3); print $3; exit }' "$1"
}

# Prints one line per place where kubectl's versions disagree with the cluster version in
# VARIABLES: the minimum is one below the cluster's and the pinned one at most one away;
# the docs name the cluster.
kubectl_version_problems() {
  local variables=$1 cluster minor min pinned
  cluster="$(terraform_kubernetes_minor "${variables}")"
  if [[ ! ${cluster} =~ ^1\.([0-9]+)$ ]]; then
    echo "${variables}: kubernetes_version has no default of the form 1.N (found '${cluster}')"
    return
  fi
  minor=${BASH_REMATCH[1]}
  min="$(sed -nE 's/^readonly MIN_KUBECTL=(.*)$/\1/p' "${ROOT}/deploy/scripts/lib/common.sh")"
  if [[ ! ${min} =~ ^1\.([0-9]+)\.0$ ]] || ((BASH_REMATCH[1] != minor - 1)); then
    echo "lib/common.sh: MIN_KUBECTL=${min}, want 1.$((minor - 1)).0 (one minor below the cluster's ${cluster})"
  fi
  pinned="$(grep -E '^  "kubectl\|' "${ROOT}/deploy/scripts/install-pinned-tools" | cut -d'|' -f2)"
  if [[ ! ${pinned} =~ ^1\.([0-9]+)\.[0-9]+$ ]] || ((BASH_REMATCH[1] < minor - 1 || BASH_REMATCH[1] > minor + 1)); then
    echo "install-pinned-tools: kubectl ${pinned} is not within one minor version of the cluster's ${cluster}"
  fi
  grep -qF "| kubectl | >= 1.$((minor - 1)) | within one minor version of the cluster (EKS ${cluster}) |" \
    "${ROOT}/deploy/scripts/README.md" || echo "README.md: the kubectl row does not say >= 1.$((minor - 1)) and EKS ${cluster}"
  grep -qF "cluster, EKS ${cluster})" "${ROOT}/deploy/scripts/deploy" ||
    echo "deploy/scripts/deploy: --help does not name EKS ${cluster}"
  return 0
}

@test "kubectl minimum, pin and docs follow the Terraform default kubernetes_version" {
  run kubectl_version_problems "${ROOT}/deploy/terraform/variables.tf"
  assert_success
  assert_output ''
}

@test "the kubectl version check fails when the cluster moves on (fixture next-minor.tf)" {
  run kubectl_version_problems "${FIXTURES}/terraform/next-minor.tf"
  assert_line --partial 'MIN_KUBECTL=1.34.0, want 1.35.0'
  assert_line --partial 'README.md: the kubectl row'
  assert_line --partial 'deploy/scripts/deploy: --help does not name EKS 1.36'
  run kubectl_version_problems "${FIXTURES}/terraform/missing.tf"
  assert_output --partial 'has no default of the form 1.N'
}
