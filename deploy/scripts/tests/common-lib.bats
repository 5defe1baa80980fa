#!/usr/bin/env bats
# deploy/scripts/lib/common.sh, the library the deploy scripts source: its
# functions live in the hello:: namespace, so sourcing it replaces none of the
# caller's (bats' own `run` and bats-support's `fail` among them).

load helpers/common

LIB="${ROOT}/deploy/scripts/lib/common.sh"

@test "lib/common.sh defines only hello:: functions" {
  # The functions sourcing adds (bats exports some of its own into the environment).
  run bash -c 'before="$(compgen -A function | sort)"
    source "$1"
    comm -13 <(printf "%s\n" "${before}") <(compgen -A function | sort)' _ "${LIB}"
  assert_success
  assert_line 'hello::run'
  refute_line --regexp '^([^h]|h[^e]|he[^l]|hel[^l]|hell[^o]|hello[^:]|hello:[^:])'
}

@test "a caller's run, fail and info survive sourcing lib/common.sh" {
  run bash -c '
    run() { echo "caller run"; }
    fail() { echo "caller fail"; }
    info() { echo "caller info"; }
    source "$1"
    run; fail; info' _ "${LIB}"
  assert_success
  assert_output $'caller run\ncaller fail\ncaller info'
}

@test "bats' run and fail still work in a test that sources lib/common.sh" {
  # shellcheck source=../lib/common.sh
  source "${LIB}"
  run hello::version_ge 1.9.8 1.10.0
  assert_failure 1
  [[ $(type -t fail) == function ]] && [[ $(declare -f fail) == *batslib* ]] ||
    fail "fail is not bats-support's any more"
}

@test "hello::version_ge compares versions field by field, ignoring prefixes and suffixes" {
  # shellcheck source=../lib/common.sh
  source "${LIB}"
  local entry have want expected
  for entry in "1.11.4 1.10.0 0" "1.10.0 1.10.0 0" "1.9.8 1.10.0 1" "v1.35.2-eks-1234567 1.34.0 0" \
    "1.33.9 1.34.0 1" "2.28.11 2.0.0 0" "1.45.11 2.0.0 1" "19.03.15 20.10.0 1" "27.5.1 20.10.0 0"; do
    read -r have want expected <<<"${entry}"
    run hello::version_ge "${have}" "${want}"
    assert_equal "${have} >= ${want}: ${status}" "${have} >= ${want}: ${expected}"
  done
}
