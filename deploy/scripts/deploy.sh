#!/usr/bin/env bash
# One command from AWS credentials to a verified "Hello, world!": state bucket,
# Terraform (planned and applied once), image pushed to ECR and deployed by
# digest, rollout, healthy targets, and an HTTP check. Safe to run again: every
# step detects finished work, so a second run changes nothing and a failed run
# resumes by running the same command.
set -euo pipefail

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat <<EOF
Usage: deploy/scripts/deploy.sh --env ENV [--region REGION] [--yes] [--plan-only] [--image-tag TAG]
                                [--api-cidr auto|CIDR|none]

Deploys hello to AWS (VPC over three zones, EKS, ALB) and prints its URL.

Options:
  --env ENV          environment: a file deploy/terraform/environments/ENV.tfvars (dev, prod)
  --region REGION    AWS region (default: the tfvars' region, else eu-west-2)
  --yes              do not ask before creating the state bucket or applying changes
  --plan-only        stop after terraform plan; changes nothing (not even the state bucket)
  --image-tag TAG    deploy this image tag instead of building the current commit
                     (it must exist in ECR or locally as hello-server:TAG)
  --api-cidr WHO     who may reach the Kubernetes API endpoint, which kubectl on this machine needs:
                     auto = this machine's public IPv4 address as a /32 (asked from
                     checkip.amazonaws.com), CIDR = that range, none = the private endpoint only
                     (run from inside the VPC). Default: what the tfvars set if they mention
                     cluster_endpoint_public_access, otherwise auto
  -h, --help         show this help

Steps (each prints a numbered banner with the elapsed time):
  1 preflight       tools and versions, AWS credentials, region
  2 state-bucket    bucket hello-tfstate-<account>-<region>, created by deploy/terraform/bootstrap if missing
  3 infrastructure  terraform init, plan -out, apply of that plan (only when there are changes)
  4 image           make image, push to the ECR repository (tag = git commit), resolve the digest
  5 kubernetes      aws eks update-kubeconfig; kubectl apply -k of a rendered copy of the aws overlay
                    and the Cluster Autoscaler, with the image by digest (tracked files are not edited)
  6 verify          rollout status, every ALB target healthy, the URL answers "Hello, world!"

Requirements: terraform >= ${MIN_TERRAFORM%.0}, kubectl >= ${MIN_KUBECTL%.0} (within one minor version of the
cluster, EKS 1.35), AWS CLI v2, docker >= ${MIN_DOCKER%.0} with a reachable engine, git, make, curl, and AWS
credentials allowed to create the resources (aws sts get-caller-identity must work).
The tools image has all of them: make tools-image (see deploy/scripts/README.md).

Exit codes: 0 deployed; 1 a step failed (fix the cause and run the same command again);
2 bad usage or a missing prerequisite (nothing was changed); 130 interrupted.

Environment (optional): HELLO_DEPLOY_WORKDIR (Terraform data and plans; default
~/.cache/hello-deploy), HELLO_ROLLOUT_TIMEOUT (600), HELLO_TARGETS_TIMEOUT (900),
HELLO_HTTP_TIMEOUT (600), HELLO_POLL_INTERVAL (10) in seconds.
EOF
}

ENVIRONMENT=""
REGION_FLAG=""
ASSUME_YES=0
PLAN_ONLY=0
IMAGE_TAG_FLAG=""
API_CIDR_FLAG=""

parse_args() {
  while (($# > 0)); do
    case "$1" in
      --env | --region | --image-tag | --api-cidr)
        if (($# < 2)) || [[ -z $2 || $2 == --* ]]; then
          hello::die_prereq "$1 needs a value (see --help)"
        fi
        case "$1" in
          --env) ENVIRONMENT=$2 ;;
          --region) REGION_FLAG=$2 ;;
          --image-tag) IMAGE_TAG_FLAG=$2 ;;
          --api-cidr) API_CIDR_FLAG=$2 ;;
        esac
        shift 2
        ;;
      --env=* | --region=* | --image-tag=* | --api-cidr=*)
        local name=${1%%=*} value=${1#*=}
        set -- "${name}" "${value}" "${@:2}"
        ;;
      --yes | -y) ASSUME_YES=1 && shift ;;
      --plan-only) PLAN_ONLY=1 && shift ;;
      -h | --help) usage && exit 0 ;;
      *) hello::die_prereq "unknown argument '$1' (see --help)" ;;
    esac
  done
  [[ -n ${ENVIRONMENT} ]] || hello::die_prereq "--env is required (dev or prod; see --help)"
  if [[ -n ${IMAGE_TAG_FLAG} && ! ${IMAGE_TAG_FLAG} =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]]; then
    hello::die_prereq "invalid --image-tag '${IMAGE_TAG_FLAG}' (a Docker tag: letters, digits, _ . -)"
  fi
  if [[ -n ${API_CIDR_FLAG} && ! ${API_CIDR_FLAG} =~ ^(auto|none|([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2})$ ]]; then
    hello::die_prereq "invalid --api-cidr '${API_CIDR_FLAG}' (auto, none or an IPv4 CIDR like 203.0.113.7/32)"
  fi
  if [[ ${API_CIDR_FLAG} =~ /0$ ]]; then
    hello::die_prereq "--api-cidr ${API_CIDR_FLAG} would open the Kubernetes API to the whole internet"
  fi
}

ACCOUNT=""
REGION=""
BUCKET=""
STATE_KEY=""
WORK_DIR=""
PLAN_FILE=""
TF_VAR_ARGS=()
IMAGE_TAG=""
BUCKET_STATUS=""
declare -A OUT=()
IMAGE_REF=""
CHANGES=()

# --- 1 preflight ----------------------------------------------------------------

step_preflight() {
  hello::validate_env "${ENVIRONMENT}"
  REGION="$(hello::resolve_region "${ENVIRONMENT}" "${REGION_FLAG}")"
  hello::validate_region "${REGION}"
  local var
  for var in HELLO_ROLLOUT_TIMEOUT HELLO_TARGETS_TIMEOUT HELLO_HTTP_TIMEOUT HELLO_POLL_INTERVAL; do
    hello::require_positive_int_env "${var}"
  done
  [[ -x ${PREPARE_OVERLAY} ]] || hello::die_prereq "${PREPARE_OVERLAY#"${ROOT}/"} is missing or not executable (incomplete checkout?)"
  [[ -d ${TF_BOOTSTRAP_DIR} ]] || hello::die_prereq "${TF_BOOTSTRAP_DIR#"${ROOT}/"} is missing (incomplete checkout?)"

  if ((PLAN_ONLY)); then
    hello::require_tools aws terraform curl
    hello::probe_prerequisites "${REGION}" aws terraform
    hello::require_versions aws terraform
  else
    hello::require_tools aws terraform kubectl docker git make curl
    hello::probe_prerequisites "${REGION}" aws terraform kubectl docker
    hello::require_versions aws terraform kubectl docker
    hello::require_docker_engine
    resolve_image_tag
  fi
  ACCOUNT="$(hello::require_aws_identity)"
  hello::require_region_usable "${REGION}"

  BUCKET="$(hello::state_bucket_name "${ACCOUNT}" "${REGION}")"
  STATE_KEY="$(hello::state_key "${ENVIRONMENT}")"
  WORK_DIR="$(hello::work_dir_for "${ACCOUNT}" "${REGION}" "${ENVIRONMENT}")"
  mkdir -p "${WORK_DIR}"
  PLAN_FILE="${WORK_DIR}/${ENVIRONMENT}.tfplan"
  export TF_DATA_DIR="${WORK_DIR}/terraform"
  export TF_IN_AUTOMATION=1 TF_INPUT=0
  TF_VAR_ARGS=(-var-file="environments/${ENVIRONMENT}.tfvars" -var="region=${REGION}")
  resolve_api_access

  hello::info "  account ${ACCOUNT}, region ${REGION}, environment ${ENVIRONMENT}"
  hello::info "  state s3://${BUCKET}/${STATE_KEY}"
  if ((!PLAN_ONLY)); then
    hello::info "  image tag ${IMAGE_TAG}"
  fi
}

# kubectl runs here, so the API endpoint must admit this machine unless the
# environment's tfvars decide (or --api-cidr none: inside the VPC).
resolve_api_access() {
  local who=${API_CIDR_FLAG}
  if [[ -z ${who} ]]; then
    if grep -qE '^[[:space:]]*cluster_endpoint_public_access(_cidrs)?[[:space:]]*=' \
      "${TF_DIR}/environments/${ENVIRONMENT}.tfvars"; then
      who=none
    else
      who=auto
    fi
  fi
  case "${who}" in
    none)
      hello::info "  Kubernetes API access: as environments/${ENVIRONMENT}.tfvars sets it (private unless it says otherwise)"
      return
      ;;
    auto)
      local address
      address="$(curl -fsS --max-time 10 https://checkip.amazonaws.com 2>/dev/null | tr -d '[:space:]' || true)"
      [[ ${address} =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}$ ]] ||
        hello::die_prereq "cannot find this machine's public IPv4 address (checkip.amazonaws.com): pass --api-cidr CIDR, or --api-cidr none inside the VPC"
      who="${address}/32"
      ;;
  esac
  TF_VAR_ARGS+=(-var="cluster_endpoint_public_access=true" -var="cluster_endpoint_public_access_cidrs=[\"${who}\"]")
  hello::info "  Kubernetes API access: private endpoint, and public for ${who} only"
}

# The image is named after the commit. With uncommitted changes to tracked files
# the tag also carries a hash of the diff: ECR tags are immutable, and the same
# tag must never name two different builds.
resolve_image_tag() {
  if [[ -n ${IMAGE_TAG_FLAG} ]]; then
    IMAGE_TAG=${IMAGE_TAG_FLAG}
    return
  fi
  local sha
  sha="$(git -C "${ROOT}" rev-parse --short=12 HEAD 2>/dev/null)" ||
    hello::die_prereq "${ROOT} is not a git checkout with a commit: the image tag is the commit (or pass --image-tag)"
  if [[ -n "$(git -C "${ROOT}" status --porcelain --untracked-files=no)" ]]; then
    local diff_hash
    diff_hash="$(git -C "${ROOT}" diff HEAD --binary | hello::sha256_of_stdin | cut -c1-8)"
    IMAGE_TAG="${sha}-dirty-${diff_hash}"
    hello::warn "uncommitted changes to tracked files: the image will be tagged ${IMAGE_TAG}"
  else
    IMAGE_TAG=${sha}
  fi
}

# --- 2 state bucket ----------------------------------------------------------------

step_state_bucket() {
  BUCKET_STATUS="$(hello::state_bucket_status "${BUCKET}" "${ACCOUNT}" "${REGION}")"
  if [[ ${BUCKET_STATUS} == exists ]]; then
    hello::info "  s3://${BUCKET} exists: nothing to do"
    return
  fi
  if ((PLAN_ONLY)); then
    hello::info "  s3://${BUCKET} does not exist yet: the plan is computed against an empty state (nothing is created)"
    return
  fi
  if ((!ASSUME_YES)); then
    hello::require_typed_answer "The state bucket s3://${BUCKET} does not exist; create it with deploy/terraform/bootstrap?" yes
  fi
  # The bootstrap stack keeps its state in the working copy (gitignored), one
  # workspace per account and region so that several buckets never share a state.
  local -x TF_DATA_DIR="${WORK_DIR}/bootstrap"
  hello::run terraform -chdir="${TF_BOOTSTRAP_DIR}" init -input=false
  hello::run terraform -chdir="${TF_BOOTSTRAP_DIR}" workspace select -or-create=true "${ACCOUNT}-${REGION}"
  hello::run terraform -chdir="${TF_BOOTSTRAP_DIR}" apply -input=false -auto-approve \
    -var="region=${REGION}" -var="bucket_name=${BUCKET}"
  [[ "$(hello::state_bucket_status "${BUCKET}" "${ACCOUNT}" "${REGION}")" == exists ]] ||
    hello::fail "the bootstrap stack finished but s3://${BUCKET} is still not visible"
  BUCKET_STATUS=exists
  CHANGES+=("created state bucket ${BUCKET}")
}

# --- 3 infrastructure ----------------------------------------------------------------

step_infrastructure() {
  local tf_dir=${TF_DIR}
  if [[ ${BUCKET_STATUS} == missing ]]; then
    # Only with --plan-only: plan a copy against an empty local state.
    tf_dir="${TEMP_DIR}/terraform"
    copy_for_plan_only "${tf_dir}"
    hello::run terraform -chdir="${tf_dir}" init -input=false
  else
    hello::terraform_init_backend "${BUCKET}" "${STATE_KEY}" "${REGION}"
  fi

  local status=0
  hello::run terraform -chdir="${tf_dir}" plan -input=false -lock-timeout=5m -detailed-exitcode \
    -out="${PLAN_FILE}" "${TF_VAR_ARGS[@]}" || status=$?
  case ${status} in
    0)
      hello::info "  no infrastructure changes"
      ;;
    2)
      if ((PLAN_ONLY)); then
        hello::info "  the plan above has changes; run without --plan-only to apply them"
        return
      fi
      if ((!ASSUME_YES)); then
        hello::require_typed_answer "Apply the plan above to account ${ACCOUNT} (${ENVIRONMENT}, ${REGION})?" yes
      fi
      # The saved plan is what was shown; Terraform refuses it if the state moved since.
      hello::run terraform -chdir="${tf_dir}" apply -input=false -lock-timeout=5m "${PLAN_FILE}"
      CHANGES+=("applied Terraform plan")
      ;;
    *)
      hello::fail "terraform plan failed"
      ;;
  esac
  rm -f "${PLAN_FILE}"
  ((PLAN_ONLY)) && return

  local name
  for name in cluster_name region ecr_repository_url target_group_arn app_url vpc_cidr; do
    OUT[${name}]="$(hello::terraform_output "${name}")" || hello::fail "Terraform output '${name}' is missing"
    [[ -n ${OUT[${name}]} ]] || hello::fail "Terraform output '${name}' is empty"
  done
  [[ ${OUT[region]} == "${REGION}" ]] ||
    hello::fail "the state's region (${OUT[region]}) differs from --region ${REGION}: use --region ${OUT[region]}"
  hello::info "  cluster ${OUT[cluster_name]}, repository ${OUT[ecr_repository_url]}"
}

copy_for_plan_only() {
  local copy=$1
  mkdir -p "${copy}"
  tar -C "${TF_DIR}" --exclude=.terraform --exclude='*.tfstate*' --exclude=terraform.tfstate.d -cf - . |
    tar -C "${copy}" -xf -
  printf 'terraform {\n  backend "local" {}\n}\n' >"${copy}/zz_plan_only_override.tf"
  export TF_DATA_DIR="${TEMP_DIR}/tf-data"
}

# --- 4 image ----------------------------------------------------------------

step_image() {
  local repo_url=${OUT[ecr_repository_url]}
  local repository=${repo_url#*/} digest=""
  digest="$(hello::ecr_digest "${REGION}" "${repository}" "${IMAGE_TAG}" 2>/dev/null || true)"
  if [[ ${digest} =~ ^sha256:[0-9a-f]{64}$ ]]; then
    hello::info "  ${repository}:${IMAGE_TAG} is already in ECR: nothing to build or push"
  else
    local local_image="${PROJECT}-server:${IMAGE_TAG%%-dirty-*}"
    if [[ -n ${IMAGE_TAG_FLAG} ]]; then
      local_image="${PROJECT}-server:${IMAGE_TAG_FLAG}"
      docker image inspect --format '{{.Id}}' "${local_image}" >/dev/null 2>&1 ||
        hello::fail "image tag ${IMAGE_TAG_FLAG} is neither in ECR nor local (${local_image}); omit --image-tag to build the current commit"
    else
      hello::run make -C "${ROOT}" image
    fi
    hello::ecr_push "${REGION}" "${local_image}" "${repo_url}" "${IMAGE_TAG}" "${WORK_DIR}"
    digest="$(hello::capture hello::ecr_digest "${REGION}" "${repository}" "${IMAGE_TAG}")" || hello::fail "cannot read the digest of the pushed image"
    CHANGES+=("pushed ${repository}:${IMAGE_TAG}")
  fi
  [[ ${digest} =~ ^sha256:[0-9a-f]{64}$ ]] || hello::fail "unexpected image digest '${digest}'"
  IMAGE_REF="${repo_url}@${digest}"
  hello::info "  image ${IMAGE_REF}"
}

# --- 5 kubernetes ----------------------------------------------------------------

step_kubernetes() {
  local cluster=${OUT[cluster_name]} manifests="${WORK_DIR}/manifests"
  hello::run aws eks update-kubeconfig --region "${REGION}" --name "${cluster}" --alias "${cluster}"
  # A fresh directory each run; kept after the run to show what was applied.
  rm -rf "${manifests}"
  mkdir -p "${manifests}"
  if ! hello::run kubectl --context "${cluster}" version --request-timeout=20s; then
    hello::fail "the Kubernetes API of ${cluster} is not reachable from here: the endpoint is private unless --api-cidr (or cluster_endpoint_public_access in the tfvars) admits this machine; run with --api-cidr auto, or from inside the VPC"
  fi
  hello::run "${PREPARE_OVERLAY}" --image "${IMAGE_REF}" --vpc-cidr "${OUT[vpc_cidr]}" \
    --cluster-name "${cluster}" --region "${REGION}" --dir "${manifests}"
  hello::run kubectl --context "${cluster}" apply -k "${manifests}"
  local changed
  changed="$(grep -cE ' (created|configured|serverside-applied)$' "${COMMAND_OUTPUT}" || true)"
  if ((changed > 0)); then
    CHANGES+=("applied ${changed} Kubernetes object(s)")
  else
    hello::info "  every Kubernetes object is unchanged"
  fi
  hello::info "  rendered manifests: ${manifests}"
}

# --- 6 verify ----------------------------------------------------------------

# Polls a check until it passes; bounded by a deadline and by a number of tries.
wait_until() {
  local what=$1 timeout=$2 interval=$3
  shift 3
  local deadline=$(($(date +%s) + timeout)) attempts=0 max_attempts=$((timeout / (interval > 0 ? interval : 1) + 1))
  while ((attempts < max_attempts)); do
    attempts=$((attempts + 1))
    if "$@"; then
      return 0
    fi
    (($(date +%s) >= deadline)) && break
    sleep "${interval}"
  done
  hello::fail "${what}: not reached after ${attempts} checks in $(hello::format_duration "${timeout}") (see the last state above)"
}

# One poll: prints the count per state (and one example reason), true when
# at least one target is registered and all are healthy.
targets_healthy() {
  local out status=0 total=0 healthy=0 id state reason example=""
  out="$(aws elbv2 describe-target-health --region "${REGION}" --target-group-arn "${OUT[target_group_arn]}" \
    --query 'TargetHealthDescriptions[].[Target.Id,TargetHealth.State,TargetHealth.Reason]' --output text 2>&1)" ||
    status=$?
  if ((status != 0)); then
    hello::note "  describe-target-health failed: ${out}"
    return 1
  fi
  local -A counts=()
  while read -r id state reason; do
    [[ -n ${id} ]] || continue
    total=$((total + 1))
    counts[${state}]=$((${counts[${state}]:-0} + 1))
    if [[ ${state} == healthy ]]; then
      healthy=$((healthy + 1))
    elif [[ -z ${example} ]]; then
      example="${id}: ${state} ${reason}"
    fi
  done <<<"${out}"
  local summary="" s
  for s in "${!counts[@]}"; do summary+="${counts[${s}]} ${s}, "; done
  hello::note "  targets: ${summary:-none registered yet, }$(date +%H:%M:%S)${example:+ (${example})}"
  ((total > 0 && healthy == total))
}

answers_hello() {
  local body status=0
  body="$(curl -fsS --max-time 10 "${OUT[app_url]}" 2>&1)" || status=$?
  if ((status == 0)) && [[ ${body} == "Hello, world!" ]]; then
    return 0
  fi
  hello::note "  ${OUT[app_url]}: ${body:0:120} ($(date +%H:%M:%S))"
  return 1
}

step_verify() {
  local cluster=${OUT[cluster_name]} rollout_timeout=${HELLO_ROLLOUT_TIMEOUT:-600}
  local interval=${HELLO_POLL_INTERVAL:-10}
  hello::run kubectl --context "${cluster}" -n "${APP_NAMESPACE}" rollout status "deployment/${APP_DEPLOYMENT}" \
    --timeout="${rollout_timeout}s"
  hello::run kubectl --context "${cluster}" -n "${AUTOSCALER_NAMESPACE}" rollout status \
    "deployment/${AUTOSCALER_DEPLOYMENT}" --timeout="${rollout_timeout}s"
  LAST_COMMAND="aws elbv2 describe-target-health --target-group-arn ${OUT[target_group_arn]}"
  wait_until "every target of the load balancer healthy" "${HELLO_TARGETS_TIMEOUT:-900}" "${interval}" targets_healthy
  hello::info "  every target is healthy"
  LAST_COMMAND="curl ${OUT[app_url]}"
  wait_until "${OUT[app_url]} answering Hello, world!" "${HELLO_HTTP_TIMEOUT:-600}" "${interval}" answers_hello
  hello::info "  ${OUT[app_url]} answers: Hello, world!"
}

# --- main ----------------------------------------------------------------

print_summary() {
  printf '\n%s✓ %s-%s is deployed%s in account %s, %s\n' "${GREEN}${BOLD}" "${PROJECT}" "${ENVIRONMENT}" "${RESET}" \
    "${ACCOUNT}" "${REGION}"
  printf '\n  URL: %s%s%s\n' "${BOLD}" "${OUT[app_url]}" "${RESET}"
  printf '  kubectl: kubectl --context %s -n %s get pods\n' "${OUT[cluster_name]}" "${APP_NAMESPACE}"
  if ((${#CHANGES[@]} == 0)); then
    printf '  changes: none (everything was already deployed)\n'
  else
    printf '  changes: %s\n' "$(printf '%s; ' "${CHANGES[@]}" | sed 's/; $//')"
  fi
  hello::print_step_table
}

main() {
  parse_args "$@"
  hello::start_run
  RESUME_HINT="fix the cause above, then run the same command again: deploy/scripts/deploy.sh$(printf ' %q' "$@")
    finished steps are detected and skipped"

  if ((PLAN_ONLY)); then
    STEP_TOTAL=3
  else
    STEP_TOTAL=6
  fi
  hello::begin_step 1 preflight "tools, versions, credentials, region"
  step_preflight
  hello::begin_step 2 state-bucket "Terraform state bucket"
  step_state_bucket
  hello::begin_step 3 infrastructure "terraform init, plan, apply"
  step_infrastructure
  if ((PLAN_ONLY)); then
    hello::print_step_table
    return 0
  fi
  hello::begin_step 4 image "build, push to ECR, resolve the digest"
  step_image
  hello::begin_step 5 kubernetes "kubeconfig, Cluster Autoscaler and app manifests"
  step_kubernetes
  hello::begin_step 6 verify "rollout, load balancer targets, HTTP"
  step_verify
  hello::finish_step
  print_summary
}

main "$@"
