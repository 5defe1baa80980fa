#!/usr/bin/env bash
# Shared by the stand-in aws, terraform, kubectl, docker, curl and make used by
# the stub-based tests (no AWS is reachable here). Each stand-in records every
# call in $STUB_LOG, keeps what the real service would remember under
# $STUB_STATE, and answers like the real tool. Sourced, never executed.
#
# Knobs (environment):
#   STUB_FAIL         extended regex; a call whose "tool args..." line matches fails like the tool would
#   STUB_FAIL_STATUS  exit status of that failure (default 1)

: "${STUB_LOG:?STUB_LOG must name the call log}"
: "${STUB_STATE:?STUB_STATE must name the state directory}"

STUB_TOOL="$(basename "$0")"
readonly STUB_TOOL
# shellcheck disable=SC2034  # used by the stand-ins that source this file
readonly STUB_ACCOUNT=123456789012

stub_record() {
  printf '%s %s\n' "${STUB_TOOL}" "$*" >>"${STUB_LOG}"
}

stub_maybe_fail() {
  if [[ -n ${STUB_FAIL:-} && "${STUB_TOOL} $*" =~ ${STUB_FAIL} ]]; then
    echo "${STUB_TOOL}: error: simulated failure of: ${STUB_TOOL} $*" >&2
    exit "${STUB_FAIL_STATUS:-1}"
  fi
}

stub_unsupported() {
  echo "stub ${STUB_TOOL}: unsupported call: $*" >&2
  exit 99
}

# Value of "--flag value" or "--flag=value" in the arguments, empty if absent.
stub_flag() {
  local name=$1
  shift
  while (($# > 0)); do
    case "$1" in
      "${name}") echo "${2:-}" && return ;;
      "${name}"=*) echo "${1#*=}" && return ;;
    esac
    shift
  done
}

stub_has() {
  local want=$1 arg
  shift
  for arg in "$@"; do
    [[ ${arg} == "${want}" ]] && return 0
  done
  return 1
}

stub_counter() {
  local file="${STUB_STATE}/counter-$1" n=0
  [[ -f ${file} ]] && n="$(cat "${file}")"
  n=$((n + 1))
  echo "${n}" >"${file}"
  echo "${n}"
}

stub_record "$@"
stub_maybe_fail "$@"
