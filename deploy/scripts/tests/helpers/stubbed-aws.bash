# shellcheck shell=bash
# The sandbox of the *-with-stubbed-aws.bats files. No AWS is reachable here:
# stand-in aws, terraform, kubectl, docker, curl, make and skopeo (tests/stubs/) come
# first on PATH, each recording its calls in $STUB_LOG and keeping what the
# real service would remember under $STUB_STATE. The scripts run in a
# throw-away git copy of the repository, so "no tracked file changed" is exact.
#
#   setup_file() { stubbed_aws_setup_file; }   # once per file: the copy and PATH
#   setup() { new_sandbox; }                   # per test: SB, REPO, a fresh state
#   teardown() { stubbed_aws_teardown; }
# shellcheck disable=SC2154  # bats' run sets output and status

# Calls that change something in AWS, the cluster or the registry.
readonly MUTATING='^(terraform .* (apply|destroy)|terraform .* init|docker (push|tag|login)|skopeo (copy|login)|make .*image|kubectl .* (apply|delete)|aws (s3api (delete|put|create)|ecr (batch-delete|put)|eks update-kubeconfig))'

# A git repository holding what the scripts use, and a bin directory of the
# system's tools without the real aws, terraform, kubectl, docker, curl, make
# (and node/npm, which the scripts must not need).
stubbed_aws_setup_file() {
  export ORIGINAL_PATH="${PATH}"
  STUB_REAL_KUBECTL="$(command -v kubectl)" || {
    echo "kubectl is needed: its kustomize renders what the stand-in kubectl applies" >&2
    return 1
  }
  export STUB_REAL_KUBECTL
  export SYSBIN="${BATS_FILE_TMPDIR}/sysbin"
  mkdir -p "${SYSBIN}"
  # One pipeline, not a shell loop: bats traces every command a test file runs.
  local dir
  for dir in /usr/local/sbin /usr/sbin /sbin /usr/bin /bin; do
    if [[ -d ${dir} ]]; then find "${dir}/" -mindepth 1 -maxdepth 1 ! -type d -executable; fi
  done | awk -F/ '$NF !~ /^(aws|terraform|kubectl|docker|curl|make|node|npm)$/ && !seen[$NF]++' |
    xargs -d '\n' ln -s -t "${SYSBIN}"
  [[ -e ${SYSBIN}/bash ]] || { echo "bash not found for the sandbox" >&2 && return 1; }

  export TEMPLATE="${BATS_FILE_TMPDIR}/template"
  mkdir -p "${TEMPLATE}/repo"
  local item
  for item in VERSION Makefile .gitignore deploy scripts/image-push; do
    if [[ -e ${ROOT}/${item} ]]; then
      tar -C "${ROOT}" --exclude=.terraform --exclude='*.tfstate' --exclude='*.tfstate.*' \
        --exclude=terraform.tfstate.d --exclude='*.tfplan' --exclude=node_modules -cf - "${item}" |
        tar -C "${TEMPLATE}/repo" -xf -
    fi
  done
  git -C "${TEMPLATE}/repo" init -q -b main
  git -C "${TEMPLATE}/repo" add -A
  git -C "${TEMPLATE}/repo" -c user.name=test -c user.email=test@example.invalid commit -q -m sandbox
}

# A fresh copy of the template: sets SB (sandbox root), REPO, and the
# environment of the stand-ins. Called again in a test, it starts over.
new_sandbox() {
  SB="$(mktemp -d "${BATS_TEST_TMPDIR}/sandbox.XXXXXX")"
  cp -a "${TEMPLATE}/repo" "${SB}/repo"
  REPO="${SB}/repo"
  mkdir -p "${SB}/home" "${SB}/tmp" "${SB}/state" "${SB}/stubs"
  cp "${TESTS_DIR}"/stubs/* "${SB}/stubs/"
  export HOME="${SB}/home" TMPDIR="${SB}/tmp"
  export STUB_LOG="${SB}/calls.log" STUB_STATE="${SB}/state"
  export PATH="${SB}/stubs:${SYSBIN}"
  export HELLO_POLL_INTERVAL=0 HELLO_TARGETS_TIMEOUT=5 HELLO_HTTP_TIMEOUT=5 HELLO_PROMPT_TIMEOUT=5
  export NO_COLOR=1
  unset HELLO_DEPLOY_WORKDIR XDG_CACHE_HOME KUBECONFIG DOCKER_CONFIG TF_DATA_DIR AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION
  # A person's terminal unless a test says otherwise: the scripts behave
  # differently under CI, and CI's own machine sets these.
  unset CI GITHUB_ACTIONS
  : >"${STUB_LOG}"
  GIT_STATUS_BEFORE="$(git -C "${REPO}" status --porcelain --untracked-files=all)"
}

stubbed_aws_teardown() {
  export PATH="${ORIGINAL_PATH}"
}

remove_stub() { rm -f "${SB}/stubs/$1"; }

# run_script NAME ARG...: bats' `run` of deploy/scripts/NAME in the sandbox
# (stdin as the caller redirects it); $status and $output as usual. The
# output is also printed, so a failing test shows every run, not only the last.
run_script() {
  local script=$1
  shift
  run "${REPO}/deploy/scripts/${script}" "$@"
  printf -- '--- %s %s -> exit %d\n%s\n' "${script}" "$*" "${status}" "${output}"
}

deploy() { run_script deploy "$@" </dev/null; }
destroy() { run_script destroy "$@" </dev/null; }

assert_tree_unchanged() {
  local after
  after="$(git -C "${REPO}" status --porcelain --untracked-files=all)"
  assert_equal "${after}" "${GIT_STATUS_BEFORE}"
}

# Nothing in AWS, the cluster or the registry was changed.
assert_no_changes_made() {
  refute_file_matches "${STUB_LOG}" "${MUTATING}"
  assert_equal "$(find "${STUB_STATE}" -name 'bucket-*' | wc -l)" 0
}

# Only the read-only probes of the preflight ran (tool versions, the Docker
# engine, the caller identity): a missing prerequisite stopped the script
# before any slower or changing call.
assert_only_probes_called() {
  local others
  others="$(grep -vE '^(aws (--version|sts get-caller-identity)|terraform version|kubectl version --client|docker (version|info))( |$)' "${STUB_LOG}" || true)"
  [[ -z ${others} ]] && return 0
  batslib_print_kv_single_or_multi 8 calls "${others}" | batslib_decorate 'calls other than the preflight probes' | fail
}
