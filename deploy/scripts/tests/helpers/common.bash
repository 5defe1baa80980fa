# shellcheck shell=bash
# Loaded by every deploy/scripts/tests/*.bats file (`load helpers/common`):
# bats-support and bats-assert, the repository root, and the assertions on
# files that bats-assert (which checks $output) does not have. Patterns are
# grep -E regular expressions, matched line by line.
# shellcheck disable=SC2034,SC2154  # ROOT, FIXTURES for the test files; bats sets output and status

bats_require_minimum_version 1.7.0
bats_load_library bats-support
bats_load_library bats-assert

ROOT="$(cd "${BATS_TEST_DIRNAME}/../../.." && pwd)"
TESTS_DIR="${BATS_TEST_DIRNAME}"
FIXTURES="${TESTS_DIR}/fixtures"

# The last lines of FILE, for a failure message.
file_tail() {
  if [[ -s $1 ]]; then tail -n 40 "$1"; else echo "(empty)"; fi
}

# assert_file_matches FILE PATTERN: some line of FILE matches.
assert_file_matches() {
  local file=$1 pattern=$2
  grep -qE -- "${pattern}" "${file}" && return 0
  batslib_print_kv_single_or_multi 8 file "${file}" pattern "${pattern}" content "$(file_tail "${file}")" |
    batslib_decorate 'no line of the file matches' | fail
}

# refute_file_matches FILE PATTERN: no line of FILE matches.
refute_file_matches() {
  local file=$1 pattern=$2 hit
  hit="$(grep -m1 -E -- "${pattern}" "${file}")" || return 0
  batslib_print_kv_single_or_multi 8 file "${file}" pattern "${pattern}" line "${hit}" |
    batslib_decorate 'a line of the file matches' | fail
}

# count_matching_lines FILE PATTERN: prints how many lines match.
count_matching_lines() {
  grep -cE -- "$2" "$1" || true
}

# assert_lines_in_order FILE PATTERN...: each pattern matches a line after
# the line the previous one matched.
assert_lines_in_order() {
  local file=$1 pattern line last=0
  shift
  for pattern in "$@"; do
    line="$(grep -nE -- "${pattern}" "${file}" | cut -d: -f1 | awk -v from="${last}" '$1 > from { print; exit }')"
    if [[ -z ${line} ]]; then
      batslib_print_kv_single_or_multi 8 file "${file}" pattern "${pattern}" after "line ${last}" \
        content "$(file_tail "${file}")" | batslib_decorate 'no line matches after the previous pattern' | fail
      return 1
    fi
    last=${line}
  done
}

# assert_output_in_order PATTERN...: the same on $output (of the last `run`).
assert_output_in_order() {
  local file="${BATS_TEST_TMPDIR}/output-in-order"
  printf '%s\n' "${output}" >"${file}"
  assert_lines_in_order "${file}" "$@"
}
