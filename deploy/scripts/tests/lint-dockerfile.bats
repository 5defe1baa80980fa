#!/usr/bin/env bats
# deploy/tools/lint-dockerfile, the offline lint of the tools image's Dockerfile: the real
# Dockerfile and a valid fixture pass; each broken fixture (valid except for the
# one defect its name says) fails with exit 1 and the rule it breaks.

load helpers/common

LINT="${ROOT}/deploy/tools/lint-dockerfile"

# lint_rejects FIXTURE RULE
lint_rejects() {
  run "${LINT}" "${FIXTURES}/tools/$1"
  assert_failure 1
  assert_line --regexp "^FAIL $2"
}

@test "lint-dockerfile passes the tools Dockerfile" {
  run "${LINT}" "${ROOT}/deploy/tools/Dockerfile"
  assert_success
}

@test "lint-dockerfile passes the valid fixture the broken ones derive from" {
  run "${LINT}" "${FIXTURES}/tools/good.Dockerfile"
  assert_success
}

@test "lint-dockerfile rejects unpinned-version.Dockerfile (pinned-versions)" {
  lint_rejects unpinned-version.Dockerfile pinned-versions
}

@test "lint-dockerfile rejects latest-tag.Dockerfile (no-latest)" {
  lint_rejects latest-tag.Dockerfile no-latest
}

@test "lint-dockerfile rejects missing-checksum.Dockerfile (checksum-verified)" {
  lint_rejects missing-checksum.Dockerfile checksum-verified
}

@test "lint-dockerfile rejects short-checksum.Dockerfile (checksums-present)" {
  lint_rejects short-checksum.Dockerfile checksums-present
}

@test "lint-dockerfile rejects root-user.Dockerfile (non-root-user)" {
  lint_rejects root-user.Dockerfile non-root-user
}

@test "lint-dockerfile rejects copies-credentials.Dockerfile (nothing-copied-in)" {
  lint_rejects copies-credentials.Dockerfile nothing-copied-in
}

@test "lint-dockerfile rejects curl-pipe-shell.Dockerfile (no-pipe-to-shell)" {
  lint_rejects curl-pipe-shell.Dockerfile no-pipe-to-shell
}

@test "lint-dockerfile rejects missing-tool.Dockerfile (tools-present)" {
  lint_rejects missing-tool.Dockerfile tools-present
}

@test "lint-dockerfile rejects apt-recommends.Dockerfile (apt-hygiene)" {
  lint_rejects apt-recommends.Dockerfile apt-hygiene
}

@test "lint-dockerfile rejects no-pipefail.Dockerfile (pipefail)" {
  lint_rejects no-pipefail.Dockerfile pipefail
}

@test "lint-dockerfile rejects check-after-use.Dockerfile (checksum-verified)" {
  lint_rejects check-after-use.Dockerfile checksum-verified
}
