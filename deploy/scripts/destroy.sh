#!/usr/bin/env bash
# Tears a deployment down in the safe order: the Kubernetes objects first (so the
# Cluster Autoscaler stops resizing nodes and controllers release what they
# created), then the ECR images and `terraform destroy`. --purge-state also
# deletes the environment's Terraform state, and the state bucket once no other
# environment uses it, after a typed confirmation.
set -euo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat <<EOF
Usage: deploy/scripts/destroy.sh --env ENV [--region REGION] [--yes] [--purge-state] [--skip-kubernetes]

Deletes everything deploy.sh created for ENV.

Options:
  --env ENV          environment: a file deploy/terraform/environments/ENV.tfvars (dev, prod)
  --region REGION    AWS region (default: the tfvars' region, else eu-west-2)
  --yes              do not ask for the environment name before destroying
  --purge-state      also delete ENV's Terraform state (every version) and the state bucket when no
                     other environment's state is left in it; always asks to type the bucket name
  --skip-kubernetes  do not delete the Kubernetes objects first (when the cluster is unreachable)
  -h, --help         show this help

Steps: 1 preflight, 2 state (init against the state bucket), 3 kubernetes (kubectl delete -k of the
rendered app and Cluster Autoscaler, waiting for deletion), 4 infrastructure (empty the ECR
repository, terraform destroy), 5 purge-state (only with --purge-state).

Requirements: terraform >= ${MIN_TERRAFORM%.0}, kubectl >= ${MIN_KUBECTL%.0}, AWS CLI v2 and AWS credentials.
Environment (optional): HELLO_DELETE_TIMEOUT (seconds to wait for the Kubernetes deletion, 600).
Exit codes: 0 destroyed (or nothing to destroy); 1 a step failed (run the same command again);
2 bad usage, a missing prerequisite or no confirmation (nothing was changed); 130 interrupted.
EOF
}

ENVIRONMENT=""
REGION_FLAG=""
ASSUME_YES=0
PURGE_STATE=0
SKIP_KUBERNETES=0

parse_args() {
  while (($# > 0)); do
    case "$1" in
      --env | --region)
        if (($# < 2)) || [[ -z $2 || $2 == --* ]]; then
          hello::die_prereq "$1 needs a value (see --help)"
        fi
        if [[ $1 == --env ]]; then ENVIRONMENT=$2; else REGION_FLAG=$2; fi
        shift 2
        ;;
      --env=* | --region=*)
        local name=${1%%=*} value=${1#*=}
        set -- "${name}" "${value}" "${@:2}"
        ;;
      --yes | -y) ASSUME_YES=1 && shift ;;
      --purge-state) PURGE_STATE=1 && shift ;;
      --skip-kubernetes) SKIP_KUBERNETES=1 && shift ;;
      -h | --help) usage && exit 0 ;;
      *) hello::die_prereq "unknown argument '$1' (see --help)" ;;
    esac
  done
  [[ -n ${ENVIRONMENT} ]] || hello::die_prereq "--env is required (dev or prod; see --help)"
}

ACCOUNT=""
REGION=""
BUCKET=""
STATE_KEY=""
WORK_DIR=""
TF_VAR_ARGS=()
DEPLOYED=0
declare -A OUT=()

# --- 1 preflight ----------------------------------------------------------------

step_preflight() {
  hello::validate_env "${ENVIRONMENT}"
  REGION="$(hello::resolve_region "${ENVIRONMENT}" "${REGION_FLAG}")"
  hello::validate_region "${REGION}"
  hello::require_positive_int_env HELLO_DELETE_TIMEOUT
  if ((SKIP_KUBERNETES)); then
    hello::require_tools aws terraform
    hello::probe_prerequisites "${REGION}" aws terraform
    hello::require_versions aws terraform
  else
    [[ -x ${PREPARE_OVERLAY} ]] || hello::die_prereq "${PREPARE_OVERLAY#"${ROOT}/"} is missing or not executable"
    hello::require_tools aws terraform kubectl
    hello::probe_prerequisites "${REGION}" aws terraform kubectl
    hello::require_versions aws terraform kubectl
  fi
  ACCOUNT="$(hello::require_aws_identity)"
  BUCKET="$(hello::state_bucket_name "${ACCOUNT}" "${REGION}")"
  STATE_KEY="$(hello::state_key "${ENVIRONMENT}")"
  WORK_DIR="$(hello::work_dir_for "${ACCOUNT}" "${REGION}" "${ENVIRONMENT}")"
  mkdir -p "${WORK_DIR}"
  export TF_DATA_DIR="${WORK_DIR}/terraform"
  export TF_IN_AUTOMATION=1 TF_INPUT=0
  TF_VAR_ARGS=(-var-file="environments/${ENVIRONMENT}.tfvars" -var="region=${REGION}")
  hello::info "  account ${ACCOUNT}, region ${REGION}, environment ${ENVIRONMENT}"

  # Both questions come before any change, so a wrong answer leaves everything as it was.
  if ((!ASSUME_YES)); then
    hello::require_typed_answer "This destroys ${PROJECT}-${ENVIRONMENT} (cluster, load balancer, network, images) in account ${ACCOUNT}, ${REGION}." \
      "${ENVIRONMENT}"
  fi
  if ((PURGE_STATE)); then
    hello::require_typed_answer "--purge-state also deletes s3://${BUCKET}/${STATE_KEY} (every version) and the bucket if it is then empty." \
      "${BUCKET}"
  fi
}

# --- 2 state ----------------------------------------------------------------

# No state bucket means nothing was ever deployed here (DEPLOYED=0).
step_state() {
  if [[ "$(hello::state_bucket_status "${BUCKET}" "${ACCOUNT}" "${REGION}")" == missing ]]; then
    hello::info "  s3://${BUCKET} does not exist: nothing was deployed to ${ACCOUNT} in ${REGION}"
    DEPLOYED=0
    return
  fi
  DEPLOYED=1
  hello::terraform_init_backend "${BUCKET}" "${STATE_KEY}" "${REGION}"
  local name value
  for name in cluster_name ecr_repository_url vpc_cidr; do
    # An empty or partial state has no outputs: those parts are skipped.
    if value="$(terraform -chdir="${TF_DIR}" output -raw "${name}" 2>/dev/null)" && [[ -n ${value} ]]; then
      OUT[${name}]=${value}
    fi
  done
  hello::info "  cluster: ${OUT[cluster_name]:-none in the state}; repository: ${OUT[ecr_repository_url]:-none in the state}"
}

# --- 3 kubernetes ----------------------------------------------------------------

step_kubernetes() {
  local cluster=${OUT[cluster_name]:-}
  if ((SKIP_KUBERNETES)); then
    hello::warn "--skip-kubernetes: Kubernetes objects are left to die with the cluster"
    return
  fi
  if [[ -z ${cluster} ]]; then
    hello::info "  no cluster in the state: nothing to delete"
    return
  fi
  local cluster_status
  cluster_status="$(aws eks describe-cluster --region "${REGION}" --name "${cluster}" --query cluster.status \
    --output text 2>&1)" || {
    if grep -q ResourceNotFoundException <<<"${cluster_status}"; then
      hello::info "  cluster ${cluster} does not exist: nothing to delete"
      return
    fi
    printf '%s\n' "${cluster_status}" >"${COMMAND_OUTPUT}"
    LAST_COMMAND="aws eks describe-cluster --name ${cluster}" LAST_COMMAND_STATUS=1
    hello::fail "cannot read the state of cluster ${cluster}"
  }
  [[ ${cluster_status} == ACTIVE ]] ||
    hello::fail "cluster ${cluster} is ${cluster_status}; wait until it is ACTIVE, or pass --skip-kubernetes"
  hello::run aws eks update-kubeconfig --region "${REGION}" --name "${cluster}" --alias "${cluster}"
  if ! hello::run kubectl --context "${cluster}" version --request-timeout=20s; then
    hello::fail "the Kubernetes API of ${cluster} is not reachable from here (a private endpoint?): run from where deploy.sh ran, or pass --skip-kubernetes"
  fi
  # Deletion matches objects by kind and name, so any well-formed digest renders
  # the same set; the one the aws overlay commits as a placeholder is used.
  local manifests="${TEMP_DIR}/manifests"
  mkdir -p "${manifests}"
  hello::run "${PREPARE_OVERLAY}" --image "${OUT[ecr_repository_url]:-${PROJECT}-server}@sha256:$(printf '0%.0s' {1..64})" \
    --vpc-cidr "${OUT[vpc_cidr]:-10.0.0.0/16}" --cluster-name "${cluster}" --region "${REGION}" --dir "${manifests}"
  hello::run kubectl --context "${cluster}" delete -k "${manifests}" --ignore-not-found=true --wait=true \
    --timeout="${HELLO_DELETE_TIMEOUT:-600}s"
}

# --- 4 infrastructure ----------------------------------------------------------------

# Terraform cannot delete a repository that still holds images.
empty_ecr_repository() {
  local repository=${OUT[ecr_repository_url]#*/} digests status=0
  digests="$(aws ecr list-images --region "${REGION}" --repository-name "${repository}" \
    --query 'imageIds[].imageDigest' --output text 2>&1)" || status=$?
  if ((status != 0)); then
    if grep -q RepositoryNotFoundException <<<"${digests}"; then
      return
    fi
    printf '%s\n' "${digests}" >"${COMMAND_OUTPUT}"
    LAST_COMMAND="aws ecr list-images --repository-name ${repository}" LAST_COMMAND_STATUS=${status}
    hello::fail "cannot list the images of ${repository}"
  fi
  local -a ids=()
  local digest
  for digest in $(tr '\t' '\n' <<<"${digests}" | sort -u); do
    [[ ${digest} =~ ^sha256:[0-9a-f]{64}$ ]] && ids+=("imageDigest=${digest}")
  done
  local i
  for ((i = 0; i < ${#ids[@]}; i += 100)); do
    hello::run aws ecr batch-delete-image --region "${REGION}" --repository-name "${repository}" \
      --image-ids "${ids[@]:i:100}" --output text
  done
  hello::info "  deleted ${#ids[@]} image(s) from ${repository}"
}

step_infrastructure() {
  if [[ -n ${OUT[ecr_repository_url]:-} ]]; then
    empty_ecr_repository
  fi
  # A load balancer with deletion protection (prod) cannot be destroyed: turn it off
  # first, touching nothing else. Only when it exists: -target would create it.
  local alb
  alb="$(hello::capture terraform -chdir="${TF_DIR}" state list aws_lb.this)" || hello::fail "cannot read the Terraform state"
  if [[ -n ${alb} ]]; then
    hello::run terraform -chdir="${TF_DIR}" apply -input=false -auto-approve -lock-timeout=5m -target=aws_lb.this \
      "${TF_VAR_ARGS[@]}" -var=alb_deletion_protection=false
  fi
  hello::run terraform -chdir="${TF_DIR}" destroy -input=false -auto-approve -lock-timeout=5m "${TF_VAR_ARGS[@]}"
}

# --- 5 purge-state ----------------------------------------------------------------

# Prints "key<TAB>version-id" for every version and delete marker under a prefix.
list_state_versions() {
  local field
  for field in Versions DeleteMarkers; do
    hello::capture aws s3api list-object-versions --region "${REGION}" --bucket "${BUCKET}" --prefix "$1" \
      --query "${field}[].[Key,VersionId]" --output text
    echo
  done | sed '/^None$/d; /^[[:space:]]*$/d'
}

delete_versions() {
  local -a lines=("$@")
  local json='{"Objects":[' line key version i=0
  for line in "${lines[@]}"; do
    key=${line%%$'\t'*} version=${line#*$'\t'}
    [[ ${key} =~ ^[A-Za-z0-9._/-]+$ && ${version} =~ ^[A-Za-z0-9._-]+$ ]] ||
      hello::fail "unexpected object version '${line}' in s3://${BUCKET}"
    ((i++ > 0)) && json+=','
    json+="{\"Key\":\"${key}\",\"VersionId\":\"${version}\"}"
  done
  json+='],"Quiet":true}'
  hello::run aws s3api delete-objects --region "${REGION}" --bucket "${BUCKET}" --delete "${json}"
}

step_purge_state() {
  local prefix="${PROJECT}/${ENVIRONMENT}/" listing
  local -a versions=()
  listing="$(list_state_versions "${prefix}")"
  [[ -n ${listing} ]] && mapfile -t versions <<<"${listing}"
  local i
  for ((i = 0; i < ${#versions[@]}; i += 1000)); do
    delete_versions "${versions[@]:i:1000}"
  done
  hello::info "  deleted ${#versions[@]} version(s) under s3://${BUCKET}/${prefix}"

  local others
  others="$(hello::capture aws s3api list-object-versions --region "${REGION}" --bucket "${BUCKET}" --max-items 1 \
    --query '[Versions[0].Key, DeleteMarkers[0].Key]' --output text)"
  if [[ -n "$(tr -d '[:space:]' <<<"${others//None/}")" ]]; then
    hello::info "  s3://${BUCKET} still holds another environment's state (${others//[[:space:]]None/}): the bucket is kept"
    return
  fi
  # The bootstrap stack protects the bucket (prevent_destroy), so the purge deletes it
  # directly; its local state then plans a new bucket on the next deploy.
  hello::run aws s3api delete-bucket --region "${REGION}" --bucket "${BUCKET}" --expected-bucket-owner "${ACCOUNT}"
  hello::info "  deleted s3://${BUCKET}"
}

# --- main ----------------------------------------------------------------

main() {
  parse_args "$@"
  hello::start_run
  RESUME_HINT="fix the cause above, then run the same command again: deploy/scripts/destroy.sh$(printf ' %q' "$@")"
  STEP_TOTAL=$((PURGE_STATE ? 5 : 4))

  hello::begin_step 1 preflight "tools, versions, credentials, confirmation"
  step_preflight
  hello::begin_step 2 state "Terraform state"
  step_state
  if ((DEPLOYED)); then
    hello::begin_step 3 kubernetes "delete the app and the Cluster Autoscaler"
    step_kubernetes
    hello::begin_step 4 infrastructure "empty ECR, terraform destroy"
    step_infrastructure
    if ((PURGE_STATE)); then
      hello::begin_step 5 purge-state "delete the state and the state bucket"
      step_purge_state
    fi
  fi
  hello::finish_step
  printf '\n%s✓ %s-%s is destroyed%s in account %s, %s\n' "${GREEN}${BOLD}" "${PROJECT}" "${ENVIRONMENT}" "${RESET}" \
    "${ACCOUNT}" "${REGION}"
  hello::print_step_table
}

main "$@"
