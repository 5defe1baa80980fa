#!/usr/bin/env bats
# deploy/scripts/deploy against stand-ins for AWS (tests/stubs/: aws,
# terraform, kubectl, docker, curl, make, skopeo; see helpers/stubbed-aws.bash):
# the steps in order, the plan applied once, the digest of git-<commit> in the
# rendered Deployment and the deploy tags, a failure at each step, missing
# prerequisites, the second run, bounded waits, --plan-only, confirmations,
# --image-tag/--image-digest and the API endpoint's access.

load helpers/common
load helpers/stubbed-aws

setup_file() { stubbed_aws_setup_file; }
setup() { new_sandbox; }
teardown() { stubbed_aws_teardown; }

@test "with stubbed AWS: deploy --help names the options and minimum versions" {
  deploy --help
  assert_success
  assert_line --regexp '^Usage: deploy/scripts/deploy --env ENV'
  assert_output --regexp 'terraform >= 1\.10'
  assert_output --regexp 'kubectl >= 1\.34'
  assert_output --regexp 'within one minor version of the'
  assert_output --regexp 'cluster, EKS 1\.35\)'
  assert_output --partial 'AWS CLI v2'
  assert_output --regexp 'docker >= 20\.10'
  assert_output --partial '--plan-only'
  assert_output --partial '--image-tag'
  assert_equal "$(wc -c <"${STUB_LOG}")" 0
}

@test "with stubbed AWS: deploy rejects bad arguments with exit 2 and changes nothing" {
  local -a cases=(
    "|--env is required"
    "--env|--env needs a value"
    "--env dev --bogus|unknown argument '--bogus'"
    "--env staging|no environment 'staging'.*available: dev prod"
    "--env DEV;rm|invalid --env"
    "--env dev --region mars-1|invalid --region 'mars-1'"
    "--env dev --image-tag bad/tag|invalid --image-tag"
  )
  local entry args expected
  for entry in "${cases[@]}"; do
    args=${entry%%|*} expected=${entry#*|}
    # shellcheck disable=SC2086  # the case is a word list
    deploy ${args}
    assert_failure 2
    assert_output --regexp "${expected}"
  done
  assert_no_changes_made
  assert_tree_unchanged
}

# Without TOOL: exit 2 before any stand-in is called, the tool named.
deploy_without() {
  remove_stub "$1"
  deploy --env dev --yes
  assert_failure 2
  assert_output --partial "missing required tools: $1"
  assert_output --partial 'step 1/6 "preflight" stopped before this step changed anything'
  assert_equal "$(wc -c <"${STUB_LOG}")" 0
  assert_no_changes_made
  assert_tree_unchanged
}

@test "with stubbed AWS: deploy without aws: exit 2 before any call, nothing changed" {
  deploy_without aws
}

@test "with stubbed AWS: deploy without terraform: exit 2 before any call, nothing changed" {
  deploy_without terraform
}

@test "with stubbed AWS: deploy without kubectl: exit 2 before any call, nothing changed" {
  deploy_without kubectl
}

@test "with stubbed AWS: deploy without docker: exit 2 before any call, nothing changed" {
  deploy_without docker
}

@test "with stubbed AWS: deploy without curl: exit 2 before any call, nothing changed" {
  deploy_without curl
}

@test "with stubbed AWS: deploy without make: exit 2 before any call, nothing changed" {
  deploy_without make
}

@test "with stubbed AWS: deploy names every missing tool at once, with where to get it" {
  remove_stub terraform
  remove_stub kubectl
  deploy --env dev --yes
  assert_failure 2
  assert_output --partial 'missing required tools: terraform kubectl'
  assert_output --partial 'developer.hashicorp.com/terraform/install'
  assert_output --partial 'kubernetes.io/docs/tasks/tools'
}

@test "with stubbed AWS: deploy without AWS credentials: exit 2 after the probes, nothing changed" {
  STUB_AWS_NO_CREDENTIALS=1 deploy --env dev --yes
  assert_failure 2
  assert_output --partial 'no usable AWS credentials'
  assert_output --partial 'Unable to locate credentials'
  assert_output --partial 'aws configure sso'
  assert_only_probes_called
  assert_no_changes_made
  assert_tree_unchanged
}

# VARIABLE=VERSION makes a stand-in report an old version: refused, nothing changed.
deploy_rejects_old() {
  env "$1=$2" "${REPO}/deploy/scripts/deploy" --env dev --yes </dev/null >"${SB}/out" 2>&1 && {
    cat "${SB}/out"
    fail "$1=$2 was accepted"
  }
  cat "${SB}/out"
  assert_file_matches "${SB}/out" "$3"
  assert_no_changes_made
}

@test "with stubbed AWS: deploy rejects terraform older than 1.10" {
  deploy_rejects_old STUB_TERRAFORM_VERSION 1.9.8 'terraform 1.9.8 is older than the required 1.10.0'
}

@test "with stubbed AWS: deploy rejects AWS CLI v1" {
  deploy_rejects_old STUB_AWS_VERSION 1.45.11 'aws 1.45.11 is older than the required 2.0.0'
}

@test "with stubbed AWS: deploy rejects kubectl older than 1.34" {
  deploy_rejects_old STUB_KUBECTL_VERSION 1.33.9 'kubectl 1.33.9 is older than the required 1.34.0'
}

@test "with stubbed AWS: deploy rejects docker older than 20.10" {
  deploy_rejects_old STUB_DOCKER_VERSION 19.03.15 'docker 19.03.15 is older than the required 20.10.0'
}

@test "with stubbed AWS: deploy rejects a stopped Docker engine and a two-zone region" {
  STUB_DOCKER_DOWN=1 deploy --env dev --yes
  assert_failure 2
  assert_output --partial 'Docker engine is not reachable'
  STUB_AZ_COUNT=2 deploy --env dev --yes
  assert_failure 2
  assert_output --partial 'has 2 available zones; the deployment needs 3'
  assert_no_changes_made
}

@test "with stubbed AWS: deploy runs the steps in order, applies the plan once, deploys the pushed digest" {
  deploy --env dev --yes
  assert_success
  # Steps, in order, each with a numbered banner and the elapsed time.
  assert_output_in_order '==> \[1/6\] preflight: .*elapsed' '==> \[2/6\] state-bucket' '==> \[3/6\] infrastructure' \
    '==> \[4/6\] image' '==> \[5/6\] kubernetes' '==> \[6/6\] verify'
  # The calls, in order.
  assert_lines_in_order "${STUB_LOG}" '^aws sts get-caller-identity' '^aws ec2 describe-availability-zones' \
    '^aws s3api head-bucket --bucket hello-tfstate-123456789012-eu-west-2 ' \
    '^terraform -chdir=\S*/deploy/terraform/bootstrap init' \
    '^terraform -chdir=\S*/bootstrap apply .*-var=bucket_name=hello-tfstate-123456789012-eu-west-2' \
    '^terraform -chdir=\S*/deploy/terraform init .*-backend-config=bucket=hello-tfstate-123456789012-eu-west-2 -backend-config=key=hello/dev/terraform.tfstate -backend-config=region=eu-west-2' \
    '^terraform -chdir=\S*/deploy/terraform plan .*-detailed-exitcode -out=\S+\.tfplan -var-file=environments/dev\.tfvars -var=region=eu-west-2$' \
    '^terraform -chdir=\S*/deploy/terraform apply .*\.tfplan$' \
    '^terraform -chdir=\S*/deploy/terraform output -raw image_repository_url' \
    '^aws ecr describe-images .*--repository-name hello/hello-server --image-ids imageTag=git-[0-9a-f]{40} ' \
    '^make -C \S+ image' \
    '^skopeo copy .*docker://123456789012\.dkr\.ecr\.eu-west-2\.amazonaws\.com/hello/hello-server@sha256:' \
    '^skopeo copy .*docker://123456789012\.dkr\.ecr\.eu-west-2\.amazonaws\.com/hello/hello-server:git-[0-9a-f]{40}$' \
    '^aws eks update-kubeconfig --region eu-west-2 --name hello-dev --alias hello-dev' \
    '^kubectl --context hello-dev version --request-timeout=' \
    '^aws ecr put-image .*--image-tag deployed-dev-[0-9]{8}T[0-9]{6}Z ' \
    '^kubectl --context hello-dev apply --server-side --force-conflicts --field-manager=hello-deploy --prune -l hello\.deploy/applied-by=deploy-scripts .*--prune-allowlist=apps/v1/Deployment .* -k ' \
    '^kubectl --context hello-dev -n opendelta rollout status deployment/hello' \
    '^kubectl --context hello-dev -n kube-system rollout status deployment/cluster-autoscaler' \
    '^aws elbv2 describe-target-health .*--target-group-arn arn:aws:elasticloadbalancing' \
    '^curl .*http://hello-dev-1234567890\.eu-west-2\.elb\.amazonaws\.com' \
    '^aws ecr put-image .*--image-tag running-dev '
  refute_file_matches "${STUB_LOG}" 'checkip|cluster_endpoint_public_access|^docker (push|tag)'
  # The registry login (a pipe: its two sides log in either order) comes before the push.
  assert_lines_in_order "${STUB_LOG}" '^make ' '^aws ecr get-login-password --region eu-west-2$' '^skopeo copy'
  assert_lines_in_order "${STUB_LOG}" '^make ' \
    '^skopeo login --username AWS --password-stdin 123456789012\.dkr\.ecr\.eu-west-2\.amazonaws\.com$' '^skopeo copy'
  # The plan is applied once, and it is the plan that was written.
  assert_equal "$(count_matching_lines "${STUB_LOG}" '^terraform -chdir=\S*/deploy/terraform apply')" 1
  local plan_out
  plan_out="$(sed -nE 's/^terraform .* plan .*-out=(\S+) .*/\1/p' "${STUB_LOG}")"
  assert_file_matches "${STUB_LOG}" "^terraform -chdir=\S*/deploy/terraform apply -input=false -lock-timeout=5m ${plan_out}$"
  # The digest pushed is the digest the rendered Deployment runs.
  local tag digest
  tag="git-$(git -C "${REPO}" rev-parse HEAD)"
  digest="$(cat "${STUB_STATE}/ecr-${tag}")"
  assert_regex "${digest}" '^sha256:[0-9a-f]{64}$'
  assert_file_matches "${STUB_STATE}/k8s/deployment_opendelta_hello" \
    "image: 123456789012\.dkr\.ecr\.eu-west-2\.amazonaws\.com/hello/hello-server@${digest}$"
  # The tags every deploy writes: deployed-dev-<UTC time>, and running-dev after the checks.
  assert_equal "$(cat "${STUB_STATE}/ecr-running-dev")" "${digest}"
  assert_equal "$(cat "${STUB_STATE}"/ecr-deployed-dev-*)" "${digest}"
  assert_file_matches "${STUB_STATE}/k8s/networkpolicy_opendelta_hello" 'cidr: "?10\.0\.0\.0/16'
  assert_file_matches "${STUB_STATE}/k8s/configmap_kube-system_cluster-autoscaler" 'cluster-name: "?hello-dev'
  assert_file_matches "${STUB_STATE}/k8s/configmap_kube-system_cluster-autoscaler" 'aws-region: "?eu-west-2'
  # The end: the URL and a table of step durations.
  assert_output --partial 'URL: http://hello-dev-1234567890.eu-west-2.elb.amazonaws.com'
  assert_output_in_order '^  step +duration$' '^  1 preflight +[0-9]+:[0-9]{2}$' '^  2 state-bucket ' \
    '^  3 infrastructure ' '^  4 image ' '^  5 kubernetes ' '^  6 verify ' '^  total +[0-9]+:[0-9]{2}$'
  # Nothing in the working copy changed, and the registry token did not stay on disk.
  assert_tree_unchanged
  assert_equal "$(find "${HOME}" -path '*registry-auth*' -print -quit)" ""
}

@test "with stubbed AWS: deploy second run is a no-op" {
  deploy --env dev --yes
  assert_success
  : >"${STUB_LOG}"
  deploy --env dev --yes
  assert_success
  assert_output --partial 'exists: nothing to do'
  assert_output --partial 'no infrastructure changes'
  assert_output --partial 'already in ECR: nothing to build or push'
  assert_output --partial 'deployment/hello already runs '
  assert_output --partial 'changes: none'
  refute_file_matches "${STUB_LOG}" '^terraform .* apply|^make |^skopeo (copy|login)'
  refute_line --regexp ' pruned$'
  assert_tree_unchanged
}

# One failing command per step: the run stops there with the step's name, the
# command's last output and how to resume, and calls nothing after it.
deploy_fails_at() {
  local number=$1 name=$2 pattern=$3
  STUB_FAIL="${pattern}" deploy --env dev --yes
  assert_failure 1
  assert_output --partial "✗ step ${number}/6 \"${name}\" failed"
  assert_line --regexp '^    \| .*simulated failure of'
  assert_output --partial 'to resume: fix the cause above, then run the same command again: deploy/scripts/deploy --env dev --yes'
  assert_regex "$(tail -n 1 "${STUB_LOG}")" "${pattern}"
  assert_equal "$(find "${HOME}" -name 'registry-auth' -print -quit)" ""
  assert_tree_unchanged
}

@test "with stubbed AWS: deploy stops at step 2 when the bootstrap apply fails, and says how to resume" {
  deploy_fails_at 2 state-bucket '^terraform -chdir=\S*/bootstrap apply'
}

@test "with stubbed AWS: deploy stops at step 3 when terraform init fails, and says how to resume" {
  deploy_fails_at 3 infrastructure '^terraform -chdir=\S*/deploy/terraform init'
}

@test "with stubbed AWS: deploy stops at step 3 when terraform plan fails, and says how to resume" {
  deploy_fails_at 3 infrastructure '^terraform -chdir=\S*/deploy/terraform plan'
}

@test "with stubbed AWS: deploy stops at step 3 when terraform apply fails, and says how to resume" {
  deploy_fails_at 3 infrastructure '^terraform -chdir=\S*/deploy/terraform apply'
}

@test "with stubbed AWS: deploy stops at step 4 when make image fails, and says how to resume" {
  deploy_fails_at 4 image '^make '
}

@test "with stubbed AWS: deploy stops at step 4 when the push by digest fails, and says how to resume" {
  deploy_fails_at 4 image '^skopeo copy'
}

@test "with stubbed AWS: deploy stops at step 5 when update-kubeconfig fails, and says how to resume" {
  deploy_fails_at 5 kubernetes '^aws eks update-kubeconfig'
}

@test "with stubbed AWS: deploy stops at step 5 when the API check fails, and says how to resume" {
  deploy_fails_at 5 kubernetes '^kubectl --context \S+ version'
}

@test "with stubbed AWS: deploy stops at step 5 when the deployed-<env> tag fails, and says how to resume" {
  deploy_fails_at 5 kubernetes '^aws ecr put-image'
}

@test "with stubbed AWS: deploy stops at step 5 when kubectl apply fails, and says how to resume" {
  deploy_fails_at 5 kubernetes '^kubectl .* apply --server-side'
}

@test "with stubbed AWS: deploy stops at step 6 when the rollout fails, and says how to resume" {
  deploy_fails_at 6 verify '^kubectl .* rollout status deployment/hello'
}

@test "with stubbed AWS: deploy wait for healthy targets is bounded in time and count" {
  STUB_TARGETS_NEVER_HEALTHY=1 HELLO_TARGETS_TIMEOUT=2 HELLO_POLL_INTERVAL=1 deploy --env dev --yes
  assert_failure 1
  assert_output --partial '✗ step 6/6 "verify" failed'
  assert_output --regexp 'every target of the load balancer healthy: not reached after [0-9]+ checks'
  assert_output --partial 'unhealthy Target.FailedHealthChecks'
  local polls
  polls="$(count_matching_lines "${STUB_LOG}" '^aws elbv2 describe-target-health')"
  ((polls >= 2 && polls <= 4)) || fail "${polls} polls in a 2 s window with a 1 s interval"
}

@test "with stubbed AWS: deploy wait for the HTTP answer is bounded in count" {
  STUB_HTTP_NEVER=1 HELLO_HTTP_TIMEOUT=3 deploy --env dev --yes
  assert_failure 1
  assert_output --partial 'answering Hello, world!: not reached after 4 checks'
  assert_equal "$(count_matching_lines "${STUB_LOG}" '^curl .*elb\.amazonaws\.com')" 4
}

@test "with stubbed AWS: deploy waits for healthy targets and the HTTP answer" {
  STUB_TARGETS_HEALTHY_AFTER=2 STUB_HTTP_OK_AFTER=3 deploy --env dev --yes
  assert_success
  assert_equal "$(count_matching_lines "${STUB_LOG}" '^aws elbv2 describe-target-health')" 3
  assert_equal "$(count_matching_lines "${STUB_LOG}" '^curl .*elb\.amazonaws\.com')" 4
  assert_output --partial 'targets: 3 initial'
  assert_output --partial 'targets: 3 healthy'
  assert_output --partial 'answers: Hello, world!'
}

@test "with stubbed AWS: deploy resumes after a failure without re-applying or re-pushing" {
  STUB_FAIL='^kubectl .* apply --server-side' deploy --env dev --yes
  assert_failure 1
  deploy --env dev --yes
  assert_success
  assert_equal "$(count_matching_lines "${STUB_LOG}" '^terraform -chdir=\S*/deploy/terraform apply')" 1
  assert_equal "$(count_matching_lines "${STUB_LOG}" '^skopeo copy .*@sha256')" 1
  assert_equal "$(count_matching_lines "${STUB_LOG}" '^terraform -chdir=\S*/bootstrap apply')" 1
}

@test "with stubbed AWS: deploy asks before creating or applying unless --yes" {
  deploy --env dev
  assert_failure 2
  assert_output --partial 'no answer on standard input'
  refute_file_matches "${STUB_LOG}" '^terraform .* apply'
  assert_equal "$(find "${STUB_STATE}" -name 'bucket-*' | wc -l)" 0
  printf 'no\n' >"${SB}/answers"
  run_script deploy --env dev <"${SB}/answers"
  assert_failure 2
  refute_file_matches "${STUB_LOG}" '^terraform .* apply'
  printf 'yes\nyes\n' >"${SB}/answers"
  run_script deploy --env dev <"${SB}/answers"
  assert_success
}

@test "with stubbed AWS: deploy --plan-only changes nothing, even on an empty account" {
  deploy --env dev --plan-only
  assert_success
  assert_output --partial '==> [3/3] infrastructure'
  assert_output --partial 'computed against an empty state'
  assert_output --partial 'Plan: 64 to add'
  refute_file_matches "${STUB_LOG}" '^terraform -chdir=\S*/deploy/terraform (init|plan)'
  refute_file_matches "${STUB_LOG}" '^terraform .* apply|^docker |^make |^kubectl |^aws (ecr|eks|elbv2)'
  assert_equal "$(find "${STUB_STATE}" -name 'bucket-*' | wc -l)" 0
  assert_tree_unchanged
  # Once deployed, the plan runs against the real state and shows no changes.
  deploy --env dev --yes
  assert_success
  : >"${STUB_LOG}"
  deploy --env dev --plan-only
  assert_success
  assert_output --partial 'no infrastructure changes'
  refute_file_matches "${STUB_LOG}" '^terraform .* apply'
}

@test "with stubbed AWS: deploy --image-tag and --image-digest deploy a digest of the repository without building" {
  deploy --env dev --yes --image-tag 9.9.9
  assert_failure 1
  assert_output --partial '✗ step 4/6 "image" failed'
  assert_output --partial 'the tag 9.9.9 is not in hello/hello-server'
  local digest
  digest="$("${SB}/stubs/stub-ecr-seed" 9.9.9)"
  deploy --env dev --yes --image-tag 9.9.9
  assert_success
  refute_file_matches "${STUB_LOG}" '^make |^skopeo |^docker '
  assert_file_matches "${STUB_STATE}/k8s/deployment_opendelta_hello" "@${digest}$"
  deploy --env dev --yes --image-digest "sha256:$(printf '1%.0s' {1..64})"
  assert_failure 1
  assert_output --partial "is not in the repository"
}

@test "with stubbed AWS: deploy refuses to name a build of uncommitted changes after the commit" {
  echo "# local change" >>"${REPO}/deploy/terraform/environments/dev.tfvars"
  deploy --env dev --yes
  assert_failure 2
  assert_output --regexp "uncommitted changes to tracked files: the image git-[0-9a-f]{40} would not be this tree"
  assert_no_changes_made
}

@test "with stubbed AWS: deploy --api-cidr: only when asked, never under CI, checked input" {
  deploy --env dev --yes --api-cidr none --plan-only
  assert_success
  refute_file_matches "${STUB_LOG}" 'cluster_endpoint_public_access|checkip'
  deploy --env dev --plan-only --api-cidr 198.51.100.0/24
  assert_file_matches "${STUB_LOG}" 'plan .*-var=cluster_endpoint_public_access_cidrs=\["198\.51\.100\.0/24"\]$'
  deploy --env dev --api-cidr 0.0.0.0/0
  assert_failure 2
  assert_output --partial 'whole internet'
  deploy --env dev --api-cidr everyone
  assert_failure 2
  : >"${STUB_LOG}"
  STUB_NO_PUBLIC_ADDRESS=1 deploy --env dev --yes --api-cidr auto
  assert_failure 2
  assert_output --partial "cannot find this machine's public IPv4 address"
  assert_no_changes_made
  CI=true deploy --env dev --yes --api-cidr auto
  assert_failure 2
  assert_output --partial "a person's option"
}

@test "with stubbed AWS: deploy stops before applying anything when the private API is unreachable" {
  STUB_KUBE_API_UNREACHABLE=1 deploy --env dev --yes
  assert_failure 1
  assert_output --partial '✗ step 5/6 "kubernetes" failed'
  assert_output --partial 'not reachable from here: the endpoint is private unless the tfvars'
  assert_output --partial 'Unable to connect to the server'
  refute_file_matches "${STUB_LOG}" '^kubectl .* apply'
}
