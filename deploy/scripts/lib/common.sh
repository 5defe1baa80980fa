#!/usr/bin/env bash
# Shared by deploy, destroy and push-image: output, numbered steps with
# timings, the failure report, prerequisite checks, and the names the scripts
# must agree on (state bucket, state key, working directory). Sourced, never
# executed. Every function it defines is named hello::*, so sourcing it cannot
# replace a function of the caller (a `run`, `fail` or `info` of its own, or
# bats' `run` in the tests); its globals are the UPPER_CASE names below.
# shellcheck disable=SC2034  # the constants and colours are used by the scripts that source this file

if ((BASH_VERSINFO[0] < 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] < 4))); then
  echo "$(basename "$0"): bash >= 4.4 is required (this is ${BASH_VERSION}); on macOS: brew install bash" >&2
  exit 2
fi

# Exit codes: 0 done; 1 a step failed (re-running resumes); 2 bad usage or a
# missing prerequisite, detected before anything was changed; 130 interrupted.
readonly EXIT_FAILED=1
readonly EXIT_PREREQ=2

# shellcheck source=names.sh
source "$(dirname "${BASH_SOURCE[0]}")/names.sh"

# The minimum versions and why. Terraform 1.10 brings S3 state locking without
# DynamoDB (use_lockfile); kubectl is supported within one minor version of the
# EKS control plane (1.35, deploy/terraform/variables.tf); AWS CLI v1 lacks the v2 credential providers (SSO) and
# output handling the scripts rely on; Docker 20.10 is the oldest engine that
# still receives fixes from distributions (Debian 12 ships it).
readonly MIN_TERRAFORM=1.10.0
readonly MIN_KUBECTL=1.34.0
readonly MIN_AWS=2.0.0
readonly MIN_DOCKER=20.10.0

readonly PROJECT=hello
readonly APP_NAMESPACE=opendelta
readonly APP_DEPLOYMENT=hello
readonly AUTOSCALER_NAMESPACE=kube-system
readonly AUTOSCALER_DEPLOYMENT=cluster-autoscaler

COMMON_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "${COMMON_LIB_DIR}/../../.." && pwd)"
readonly COMMON_LIB_DIR ROOT
readonly TF_DIR="${ROOT}/deploy/terraform"
readonly TF_BOOTSTRAP_DIR="${TF_DIR}/bootstrap"
readonly PREPARE_OVERLAY="${ROOT}/deploy/k8s/prepare-aws-overlay"

SCRIPT_NAME="$(basename "$0")"
RUN_STARTED_AT="$(date +%s)"
CURRENT_STEP=""
CURRENT_STEP_NUMBER=0
STEP_TOTAL=0
STEP_STARTED_AT=0
STEP_NAMES=()
STEP_SECONDS=()
LAST_COMMAND=""
LAST_COMMAND_STATUS=0
COMMAND_OUTPUT=""
RESUME_HINT=""
TEMP_DIR=""
CLEANUP_PATHS=()
INTERRUPTED=0

if [[ -t 1 && -z ${NO_COLOR:-} ]]; then
  BOLD=$'\e[1m' DIM=$'\e[2m' RED=$'\e[31m' GREEN=$'\e[32m' YELLOW=$'\e[33m' RESET=$'\e[0m'
else
  BOLD="" DIM="" RED="" GREEN="" YELLOW="" RESET=""
fi

hello::info() { printf '%s\n' "$*"; }
hello::note() { printf '%s%s%s\n' "${DIM}" "$*" "${RESET}"; }
hello::warn() { printf '%swarning:%s %s\n' "${YELLOW}" "${RESET}" "$*" >&2; }

# A step failed: the EXIT trap prints the step, the command's output and how to resume.
hello::fail() {
  printf '%serror:%s %s\n' "${RED}" "${RESET}" "$*" >&2
  exit "${EXIT_FAILED}"
}

# Bad usage or a missing prerequisite: nothing has been changed yet.
hello::die_prereq() {
  printf '%s: %s\n' "${SCRIPT_NAME}" "$*" >&2
  exit "${EXIT_PREREQ}"
}

hello::format_duration() {
  local seconds=$1
  if ((seconds >= 3600)); then
    printf '%d:%02d:%02d' $((seconds / 3600)) $((seconds % 3600 / 60)) $((seconds % 60))
  else
    printf '%d:%02d' $((seconds / 60)) $((seconds % 60))
  fi
}

hello::elapsed_total() { echo $(($(date +%s) - RUN_STARTED_AT)); }

# Before a run changes anything: the exit and interrupt traps, and a scratch
# directory that keeps the last command's output for the failure report.
hello::start_run() {
  hello::install_traps
  TEMP_DIR="$(mktemp -d "${TMPDIR:-/tmp}/${PROJECT}-${SCRIPT_NAME%.sh}.XXXXXX")"
  COMMAND_OUTPUT="${TEMP_DIR}/command-output"
  : >"${COMMAND_OUTPUT}"
}

# --- steps --------------------------------------------------------------------

hello::finish_step() {
  if [[ -n ${CURRENT_STEP} ]]; then
    STEP_NAMES+=("${CURRENT_STEP_NUMBER} ${CURRENT_STEP}")
    STEP_SECONDS+=($(($(date +%s) - STEP_STARTED_AT)))
    CURRENT_STEP=""
  fi
}

# Prints the numbered banner; the step's function runs in this shell so that the
# values it finds (outputs, digest) are visible to the next steps.
hello::begin_step() {
  hello::finish_step
  CURRENT_STEP_NUMBER=$1
  CURRENT_STEP=$2
  local title=$3
  STEP_STARTED_AT="$(date +%s)"
  printf '\n%s==> [%d/%d] %s: %s%s  %s(%s elapsed)%s\n' "${BOLD}" "$1" "${STEP_TOTAL}" "$2" "${title}" "${RESET}" \
    "${DIM}" "$(hello::format_duration "$(hello::elapsed_total)")" "${RESET}"
}

hello::print_step_table() {
  hello::finish_step
  local i
  printf '\n  %-28s %10s\n' "step" "duration"
  for i in "${!STEP_NAMES[@]}"; do
    printf '  %-28s %10s\n' "${STEP_NAMES[i]}" "$(hello::format_duration "${STEP_SECONDS[i]}")"
  done
  printf '  %-28s %10s\n' "total" "$(hello::format_duration "$(hello::elapsed_total)")"
}

# Runs one external command: echoes it, streams its output, keeps a copy so a
# failure can show its last lines. Returns the command's status (the caller
# decides: a plain call stops the step through `set -e`).
hello::run() {
  LAST_COMMAND="${RUN_DISPLAY:-$*}"
  printf '%s$ %s%s\n' "${DIM}" "${LAST_COMMAND}" "${RESET}"
  local status=0
  "$@" 2>&1 | tee "${COMMAND_OUTPUT}" || status=$?
  LAST_COMMAND_STATUS=${status}
  return "${status}"
}

# RUN_DISPLAY=text before `hello::run` shows that text instead of the arguments
# (for a function that wraps a pipeline).
RUN_DISPLAY=""

# Logs skopeo in to an ECR registry (REGISTRY_AUTH_FILE says where the login
# is kept), shown as the pipeline it runs. A pipe, so the token never appears
# in a command line or a log.
hello::skopeo_login_ecr() {
  local region=$1 registry=$2
  RUN_DISPLAY="aws ecr get-login-password --region ${region} | skopeo login --username AWS --password-stdin ${registry}" \
    hello::run hello::ecr_password_to_skopeo "${region}" "${registry}"
}

hello::ecr_password_to_skopeo() {
  aws ecr get-login-password --region "$1" | skopeo login --username AWS --password-stdin "$2"
}

# Like hello::run, for commands whose stdout is a value: stdout is captured, stderr is
# kept for the failure report.
hello::capture() {
  LAST_COMMAND="$*"
  local status=0 out
  out="$("$@" 2>"${COMMAND_OUTPUT}")" || status=$?
  LAST_COMMAND_STATUS=${status}
  if ((status != 0)); then
    cat "${COMMAND_OUTPUT}" >&2
    return "${status}"
  fi
  printf '%s' "${out}"
}

hello::report_failure() {
  local status=$1 step_seconds=$(($(date +%s) - STEP_STARTED_AT))
  if ((status == EXIT_PREREQ)); then
    printf '\n%s✗ step %d/%d "%s" stopped%s before this step changed anything (the reason is above)\n' \
      "${RED}${BOLD}" "${CURRENT_STEP_NUMBER}" "${STEP_TOTAL}" "${CURRENT_STEP}" "${RESET}" >&2
    return
  fi
  {
    printf '\n%s✗ step %d/%d "%s" failed%s (exit %d, after %s)\n' "${RED}${BOLD}" "${CURRENT_STEP_NUMBER}" \
      "${STEP_TOTAL}" "${CURRENT_STEP}" "${RESET}" "${status}" "$(hello::format_duration "${step_seconds}")"
    if ((LAST_COMMAND_STATUS != 0)) && [[ -n ${LAST_COMMAND} ]]; then
      printf '  command: %s (exit %d)\n' "${LAST_COMMAND}" "${LAST_COMMAND_STATUS}"
      if [[ -s ${COMMAND_OUTPUT} ]]; then
        printf '  last output:\n'
        tail -n 25 "${COMMAND_OUTPUT}" | sed 's/^/    | /'
      fi
    fi
    if [[ -n ${RESUME_HINT} ]]; then
      printf '  to resume: %s\n' "${RESUME_HINT}"
    fi
  } >&2
}

hello::on_exit() {
  local status=$?
  trap - EXIT
  if ((status != 0)) && [[ -n ${CURRENT_STEP} ]]; then
    if ((INTERRUPTED)); then
      status=130
    elif ((status != EXIT_PREREQ)); then
      status=${EXIT_FAILED}
    fi
    hello::report_failure "${status}"
  fi
  if [[ -n ${TEMP_DIR} && -d ${TEMP_DIR} ]]; then
    rm -rf "${TEMP_DIR}"
  fi
  if ((${#CLEANUP_PATHS[@]} > 0)); then
    rm -rf "${CLEANUP_PATHS[@]}"
  fi
  exit "${status}"
}

hello::on_interrupt() {
  INTERRUPTED=1
  exit 130
}

hello::install_traps() {
  trap hello::on_exit EXIT
  trap hello::on_interrupt INT TERM
}

# --- prompts ------------------------------------------------------------------

# Asks for an exact answer on stdin (bounded wait); anything else aborts with
# exit 2 before the change it guards.
hello::require_typed_answer() {
  local prompt=$1 expected=$2 answer=""
  printf '%s\n  Type %s%s%s to continue: ' "${prompt}" "${BOLD}" "${expected}" "${RESET}"
  if ! IFS= read -r -t "${HELLO_PROMPT_TIMEOUT:-600}" answer; then
    printf '\n'
    hello::die_prereq "no answer on standard input (closed or timed out); run it in a terminal, or pass --yes where the script allows it"
  fi
  [[ -t 0 ]] || printf '%s\n' "${answer}"
  if [[ ${answer} != "${expected}" ]]; then
    hello::die_prereq "answer was '${answer}', expected '${expected}': nothing was changed by this step"
  fi
}

# --- prerequisites ------------------------------------------------------------

hello::install_hint() {
  case "$1" in
    aws) echo "AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html" ;;
    terraform) echo "Terraform >= ${MIN_TERRAFORM}: https://developer.hashicorp.com/terraform/install" ;;
    kubectl) echo "kubectl >= ${MIN_KUBECTL%.0}: https://kubernetes.io/docs/tasks/tools/" ;;
    docker) echo "Docker >= ${MIN_DOCKER%.0}: https://docs.docker.com/engine/install/ (Debian: apt-get install docker.io)" ;;
    curl) echo "curl: apt-get install curl" ;;
    git) echo "git: apt-get install git" ;;
    make) echo "GNU make: apt-get install make" ;;
    *) echo "$1" ;;
  esac
}

# All missing tools are reported at once, so one round of installs is enough.
hello::require_tools() {
  local tool
  local -a missing=()
  for tool in "$@"; do
    command -v "${tool}" >/dev/null 2>&1 || missing+=("${tool}")
  done
  if ((${#missing[@]} > 0)); then
    {
      printf '%s: missing required tools: %s\n' "${SCRIPT_NAME}" "${missing[*]}"
      for tool in "${missing[@]}"; do
        printf '  - %s\n' "$(hello::install_hint "${tool}")"
      done
      printf '  (or run everything from the tools image: make tools-image; see deploy/scripts/README.md)\n'
    } >&2
    exit "${EXIT_PREREQ}"
  fi
}

# hello::version_ge 1.11.4 1.10.0 -> true. Non-numeric suffixes (v, -eks, +dirty) are ignored.
hello::version_ge() {
  local have=$1 want=$2 i
  local -a h w
  IFS=. read -r -a h <<<"$(sed -E 's/^[^0-9]*//; s/[^0-9.].*$//' <<<"${have}")"
  IFS=. read -r -a w <<<"${want}"
  for i in 0 1 2; do
    local hv=$((10#${h[i]:-0})) wv=$((10#${w[i]:-0}))
    ((hv > wv)) && return 0
    ((hv < wv)) && return 1
  done
  return 0
}

hello::tool_version() {
  case "$1" in
    terraform) terraform version 2>/dev/null | sed -nE '1s/^Terraform v([0-9][0-9.]*).*/\1/p' ;;
    kubectl) kubectl version --client 2>/dev/null | sed -nE 's/^Client Version: v?([0-9][0-9.]*).*/\1/p' | head -n 1 ;;
    aws) hello::aws_cli_version ;;
    docker) docker version --format '{{.Client.Version}}' 2>/dev/null | sed -nE 's/^([0-9][0-9.]*).*/\1/p' | head -n 1 ;;
  esac
}

# The official AWS CLI v2 installer and Homebrew keep the version in the install
# path (.../aws-cli/v2/2.28.11/..., .../Cellar/awscli/2.28.11/...): reading it
# there avoids one CLI start (about half a second); otherwise ask the CLI.
hello::aws_cli_version() {
  local path
  path="$(readlink -f "$(command -v aws)" 2>/dev/null || true)"
  if [[ ${path} =~ /aws-cli/v2/([0-9]+\.[0-9]+\.[0-9]+)/ || ${path} =~ /Cellar/awscli/([0-9]+\.[0-9]+\.[0-9]+) ]]; then
    echo "${BASH_REMATCH[1]}"
  else
    aws --version 2>&1 | sed -nE 's#^aws-cli/([0-9][0-9.]*).*#\1#p' | head -n 1
  fi
}

hello::min_version_of() {
  case "$1" in
    terraform) echo "${MIN_TERRAFORM}" ;;
    kubectl) echo "${MIN_KUBECTL}" ;;
    aws) echo "${MIN_AWS}" ;;
    docker) echo "${MIN_DOCKER}" ;;
  esac
}

# The slow, read-only probes (tool versions, the Docker engine, the caller
# identity) run at once, so that a missing prerequisite is reported after about
# one AWS CLI start; the hello::require_* checks below read their results.
PROBE_DIR=""

hello::probe_prerequisites() {
  local region=$1 tool
  shift
  PROBE_DIR="${TEMP_DIR}/probe"
  mkdir -p "${PROBE_DIR}"
  for tool in "$@"; do
    (hello::tool_version "${tool}" >"${PROBE_DIR}/version-${tool}" 2>/dev/null || true) &
  done
  if [[ " $* " == *" docker "* ]]; then
    (if docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; then touch "${PROBE_DIR}/docker-engine"; fi) &
  fi
  hello::probe aws-identity aws sts get-caller-identity --region "${region}" --query Account --output text &
  wait
}

# hello::probe NAME COMMAND...: output in PROBE_DIR/NAME.out, status in NAME.status.
hello::probe() {
  local name=$1 status=0
  shift
  "$@" >"${PROBE_DIR}/${name}.out" 2>&1 || status=$?
  echo "${status}" >"${PROBE_DIR}/${name}.status"
}

hello::require_versions() {
  local tool have want
  local -a problems=()
  for tool in "$@"; do
    want="$(hello::min_version_of "${tool}")"
    have="$(cat "${PROBE_DIR}/version-${tool}" 2>/dev/null || true)"
    if [[ -z ${have} ]]; then
      problems+=("${tool}: could not read its version; $(hello::install_hint "${tool}")")
    elif ! hello::version_ge "${have}" "${want}"; then
      problems+=("${tool} ${have} is older than the required ${want}; $(hello::install_hint "${tool}")")
    else
      hello::note "  ${tool} ${have} (>= ${want})"
    fi
  done
  if ((${#problems[@]} > 0)); then
    printf '%s: unsupported tool versions:\n' "${SCRIPT_NAME}" >&2
    printf '  - %s\n' "${problems[@]}" >&2
    exit "${EXIT_PREREQ}"
  fi
}

hello::require_docker_engine() {
  if [[ ! -f ${PROBE_DIR}/docker-engine ]]; then
    hello::die_prereq "the Docker engine is not reachable (docker info failed): start it (sudo systemctl start docker) or set DOCKER_HOST"
  fi
}

# Prints the account id; missing or expired credentials are a prerequisite error.
hello::require_aws_identity() {
  local out status
  out="$(cat "${PROBE_DIR}/aws-identity.out")"
  status="$(cat "${PROBE_DIR}/aws-identity.status")"
  if ((status != 0)) || ! [[ ${out} =~ ^[0-9]{12}$ ]]; then
    {
      printf '%s: no usable AWS credentials (aws sts get-caller-identity failed):\n' "${SCRIPT_NAME}"
      printf '%s\n' "${out}" | sed '/^[[:space:]]*$/d; s/^/    | /'
      printf '  configure them with "aws configure sso" (or "aws configure"), or export AWS_PROFILE,\n'
      printf '  or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, then run this again\n'
    } >&2
    exit "${EXIT_PREREQ}"
  fi
  printf '%s' "${out}"
}

# The design spreads over three availability zones; a region with fewer (or one
# not enabled for the account) is rejected before anything is created.
hello::require_region_usable() {
  local region=$1 out status=0
  out="$(aws ec2 describe-availability-zones --region "${region}" --filters Name=state,Values=available \
    --query 'length(AvailabilityZones)' --output text 2>&1)" || status=$?
  if ((status != 0)); then
    hello::die_prereq "region ${region} cannot be used with these credentials (is it enabled for the account?): ${out}"
  fi
  if ! [[ ${out} =~ ^[0-9]+$ ]] || ((out < 3)); then
    hello::die_prereq "region ${region} has ${out} available zones; the deployment needs 3"
  fi
}

hello::validate_region() {
  hello::is_region "$1" || hello::die_prereq "invalid --region '$1' (expected e.g. eu-west-2)"
}

hello::validate_env() {
  local env=$1
  hello::is_environment_name "${env}" || hello::die_prereq "invalid --env '${env}' (expected dev or prod)"
  if [[ ! -f ${TF_DIR}/environments/${env}.tfvars ]]; then
    local available="" file
    for file in "${TF_DIR}"/environments/*.tfvars; do
      [[ -f ${file} ]] && available+="$(basename "${file}" .tfvars) "
    done
    hello::die_prereq "no environment '${env}': ${TF_DIR#"${ROOT}/"}/environments/${env}.tfvars does not exist (available: ${available:-none})"
  fi
}

# The region: --region, else the one the environment's tfvars sets, else the
# Terraform default. The result is passed to Terraform with -var so both agree.
hello::resolve_region() {
  local env=$1 flag=$2 from_tfvars
  if [[ -n ${flag} ]]; then
    echo "${flag}"
    return
  fi
  from_tfvars="$(sed -nE 's/^[[:space:]]*region[[:space:]]*=[[:space:]]*"([^"]+)".*/\1/p' \
    "${TF_DIR}/environments/${env}.tfvars" | head -n 1)"
  echo "${from_tfvars:-eu-west-2}"
}

hello::require_positive_int_env() {
  local name=$1 value=${!1:-}
  if [[ -n ${value} && ! ${value} =~ ^[0-9]+$ ]]; then
    hello::die_prereq "${name} must be a whole number of seconds (got '${value}')"
  fi
}

hello::sha256_of_stdin() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum | cut -d' ' -f1
  else
    shasum -a 256 | cut -d' ' -f1
  fi
}

# --- names shared by deploy and destroy ------------------------------------------

hello::state_bucket_name() { echo "${PROJECT}-tfstate-$1-$2"; }
hello::state_key() { echo "${PROJECT}/$1/terraform.tfstate"; }

# Terraform's working data (providers, backend settings, plans) lives outside the
# repository, one directory per account, region and environment, so switching
# environments never reuses another one's backend and the tree stays clean.
hello::work_dir_for() {
  local base="${HELLO_DEPLOY_WORKDIR:-${XDG_CACHE_HOME:-${HOME}/.cache}/${PROJECT}-deploy}"
  echo "${base}/$1-$2-$3"
}

# exists | missing; anything else (another account owns the name, no access) stops.
hello::state_bucket_status() {
  local bucket=$1 account=$2 region=$3 out status=0
  out="$(aws s3api head-bucket --bucket "${bucket}" --expected-bucket-owner "${account}" --region "${region}" 2>&1)" ||
    status=$?
  if ((status == 0)); then
    echo exists
  elif grep -qE '\(404\)|Not Found|NoSuchBucket' <<<"${out}"; then
    echo missing
  else
    printf '%s\n' "${out}" >"${COMMAND_OUTPUT}"
    LAST_COMMAND="aws s3api head-bucket --bucket ${bucket}"
    LAST_COMMAND_STATUS=${status}
    hello::fail "cannot use state bucket ${bucket}: it may belong to another account, or access is denied"
  fi
}

# Main stack: `terraform init` against this environment's state. The lock file
# is only read when it is committed, so tracked files are never rewritten.
hello::terraform_init_backend() {
  local bucket=$1 key=$2 region=$3
  local -a lockfile=()
  if [[ -f ${TF_DIR}/.terraform.lock.hcl ]]; then
    lockfile=(-lockfile=readonly)
  fi
  hello::run terraform -chdir="${TF_DIR}" init -input=false "${lockfile[@]}" \
    -backend-config="bucket=${bucket}" -backend-config="key=${key}" -backend-config="region=${region}"
}

# --- ECR ------------------------------------------------------------------------

# Prints the digest of REPOSITORY:TAG (region, repository, tag); fails when absent.
hello::ecr_digest() {
  aws ecr describe-images --region "$1" --repository-name "$2" --image-ids "imageTag=$3" \
    --query 'imageDetails[0].imageDigest' --output text
}

# A pipe, so the token never appears in a command line or a log.
hello::ecr_login() {
  aws ecr get-login-password --region "$1" | docker login --username AWS --password-stdin "$2"
}

# Logs in with a throw-away Docker config, tags LOCAL_IMAGE as REPO_URL:TAG and
# pushes it; the config (holding the registry token) is removed afterwards.
hello::ecr_push() {
  local region=$1 local_image=$2 repo_url=$3 tag=$4 config_parent=$5
  local registry=${repo_url%%/*}
  local -x DOCKER_CONFIG="${config_parent}/docker-config"
  CLEANUP_PATHS+=("${DOCKER_CONFIG}")
  rm -rf "${DOCKER_CONFIG}"
  mkdir -m 700 "${DOCKER_CONFIG}"
  RUN_DISPLAY="aws ecr get-login-password --region ${region} | docker login --username AWS --password-stdin ${registry}" \
    hello::run hello::ecr_login "${region}" "${registry}"
  hello::run docker tag "${local_image}" "${repo_url}:${tag}"
  hello::run docker push "${repo_url}:${tag}"
  rm -rf "${DOCKER_CONFIG}"
}

hello::terraform_output() {
  hello::capture terraform -chdir="${TF_DIR}" output -raw "$1"
}
