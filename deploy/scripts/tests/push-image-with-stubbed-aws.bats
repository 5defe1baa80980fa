#!/usr/bin/env bats
# deploy/scripts/push-image against stand-ins for AWS (tests/stubs/; see
# helpers/stubbed-aws.bash): one build and push per commit, nothing to do
# before the first deploy, bad input and a failed push.

load helpers/common
load helpers/stubbed-aws

setup_file() { stubbed_aws_setup_file; }
setup() { new_sandbox; }
teardown() { stubbed_aws_teardown; }

@test "with stubbed AWS: push-image builds and pushes the commit's image once" {
  run_script push-image --repository hello-dev/hello-server --region eu-west-2 </dev/null
  assert_success
  local tag digest
  tag="$(git -C "${REPO}" rev-parse --short=12 HEAD)"
  digest="$(cat "${STUB_STATE}/ecr-${tag}")"
  assert_lines_in_order "${STUB_LOG}" '^aws sts get-caller-identity' '^aws ecr describe-images .*imageTag=' '^make -C \S+ image$' \
    "^docker tag hello-server:${tag} 123456789012\.dkr\.ecr\.eu-west-2\.amazonaws\.com/hello-dev/hello-server:${tag}$" \
    "^docker push 123456789012\.dkr\.ecr\.eu-west-2\.amazonaws\.com/hello-dev/hello-server:${tag}$"
  assert_equal "${lines[-1]}" "${digest}"
  : >"${STUB_LOG}"
  run_script push-image --repository hello-dev/hello-server --region eu-west-2 </dev/null
  assert_success
  assert_output --partial 'is already in ECR'
  refute_file_matches "${STUB_LOG}" '^make |^docker (tag|push|login)'
}

@test "with stubbed AWS: push-image before the first deploy, bad input, failed push" {
  STUB_ECR_NO_REPOSITORY=1 run_script push-image --repository hello-dev/hello-server </dev/null
  assert_success
  assert_output --partial 'does not exist yet: deploy/scripts/deploy pushes the image after Terraform creates it'
  refute_file_matches "${STUB_LOG}" '^make |^docker (tag|push|login)'
  run_script push-image --repository 'Bad Name' </dev/null
  assert_failure 2
  STUB_FAIL='^docker push' run_script push-image --repository hello-dev/hello-server </dev/null
  assert_failure 1
  assert_output --partial 'simulated failure of: docker push'
  assert_equal "$(find "${SB}/tmp" -name 'docker-config' -print -quit)" ""
}
