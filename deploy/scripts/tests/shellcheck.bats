#!/usr/bin/env bats
# Every shell script of the repository passes shellcheck: found by name (.sh,
# .bash, .bats) or by a shell shebang; fixtures are left out on purpose.

load helpers/common

# Tracked files plus everything present under the script folders, kept when the
# first line is a shell shebang or the name ends in .sh, .bash or .bats.
shell_scripts() {
  {
    git -C "${ROOT}" ls-files 2>/dev/null || true
    local dir
    for dir in deploy scripts bench test .ci; do
      if [[ -d ${ROOT}/${dir} ]]; then
        (cd "${ROOT}" && find "${dir}" -type f -not -path '*/node_modules/*' -not -path '*/.terraform/*')
      fi
    done
  } | sort -u | while read -r file; do
    [[ -f ${ROOT}/${file} ]] || continue
    case "${file}" in
      */tests/fixtures/*) continue ;;
      *.sh | *.bash | *.bats) echo "${file}" && continue ;;
    esac
    if head -n 1 "${ROOT}/${file}" 2>/dev/null | grep -qE '^#!.*(/|env )(ba|da|k)?sh([[:space:]]|$)'; then
      echo "${file}"
    fi
  done
}

@test "shellcheck passes on every shell script of the repository" {
  local -a files
  mapfile -t files < <(shell_scripts)
  ((${#files[@]} > 0)) || fail "no shell script found"
  echo "# ${#files[@]} files"
  cd "${ROOT}"
  run shellcheck --external-sources --source-path=SCRIPTDIR "${files[@]}"
  assert_success
}

@test "shellcheck finds scripts by shebang and by name (deploy, the stubs, the bats files)" {
  run shell_scripts
  assert_success
  assert_line 'deploy/scripts/deploy'
  assert_line 'deploy/scripts/tests/stubs/terraform'
  assert_line 'deploy/scripts/tests/bats-suite'
  assert_line 'deploy/scripts/tests/deploy-with-stubbed-aws.bats'
  assert_line 'deploy/scripts/tests/helpers/stubbed-aws.bash'
  refute_line --partial 'tests/fixtures/'
}

@test "shellcheck fails on a broken fixture (the check can fail)" {
  run shellcheck "${FIXTURES}/broken-script"
  assert_failure
  assert_output --partial 'SC2086'
}
