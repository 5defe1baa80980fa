#!/usr/bin/env bats
# deploy/scripts/install-pinned-tools, the installer of pinned, checksum-verified
# binaries. The real downloads are not reachable here: a mirror directory
# stands in for them, so what is tested is the verification, not the network.

load helpers/common

INSTALLER="${ROOT}/deploy/scripts/install-pinned-tools"

# The tools image and the CI installer must not drift apart.
@test "install-pinned-tools pins the same terraform and kubectl as the tools image" {
  local tool upper version sha entry
  for tool in terraform kubectl; do
    upper=${tool^^}
    entry="$(grep -E "^  \"${tool}\|" "${INSTALLER}")"
    version="$(cut -d'|' -f2 <<<"${entry}")"
    sha="$(cut -d'|' -f4 <<<"${entry}")"
    assert_file_matches "${ROOT}/deploy/tools/Dockerfile" "^ARG ${upper}_VERSION=${version}$"
    assert_file_matches "${ROOT}/deploy/tools/Dockerfile" "^ARG ${upper}_SHA256=${sha}$"
  done
}

@test "install-pinned-tools --help and bad arguments" {
  run "${INSTALLER}" --help
  assert_success
  assert_line --regexp '^Usage: deploy/scripts/install-pinned-tools'
  run "${INSTALLER}" --bogus
  assert_failure 2
  run "${INSTALLER}" --dir "${BATS_TEST_TMPDIR}/bin" nosuchtool
  assert_failure 2
}

@test "install-pinned-tools refuses a download whose sha256 differs from the pin (offline mirror)" {
  local mirror="${BATS_TEST_TMPDIR}/mirror" dest="${BATS_TEST_TMPDIR}/bin"
  mkdir -p "${mirror}"
  printf 'not the real kubectl\n' >"${mirror}/kubectl"
  run "${INSTALLER}" --mirror "${mirror}" --dir "${dest}" kubectl
  assert_failure 1
  assert_output --partial 'kubectl: FAILED'
  [[ ! -e ${dest}/kubectl ]] || fail "an unverified kubectl was installed"
}

@test "install-pinned-tools installs a download whose sha256 matches (offline mirror)" {
  local mirror="${BATS_TEST_TMPDIR}/mirror" dest="${BATS_TEST_TMPDIR}/bin" sum
  mkdir -p "${mirror}"
  printf '#!/bin/sh\necho fake\n' >"${mirror}/kubectl"
  sum="$(sha256sum <"${mirror}/kubectl" | cut -c1-64)"
  run "${INSTALLER}" --mirror "${mirror}" --sha256 "kubectl=${sum}" --dir "${dest}" kubectl
  assert_success
  [[ -x ${dest}/kubectl ]] || fail "kubectl was not installed"
}
