# shellcheck shell=bash
# The one way a suite of `make test` reacts to a missing prerequisite.
#
# A suite that cannot run prints ONE line on stderr and exits 77, which CTest
# records as "Skipped" (SKIP_RETURN_CODE in cmake/ProjectChecks.cmake):
#   skipped: <what is missing and why>. To run it: <one command>
# With HELLO_NO_SKIP=1 (CI sets it) the same situation is a failure, exit 1:
#   error: <what is missing and why> (HELLO_NO_SKIP=1 makes missing prerequisites failures)
# HELLO_REQUIRE_DOCKER=1, the older name, means the same.
#
# Source it from a suite's entry script, then call the prereq_* checks before
# anything else runs; each returns only when its prerequisite is there.

PREREQ_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly PREREQ_ROOT

# The kubectl every offline check renders the manifests with. 1.27 is the first
# kubectl whose built-in Kustomize is v5 (v5.0.1), the major version these
# kustomizations are written for; tested with 1.32, older ones are not (1.20,
# Debian 12's, cannot parse them). Deploying needs more (kubectl >= 1.34 for
# the EKS 1.35 cluster, checked by deploy/scripts/deploy); rendering does not.
readonly HELLO_KUBECTL_MINIMUM=1.27

# Pinned tools fetched by `scripts/install-packages kubectl|terraform` live here
# (gitignored); `make`, CTest and these checks put it first on PATH.
# HELLO_TOOLS_BIN moves it (the tests point it nowhere).
HELLO_TOOLS_BIN=${HELLO_TOOLS_BIN:-${PREREQ_ROOT}/.tools/bin}
readonly HELLO_TOOLS_BIN
if [[ -d ${HELLO_TOOLS_BIN} && ":${PATH}:" != *":${HELLO_TOOLS_BIN}:"* ]]; then
  PATH="${HELLO_TOOLS_BIN}:${PATH}"
  export PATH
fi

# True when a missing prerequisite must fail instead of skip.
prereq_no_skip() {
  [[ ${HELLO_NO_SKIP:-0} == 1 || ${HELLO_REQUIRE_DOCKER:-0} == 1 ]]
}

# prereq_skip REASON COMMAND: the one line, then exit 77 (or 1 under HELLO_NO_SKIP=1).
prereq_skip() {
  local reason=$1 command=$2
  if prereq_no_skip; then
    printf 'error: %s (HELLO_NO_SKIP=1 makes missing prerequisites failures)\n' "${reason}" >&2
    exit 1
  fi
  printf 'skipped: %s. To run it: %s\n' "${reason}" "${command}" >&2
  exit 77
}

# prereq_version_at_least FOUND MINIMUM: dotted versions, compared field by field.
prereq_version_at_least() {
  [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" == "$2" ]]
}

# prereq_command NAME WHY [COMMAND]: NAME must be on PATH. WHY says what needs it.
prereq_command() {
  local name=$1 why=$2 command=${3:-scripts/install-packages check}
  command -v "${name}" >/dev/null 2>&1 || prereq_skip "${name} is not installed (${why})" "${command}"
}

# The Node.js that `engines` in package.json asks for (the JavaScript suites).
prereq_node_minimum() {
  sed -n 's/^ *"node": *">=\([0-9.]*\)".*/\1/p' "${PREREQ_ROOT}/package.json" | head -n 1
}

prereq_node() {
  local minimum found
  minimum=$(prereq_node_minimum)
  command -v node >/dev/null 2>&1 ||
    prereq_skip "node is not installed (the checks are Node.js ${minimum}+ test files)" "scripts/install-packages check"
  found=$(node -p 'process.versions.node' 2>/dev/null) || found=unknown
  prereq_version_at_least "${found}" "${minimum}" ||
    prereq_skip "node ${found} is too old (minimum ${minimum})" \
      "install Node.js ${minimum} or newer (Debian 12: scripts/install-packages check; else https://nodejs.org)"
}

# prereq_node_modules PACKAGE...: what `npm ci` installs.
prereq_node_modules() {
  local package
  for package in "$@"; do
    [[ -f ${PREREQ_ROOT}/node_modules/${package}/package.json ]] ||
      prereq_skip "the npm package ${package} is not installed in node_modules" "npm ci --no-audit --no-fund"
  done
}

# The client version of a kubectl ("1.32.4"), empty when it cannot tell.
prereq_kubectl_version() {
  { timeout 20 "$1" version --client -o json 2>/dev/null || true; } |
    sed -n 's/.*"gitVersion": *"v\([0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -n 1
}

# kubectl (or $KUBECTL) at HELLO_KUBECTL_MINIMUM or newer.
prereq_kubectl() {
  local kubectl=${KUBECTL:-kubectl} found
  command -v "${kubectl}" >/dev/null 2>&1 ||
    prereq_skip "${kubectl} is not installed (its built-in Kustomize renders the manifests; minimum ${HELLO_KUBECTL_MINIMUM})" \
      "scripts/install-packages kubectl"
  found=$(prereq_kubectl_version "${kubectl}")
  [[ -n ${found} ]] ||
    prereq_skip "$(command -v "${kubectl}") does not report its version (kubectl version --client -o json failed; minimum ${HELLO_KUBECTL_MINIMUM})" \
      "scripts/install-packages kubectl"
  prereq_version_at_least "${found}" "${HELLO_KUBECTL_MINIMUM}" ||
    prereq_skip "kubectl ${found} ($(command -v "${kubectl}")) is too old (minimum ${HELLO_KUBECTL_MINIMUM}: its Kustomize cannot render these manifests)" \
      "scripts/install-packages kubectl"
}

# A Docker CLI that reaches an engine.
prereq_docker_engine() {
  command -v docker >/dev/null 2>&1 ||
    prereq_skip "no Docker engine: the docker command is not installed" "scripts/install-packages docker"
  local error
  if error=$(timeout 30 docker info 2>&1 >/dev/null); then
    return 0
  fi
  if [[ ${error} == *"permission denied"* ]]; then
    prereq_skip "no Docker engine reachable: permission denied on its socket" \
      "sudo usermod -aG docker \"\$USER\" (then log in again)"
  fi
  local start="sudo dockerd >/tmp/dockerd.log 2>&1 &"
  [[ -d /run/systemd/system ]] && start="sudo systemctl start docker"
  prereq_skip "no Docker engine reachable (docker info failed)" "${start}"
}
