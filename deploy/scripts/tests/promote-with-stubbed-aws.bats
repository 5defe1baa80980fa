#!/usr/bin/env bats
# The pipeline's deploy half against stand-ins for AWS and the cluster
# (tests/stubs/; see helpers/stubbed-aws.bash and what each stand-in models):
# the deploy tags of the shared repository, promotion of dev's digest to prod,
# the automatic rollback of a failed rollout, the rollback script, and a
# person's temporary API access restored on every exit. No AWS is reachable.

load helpers/common
load helpers/stubbed-aws

setup_file() { stubbed_aws_setup_file; }
setup() { new_sandbox; }
teardown() { stubbed_aws_teardown; }

deploy_to() { run_script deploy --yes "$@" </dev/null; }

seed() { "${SB}/stubs/stub-ecr-seed" "$@"; }
hello_image() { sed -nE 's/^ +image: (.*)$/\1/p' "${STUB_STATE}/k8s/deployment_opendelta_hello" | head -n 1; }
readonly REPO_URL=123456789012.dkr.ecr.eu-west-2.amazonaws.com/hello/hello-server

@test "with stubbed AWS: a deploy tags deployed-<env>-<UTC> before the rollout, running-<env> after its checks" {
  local a
  a="$(seed git-aaaa)"
  deploy_to --env dev --image-digest "${a}"
  assert_success
  assert_lines_in_order "${STUB_LOG}" \
    "^aws ecr batch-get-image .*--image-ids imageDigest=${a} .*application/vnd\.oci\.image\.index\.v1\+json" \
    "^aws ecr put-image .*--image-tag deployed-dev-[0-9]{8}T[0-9]{6}Z --image-digest ${a} --image-manifest-media-type application/vnd\.oci\.image\.index\.v1\+json --image-manifest file://" \
    '^kubectl --context hello-dev apply --server-side ' '^kubectl .* rollout status deployment/hello' '^curl .*elb\.amazonaws\.com' \
    "^aws ecr put-image .*--image-tag running-dev --image-digest ${a} "
  assert_equal "$(cat "${STUB_STATE}/ecr-running-dev")" "${a}"
  assert_equal "$(hello_image)" "${REPO_URL}@${a}"
  [[ ! -e ${STUB_STATE}/ecr-previous-dev ]]
  # The next digest: previous-dev keeps the one it replaces, the rollback target.
  local b
  b="$(seed git-bbbb)"
  deploy_to --env dev --image-digest "${b}"
  assert_success
  assert_equal "$(cat "${STUB_STATE}/ecr-running-dev")" "${b}"
  assert_equal "$(cat "${STUB_STATE}/ecr-previous-dev")" "${a}"
  assert_equal "$(grep -lx "${a}" "${STUB_STATE}"/ecr-deployed-dev-* | wc -l)" 1
  assert_equal "$(grep -lx "${b}" "${STUB_STATE}"/ecr-deployed-dev-* | wc -l)" 1
}

@test "with stubbed AWS: prod deploys only the digest dev runs and checked" {
  local a b
  a="$(seed git-aaaa)"
  b="$(seed git-bbbb)"
  deploy_to --env prod --image-digest "${a}"
  assert_failure 1
  assert_output --partial 'dev has never run an image that passed its checks (no tag running-dev)'
  refute_file_matches "${STUB_LOG}" '^kubectl .* apply'
  deploy_to --env dev --image-digest "${a}"
  assert_success
  deploy_to --env prod --image-digest "${b}"
  assert_failure 1
  assert_output --partial "${b} is not what dev runs (running-dev is ${a}); deploy it to dev first"
  refute_file_matches "${STUB_LOG}" '^kubectl --context hello-prod apply'
  deploy_to --env prod --image-tag running-dev
  assert_success
  assert_output --partial "dev runs ${a} and passed its checks (running-dev)"
  assert_equal "$(cat "${STUB_STATE}/ecr-running-prod")" "${a}"
}

@test "with stubbed AWS: a failed rollout restores the previous ReplicaSet, running-<env> stays, the run fails" {
  local a b
  a="$(seed git-aaaa)"
  b="$(seed git-bbbb)"
  deploy_to --env dev --image-digest "${a}"
  assert_success
  STUB_ROLLOUT_FAILS_FOR="${b#sha256:}" deploy_to --env dev --image-digest "${b}"
  assert_failure 1
  assert_output --partial 'exceeded its progress deadline'
  assert_output --partial "rolled back: deployment/hello runs ${REPO_URL}@${a} again; running-dev was not moved"
  assert_output --partial '✗ step 6/6 "verify" failed'
  assert_lines_in_order "${STUB_LOG}" '^kubectl .* rollout status deployment/hello' \
    '^kubectl --context hello-dev -n opendelta rollout undo deployment/hello$' \
    '^kubectl --context hello-dev -n opendelta rollout status deployment/hello --timeout=600s$'
  assert_equal "$(hello_image)" "${REPO_URL}@${a}"
  assert_equal "$(cat "${STUB_STATE}/ecr-running-dev")" "${a}"
  # The HTTP check failing after a good rollout is rolled back the same way.
  : >"${STUB_LOG}"
  STUB_HTTP_NEVER=1 HELLO_HTTP_TIMEOUT=1 deploy_to --env dev --image-digest "${b}"
  assert_failure 1
  assert_output --partial 'answering Hello, world!: not reached'
  assert_file_matches "${STUB_LOG}" 'rollout undo deployment/hello'
  assert_equal "$(hello_image)" "${REPO_URL}@${a}"
}

@test "with stubbed AWS: a failure with nothing to roll back to, or on an unchanged image, undoes nothing" {
  local a
  a="$(seed git-aaaa)"
  STUB_ROLLOUT_FAILS_FOR="${a#sha256:}" deploy_to --env dev --image-digest "${a}"
  assert_failure 1
  assert_output --partial 'nothing to roll back to: deployment/hello ran nothing before this run'
  refute_file_matches "${STUB_LOG}" 'rollout undo'
  [[ ! -e ${STUB_STATE}/ecr-running-dev ]]
  deploy_to --env dev --image-digest "${a}"
  assert_success
  : >"${STUB_LOG}"
  STUB_HTTP_NEVER=1 HELLO_HTTP_TIMEOUT=1 deploy_to --env dev --image-digest "${a}"
  assert_failure 1
  assert_output --partial "nothing to roll back to: deployment/hello ran ${REPO_URL}@${a} before this run"
  refute_file_matches "${STUB_LOG}" 'rollout undo'
}

@test "with stubbed AWS: deploy/scripts/rollback after a failed post-deploy check, and again (no second undo)" {
  local a b
  a="$(seed git-aaaa)"
  b="$(seed git-bbbb)"
  deploy_to --env dev --image-digest "${a}"
  deploy_to --env dev --image-digest "${b}"
  assert_success
  run_script rollback --env dev --failed-digest "${b}" </dev/null
  assert_success
  assert_output --partial "running-dev -> ${a} (restored)"
  assert_equal "$(hello_image)" "${REPO_URL}@${a}"
  assert_equal "$(cat "${STUB_STATE}/ecr-running-dev")" "${a}"
  run_script rollback --env dev --failed-digest "${b}" </dev/null
  assert_success
  assert_output --partial 'nothing to undo'
  assert_equal "$(count_matching_lines "${STUB_LOG}" 'rollout undo')" 1
  assert_equal "$(hello_image)" "${REPO_URL}@${a}"
  run_script rollback --env dev --failed-digest nope </dev/null
  assert_failure 2
}

@test "with stubbed AWS: the stand-in put-image fails the way ECR does" {
  local a b tags="${REPO}/deploy/scripts/image-tags"
  a="$(seed git-aaaa)"
  b="$(seed git-bbbb)"
  # The tag already names the digest: ECR's ImageAlreadyExistsException, which tagging treats as done.
  run aws ecr put-image --repository-name hello/hello-server --image-tag git-aaaa --image-digest "${a}" \
    --image-manifest "file://${STUB_STATE}/ecr-manifest-${a#sha256:}"
  assert_failure 254
  assert_output --partial 'ImageAlreadyExistsException'
  # An immutable tag on another digest.
  run aws ecr put-image --repository-name hello/hello-server --image-tag git-aaaa --image-digest "${b}" \
    --image-manifest "file://${STUB_STATE}/ecr-manifest-${b#sha256:}"
  assert_failure 254
  assert_output --partial 'ImageTagAlreadyExistsException'
  # The manifest's bytes changed (the CLI's newline kept): the digest no longer matches.
  printf '%s\n' "$(cat "${STUB_STATE}/ecr-manifest-${a#sha256:}")" >"${SB}/with-newline"
  run aws ecr put-image --repository-name hello/hello-server --image-tag x --image-digest "${a}" --image-manifest "file://${SB}/with-newline"
  assert_failure 254
  assert_output --partial 'ImageDigestDoesNotMatchException'
  # An index whose manifest has no mediaType needs --image-manifest-media-type.
  local bare hex
  bare='{"schemaVersion":2,"manifests":[]}'
  hex="$(printf '%s' "${bare}" | sha256sum | cut -c1-64)"
  printf '%s' "${bare}" >"${STUB_STATE}/ecr-manifest-${hex}"
  echo application/vnd.oci.image.index.v1+json >"${STUB_STATE}/ecr-mediatype-${hex}"
  run aws ecr put-image --repository-name hello/hello-server --image-tag y --image-digest "sha256:${hex}" \
    --image-manifest "file://${STUB_STATE}/ecr-manifest-${hex}"
  assert_failure 254
  assert_output --partial "InvalidParameterException"
  # The index is not returned unless an index media type is accepted.
  run aws ecr batch-get-image --repository-name hello/hello-server --image-ids "imageDigest=${a}" --query 'images[0].imageManifest' --output text
  assert_output None
  # image-tags passes all of it: the bare index gets a tag, the same tag twice is fine, moving running-* too.
  run "${tags}" mark-deploying dev "sha256:${hex}"
  assert_success
  run "${tags}" record-running dev "${a}"
  assert_success
  run "${tags}" record-running dev "${a}"
  assert_success
  run "${tags}" record-running dev "${b}"
  assert_success
  assert_equal "$(cat "${STUB_STATE}/ecr-previous-dev")" "${a}"
  run "${tags}" require-ran-in dev "${a}"
  assert_failure 1
}

@test "with stubbed AWS: --api-cidr auto opens the endpoint for the run and restores the tfvars' setting, even on failure" {
  local a
  a="$(seed git-aaaa)"
  deploy_to --env dev --image-digest "${a}"
  assert_success
  assert_equal "$(cat "${STUB_STATE}"/tfstate-s3-*.cidrs)" '[]'
  : >"${STUB_LOG}"
  STUB_FAIL='^kubectl .* apply --server-side' deploy_to --env dev --image-digest "${a}" --api-cidr auto
  assert_failure 1
  assert_output --partial '✗ step 5/7 "kubernetes" failed'
  assert_lines_in_order "${STUB_LOG}" \
    '^terraform .* output -json cluster_endpoint_public_access_cidrs' \
    '^terraform .* plan .*-var=cluster_endpoint_public_access=true -var=cluster_endpoint_public_access_cidrs=\["203\.0\.113\.7/32"\]$' \
    '^terraform .* apply ' '^kubectl .* apply --server-side' \
    '^terraform .* plan .*-out=\S+restore-api\.tfplan -var-file=environments/dev\.tfvars -var=region=eu-west-2$' \
    '^terraform .* apply .*restore-api\.tfplan$'
  assert_equal "$(cat "${STUB_STATE}"/tfstate-s3-*.cidrs)" '[]'
  # Success: step 7 restores it, and the run says who may reach the endpoint.
  deploy_to --env dev --image-digest "${a}" --api-cidr auto
  assert_success
  assert_output --partial '==> [7/7] api-access'
  assert_output --partial 'the Kubernetes API endpoint is public for: nobody (private only)'
  assert_equal "$(cat "${STUB_STATE}"/tfstate-s3-*.cidrs)" '[]'
  # Another person's session is open (the state differs from the tfvars): stop, change nothing.
  echo '["198.51.100.9/32"]' >"$(echo "${STUB_STATE}"/tfstate-s3-*.cidrs)"
  : >"${STUB_LOG}"
  deploy_to --env dev --image-digest "${a}" --api-cidr auto
  assert_failure 2
  assert_output --partial 'another --api-cidr session is open'
  refute_file_matches "${STUB_LOG}" '^terraform .* (plan|apply)'
}

@test "with stubbed AWS: --api-cidr keeps the CIDRs the tfvars list and restores exactly them" {
  local a
  a="$(seed git-aaaa)"
  printf 'cluster_endpoint_public_access = true\ncluster_endpoint_public_access_cidrs = [\n  "198.51.100.0/24",\n]\n' \
    >>"${REPO}/deploy/terraform/environments/dev.tfvars"
  git -C "${REPO}" -c user.name=t -c user.email=t@example.invalid commit -qam 'office range'
  deploy_to --env dev --image-digest "${a}"
  assert_success
  assert_equal "$(cat "${STUB_STATE}"/tfstate-s3-*.cidrs)" '["198.51.100.0/24"]'
  deploy_to --env dev --image-digest "${a}" --api-cidr 192.0.2.10/32
  assert_success
  assert_file_matches "${STUB_LOG}" 'cluster_endpoint_public_access_cidrs=\["192\.0\.2\.10/32","198\.51\.100\.0/24"\]$'
  assert_equal "$(cat "${STUB_STATE}"/tfstate-s3-*.cidrs)" '["198.51.100.0/24"]'
}

@test "with stubbed AWS: CI's halves: --plan-only --save-plan, then --apply-plan of that file" {
  local a plans="${SB}/plans"
  a="$(seed git-aaaa)"
  deploy_to --env dev --image-digest "${a}"
  assert_success
  echo '["198.51.100.9/32"]' >"$(echo "${STUB_STATE}"/tfstate-s3-*.cidrs)"
  deploy_to --env dev --plan-only --save-plan "${plans}"
  assert_success
  [[ -s ${plans}/dev.tfplan && -s ${plans}/dev.tfplan.txt ]]
  (cd "${plans}" && sha256sum -c dev.tfplan.sha256)
  assert_file_matches "${plans}/dev.tfplan.txt" 'Plan: 0 to add, 1 to change'
  : >"${STUB_LOG}"
  deploy_to --env dev --apply-plan "${plans}/dev.tfplan" --image-digest "${a}"
  assert_success
  assert_file_matches "${STUB_LOG}" "^terraform -chdir=\S+ apply -input=false -lock-timeout=5m ${plans}/dev\.tfplan$"
  refute_file_matches "${STUB_LOG}" '^terraform .* plan '
  # The state moved since: Terraform refuses the stale plan, nothing is deployed.
  : >"${STUB_LOG}"
  deploy_to --env dev --apply-plan "${plans}/dev.tfplan" --image-digest "${a}"
  assert_failure 1
  assert_output --partial 'Saved plan is stale'
  refute_file_matches "${STUB_LOG}" '^kubectl .* apply'
  CI=true deploy_to --env dev --apply-plan "${plans}/dev.tfplan" --image-digest "${a}" --api-cidr auto
  assert_failure 2
}

@test "with stubbed AWS: two digests deployed in the same second get two deployed-<env>-* tags" {
  local a b tags="${REPO}/deploy/scripts/image-tags"
  a="$(seed git-aaaa)"
  b="$(seed git-bbbb)"
  run "${tags}" mark-deploying dev "${a}"
  assert_success
  run "${tags}" mark-deploying dev "${b}"
  assert_success
  assert_equal "$(grep -lx "${a}" "${STUB_STATE}"/ecr-deployed-dev-* | wc -l)" 1
  assert_equal "$(grep -lx "${b}" "${STUB_STATE}"/ecr-deployed-dev-* | wc -l)" 1
}
