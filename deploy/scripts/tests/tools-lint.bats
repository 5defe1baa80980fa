#!/usr/bin/env bats
# deploy/tools/lint, the offline lint of the tools image's Dockerfile: the real
# Dockerfile and a valid fixture pass; each broken fixture (valid except for the
# one defect its name says) fails with exit 1 and the rule it breaks.

load helpers/common

LINT="${ROOT}/deploy/tools/lint"

# lint_rejects FIXTURE RULE
lint_rejects() {
  run "${LINT}" "${FIXTURES}/tools/$1"
  assert_failure 1
  assert_line --regexp "^FAIL $2"
}

@test "tools Dockerfile passes the offline lint" {
  run "${LINT}" "${ROOT}/deploy/tools/Dockerfile"
  assert_success
}

@test "tools lint passes the valid fixture the broken ones derive from" {
  run "${LINT}" "${FIXTURES}/tools/good.Dockerfile"
  assert_success
}

@test "tools lint rejects unpinned-version.Dockerfile (pinned-versions)" {
  lint_rejects unpinned-version.Dockerfile pinned-versions
}

@test "tools lint rejects latest-tag.Dockerfile (no-latest)" {
  lint_rejects latest-tag.Dockerfile no-latest
}

@test "tools lint rejects missing-checksum.Dockerfile (checksum-verified)" {
  lint_rejects missing-checksum.Dockerfile checksum-verified
}

@test "tools lint rejects short-checksum.Dockerfile (checksums-present)" {
  lint_rejects short-checksum.Dockerfile checksums-present
}

@test "tools lint rejects root-user.Dockerfile (non-root-user)" {
  lint_rejects root-user.Dockerfile non-root-user
}

@test "tools lint rejects copies-credentials.Dockerfile (nothing-copied-in)" {
  lint_rejects copies-credentials.Dockerfile nothing-copied-in
}

@test "tools lint rejects curl-pipe-shell.Dockerfile (no-pipe-to-shell)" {
  lint_rejects curl-pipe-shell.Dockerfile no-pipe-to-shell
}

@test "tools lint rejects missing-tool.Dockerfile (tools-present)" {
  lint_rejects missing-tool.Dockerfile tools-present
}

@test "tools lint rejects apt-recommends.Dockerfile (apt-hygiene)" {
  lint_rejects apt-recommends.Dockerfile apt-hygiene
}

@test "tools lint rejects no-pipefail.Dockerfile (pipefail)" {
  lint_rejects no-pipefail.Dockerfile pipefail
}

@test "tools lint rejects check-after-use.Dockerfile (checksum-verified)" {
  lint_rejects check-after-use.Dockerfile checksum-verified
}
