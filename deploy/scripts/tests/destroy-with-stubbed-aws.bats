#!/usr/bin/env bats
# deploy/scripts/destroy against stand-ins for AWS (tests/stubs/; see
# helpers/stubbed-aws.bash): the Kubernetes objects before the infrastructure,
# confirmations, --purge-state and its typed bucket name, failures and reruns.

load helpers/common
load helpers/stubbed-aws

setup_file() { stubbed_aws_setup_file; }
setup() { new_sandbox; }
teardown() { stubbed_aws_teardown; }

# A sandbox where deploy has run; the call log starts empty.
deployed() {
  deploy --env dev --yes
  assert_success
  : >"${STUB_LOG}"
}

@test "with stubbed AWS: destroy --help and bad arguments" {
  destroy --help
  assert_success
  assert_line --regexp '^Usage: deploy/scripts/destroy --env ENV'
  assert_output --partial '--purge-state'
  destroy --env dev --bogus
  assert_failure 2
  assert_equal "$(wc -c <"${STUB_LOG}")" 0
}

@test "with stubbed AWS: destroy deletes Kubernetes objects before the infrastructure; runs twice" {
  deployed
  destroy --env dev --yes
  assert_success
  assert_lines_in_order "${STUB_LOG}" '^aws eks update-kubeconfig --region eu-west-2 --name hello-dev' \
    '^kubectl --context hello-dev delete -k \S+ --ignore-not-found=true --wait=true' \
    '^terraform -chdir=\S*/deploy/terraform apply -input=false -auto-approve -lock-timeout=5m -target=aws_lb\.this .*-var=alb_deletion_protection=false$' \
    '^terraform -chdir=\S*/deploy/terraform destroy -input=false -auto-approve .*-var-file=environments/dev\.tfvars -var=region=eu-west-2'
  assert_equal "$(count_matching_lines "${STUB_LOG}" '^terraform .* destroy')" 1
  assert_equal "$(ls -A "${STUB_STATE}/k8s")" ""
  [[ -f ${STUB_STATE}/bucket-hello-tfstate-123456789012-eu-west-2 ]] ||
    fail "the state bucket was deleted without --purge-state"
  refute_file_matches "${STUB_LOG}" '^aws s3api delete|^aws ecr batch-delete'
  assert_output --partial 'hello-dev is destroyed'
  assert_tree_unchanged
  : >"${STUB_LOG}"
  destroy --env dev --yes
  assert_success
  assert_output --partial 'no cluster in the state: nothing to delete'
  refute_file_matches "${STUB_LOG}" '^kubectl .* delete'
  # -target on an empty state would create the load balancer: not called.
  refute_file_matches "${STUB_LOG}" '^terraform .* apply'
}

@test "with stubbed AWS: destroy asks for the environment name unless --yes" {
  deployed
  destroy --env dev
  assert_failure 2
  printf 'prod\n' >"${SB}/answers"
  run_script destroy --env dev <"${SB}/answers"
  assert_failure 2
  assert_output --partial "expected 'dev'"
  refute_file_matches "${STUB_LOG}" '^kubectl .* delete|^terraform .* destroy|^aws ecr batch-delete'
  printf 'dev\n' >"${SB}/answers"
  run_script destroy --env dev <"${SB}/answers"
  assert_success
}

@test "with stubbed AWS: destroy --purge-state needs the typed bucket name, even with --yes" {
  deployed
  printf 'yes\n' >"${SB}/answers"
  run_script destroy --env dev --yes --purge-state <"${SB}/answers"
  assert_failure 2
  assert_output --partial "expected 'hello-tfstate-123456789012-eu-west-2'"
  # Only the checks ran before the question.
  assert_equal "$(wc -l <"${STUB_LOG}")" \
    "$(count_matching_lines "${STUB_LOG}" '^(aws (--version|sts)|terraform version|kubectl version)')"
  destroy --env dev --yes --purge-state
  assert_failure 2
  refute_file_matches "${STUB_LOG}" '^kubectl .* delete|^terraform .* destroy|^aws s3api delete'
}

@test "with stubbed AWS: destroy --purge-state deletes the state versions, then the bucket" {
  deployed
  printf 'hello-tfstate-123456789012-eu-west-2\n' >"${SB}/answers"
  run_script destroy --env dev --yes --purge-state <"${SB}/answers"
  assert_success
  assert_lines_in_order "${STUB_LOG}" '^kubectl .* delete -k' '^terraform .* destroy' \
    '^aws s3api delete-objects .*--bucket hello-tfstate-123456789012-eu-west-2 --delete \{"Objects":\[\{"Key":"hello/dev/terraform\.tfstate"' \
    '^aws s3api delete-bucket .*--bucket hello-tfstate-123456789012-eu-west-2'
  assert_output --partial '==> [5/5] purge-state'
  [[ ! -f ${STUB_STATE}/bucket-hello-tfstate-123456789012-eu-west-2 ]] || fail "the bucket is still there"
  assert_equal "$(find "${STUB_STATE}" -name 'object-*' -print -quit)" ""
}

@test "with stubbed AWS: destroy --purge-state keeps a bucket that holds another environment" {
  deployed
  echo "v1prod" >"${STUB_STATE}/object-hello~prod~terraform.tfstate.v1"
  printf 'hello-tfstate-123456789012-eu-west-2\n' >"${SB}/answers"
  run_script destroy --env dev --yes --purge-state <"${SB}/answers"
  assert_success
  assert_output --regexp "still holds another environment's state .*hello/prod/terraform.tfstate.*the bucket is kept"
  refute_file_matches "${STUB_LOG}" '^aws s3api delete-bucket'
  [[ -f ${STUB_STATE}/object-hello~prod~terraform.tfstate.v1 ]] || fail "prod's state was deleted"
}

@test "with stubbed AWS: destroy with nothing deployed is a no-op" {
  destroy --env dev --yes
  assert_success
  assert_output --partial 'does not exist: nothing was deployed'
  refute_file_matches "${STUB_LOG}" '^terraform -chdir|^kubectl --context'
}

@test "with stubbed AWS: destroy stops before terraform destroy when the Kubernetes delete fails" {
  deployed
  STUB_FAIL='^kubectl .* delete' destroy --env dev --yes
  assert_failure 1
  assert_output --partial '✗ step 3/4 "kubernetes" failed'
  assert_output --regexp 'to resume: .*destroy --env dev --yes'
  refute_file_matches "${STUB_LOG}" '^terraform .* destroy'
  destroy --env dev --yes --skip-kubernetes
  assert_success
  assert_file_matches "${STUB_LOG}" '^terraform .* destroy'
}

@test "with stubbed AWS: destroy without AWS credentials: exit 2 after the probes, nothing changed" {
  deployed
  STUB_AWS_NO_CREDENTIALS=1 destroy --env dev --yes
  assert_failure 2
  assert_output --partial 'no usable AWS credentials'
  assert_only_probes_called
  refute_file_matches "${STUB_LOG}" "${MUTATING}"
}
