#!/usr/bin/env bats
# deploy/scripts/push-image against stand-ins for AWS (tests/stubs/; see
# helpers/stubbed-aws.bash): the index make image built, pushed by digest as
# git-<commit> once; no index, no repository, bad input, a failed push, and a
# tag that already names another digest.

load helpers/common
load helpers/stubbed-aws

setup_file() { stubbed_aws_setup_file; }
setup() { new_sandbox; }
teardown() { stubbed_aws_teardown; }

# make image in the sandbox (the stand-in make writes build/image like the real one).
build_index() { (cd "${REPO}" && make image >/dev/null); }

@test "with stubbed AWS: push-image pushes the built index by digest as git-<commit>, once" {
  run_script push-image --repository hello/hello-server --region eu-west-2 </dev/null
  assert_failure 2
  assert_output --regexp 'no image index in .*: run make image first'
  build_index
  : >"${STUB_LOG}"
  run_script push-image --repository hello/hello-server --region eu-west-2 </dev/null
  assert_success
  local tag digest
  tag="git-$(git -C "${REPO}" rev-parse HEAD)"
  digest="$(cat "${REPO}/build/image/digest")"
  assert_equal "$(cat "${STUB_STATE}/ecr-${tag}")" "${digest}"
  assert_lines_in_order "${STUB_LOG}" '^aws sts get-caller-identity' "^aws ecr describe-images .*imageTag=${tag} " \
    '^skopeo login --username AWS --password-stdin 123456789012\.dkr\.ecr\.eu-west-2\.amazonaws\.com$' \
    "^skopeo copy .*docker://123456789012\.dkr\.ecr\.eu-west-2\.amazonaws\.com/hello/hello-server@${digest}$" \
    "^skopeo copy .*docker://123456789012\.dkr\.ecr\.eu-west-2\.amazonaws\.com/hello/hello-server:${tag}$"
  refute_file_matches "${STUB_LOG}" '^make |^docker '
  assert_equal "${lines[-1]}" "123456789012.dkr.ecr.eu-west-2.amazonaws.com/hello/hello-server@${digest}"
  : >"${STUB_LOG}"
  run_script push-image --repository hello/hello-server --region eu-west-2 </dev/null
  assert_success
  assert_output --partial 'is already in ECR'
  refute_file_matches "${STUB_LOG}" '^skopeo (copy|login)'
}

@test "with stubbed AWS: push-image without the repository, bad input, failed push, a tag on another digest" {
  build_index
  STUB_ECR_NO_REPOSITORY=1 run_script push-image --repository hello/hello-server </dev/null
  assert_failure 2
  assert_output --partial 'apply deploy/terraform/registry first'
  refute_file_matches "${STUB_LOG}" '^skopeo (copy|login)'
  run_script push-image --repository 'Bad Name' </dev/null
  assert_failure 2
  STUB_FAIL='^skopeo copy' run_script push-image --repository hello/hello-server </dev/null
  assert_failure 1
  assert_output --partial 'simulated failure of: skopeo copy'
  assert_equal "$(find "${SB}/tmp" -name 'registry-auth' -print -quit)" ""
  # Another build under the same commit's tag (tags are immutable): refused, not overwritten.
  echo "sha256:$(printf 'b%.0s' {1..64})" >"${STUB_STATE}/ecr-git-$(git -C "${REPO}" rev-parse HEAD)"
  run_script push-image --repository hello/hello-server </dev/null
  assert_failure 1
  assert_output --regexp 'already names sha256:b+, not this build'
}
