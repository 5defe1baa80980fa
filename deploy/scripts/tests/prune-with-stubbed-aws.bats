#!/usr/bin/env bats
# Pruning scoped to this application (deploy/scripts/lib/apply.sh): offline
# checks of what the deploy renders (with the real kubectl's Kustomize) and of
# the apply command, each also run on a broken fixture; then a deploy against
# stubbed AWS and kubectl (tests/stubs/: no cluster, no AWS), where an object
# removed from the manifests is pruned while objects outside the scope stay.
# A *-with-stubbed-aws.bats file: it loads the stubbed-AWS sandbox, and its
# offline checks render with the real kubectl's Kustomize (the stubs group checks for it).

load helpers/common
load helpers/stubbed-aws

setup_file() { stubbed_aws_setup_file; }
setup() { new_sandbox; }
teardown() { stubbed_aws_teardown; }

# Renders what deploy applies (prepare-aws-overlay, then the labelling wrapper) into $1.
render_deploy_manifests() {
  local dir=$1
  mkdir -p "${dir}"
  "${ROOT}/deploy/k8s/prepare-aws-overlay" --image "1.dkr.ecr.eu-west-2.amazonaws.com/hello/hello-server@sha256:$(printf 'a%.0s' {1..64})" \
    --vpc-cidr 10.0.0.0/16 --cluster-name hello-dev --region eu-west-2 --dir "${dir}/rendered"
  bash -c 'source "$1" && hello::wrap_with_prune_label "$2" rendered' _ "${ROOT}/deploy/scripts/lib/apply.sh" "${dir}"
  "${STUB_REAL_KUBECTL}" kustomize "${dir}" >"${dir}/all.yaml"
}

# Prints one line per object of a rendered YAML stream that pruning would miss:
# without the label (-l would not even apply it), or of a kind the allowlist lacks.
prune_scope_problems() {
  local file=$1
  (
    # shellcheck source=../lib/apply.sh
    source "${ROOT}/deploy/scripts/lib/apply.sh"
    awk -v key="${HELLO_PRUNE_LABEL_KEY}" -v value="${HELLO_PRUNE_LABEL_VALUE}" -v allow="${HELLO_PRUNE_ALLOWLIST[*]}" '
      function check() {
        if (kind == "") return
        gv = api; if (gv !~ /\//) gv = "core/" gv
        if (!labelled) print kind "/" name ": no label " key "=" value
        if (kind != "Namespace" && !((gv "/" kind) in allowed)) print kind "/" name ": " gv "/" kind " is not in the prune allowlist"
        kind = ""; name = ""; labelled = 0; api = ""
      }
      BEGIN { n = split(allow, list, " "); for (i = 1; i <= n; i++) allowed[list[i]] = 1 }
      /^---/ { check(); next }
      /^apiVersion: / { api = $2 }
      /^kind: / { kind = $2 }
      /^metadata:/ { meta = 1; next }
      /^[^ ]/ { meta = 0 }
      meta && /^  name: / { name = $2 }
      meta && $0 ~ "^    " key ": \"?" value "\"?$" { labelled = 1 }
      END { check() }
    ' "${file}"
  )
}

@test "every object deploy renders carries the prune label, and every kind but Namespace is in the allowlist" {
  render_deploy_manifests "${BATS_TEST_TMPDIR}/m"
  local count
  count="$(grep -c '^kind: ' "${BATS_TEST_TMPDIR}/m/all.yaml")"
  ((count >= 15))
  run prune_scope_problems "${BATS_TEST_TMPDIR}/m/all.yaml"
  assert_success
  assert_output ''
  # Selectors and pod templates are left alone (selectors are immutable).
  run grep -B3 -A3 'hello.deploy/applied-by' "${BATS_TEST_TMPDIR}/m/all.yaml"
  refute_output --partial 'matchLabels:'
}

@test "the prune check fails on a fixture: an unlabelled object and a kind outside the allowlist" {
  render_deploy_manifests "${BATS_TEST_TMPDIR}/m"
  cat "${BATS_TEST_TMPDIR}/m/all.yaml" "${FIXTURES}/prune/unlabelled-secret.yaml" >"${BATS_TEST_TMPDIR}/broken.yaml"
  run prune_scope_problems "${BATS_TEST_TMPDIR}/broken.yaml"
  assert_output --partial 'Secret/stray: no label hello.deploy/applied-by=deploy-scripts'
  assert_output --partial 'Secret/stray: core/v1/Secret is not in the prune allowlist'
  assert_equal "${#lines[@]}" 2
}

@test "the apply command is server-side, prunes by the label, and lists every kind it may prune" {
  local -a words
  # shellcheck source=../lib/apply.sh
  mapfile -t words < <(source "${ROOT}/deploy/scripts/lib/apply.sh" && hello::apply_command hello-dev /tmp/x)
  local line="${words[*]}"
  [[ ${line} == "kubectl --context hello-dev apply --server-side --force-conflicts --field-manager=hello-deploy --prune -l hello.deploy/applied-by=deploy-scripts "* ]]
  [[ ${line} == *" --prune-allowlist=apps/v1/Deployment "* && ${line} == *" --prune-allowlist=core/v1/ConfigMap "* ]]
  [[ ${line} != *"core/v1/Namespace"* && ${line} == *" -k /tmp/x" ]]
  # Like the real kubectl, the stand-in refuses --prune without a scope.
  echo "aws eks update-kubeconfig --region eu-west-2 --name hello-dev --alias hello-dev" >>"${STUB_LOG}"
  run kubectl --context hello-dev apply --server-side --prune -k "${REPO}/deploy/k8s/overlays/aws"
  assert_failure 1
  assert_output --partial 'all resources selected for prune without explicitly passing --all'
}

@test "with stubbed AWS and kubectl: an object removed from the manifests is pruned, objects outside the scope stay" {
  local a
  a="$("${SB}/stubs/stub-ecr-seed" git-aaaa)"
  deploy --env dev --yes --image-digest "${a}"
  assert_success
  [[ -f ${STUB_STATE}/k8s/poddisruptionbudget_opendelta_hello ]]
  # Something the deploy did not create: kept whatever happens.
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: someone-elses\n  namespace: opendelta\n' \
    >"${STUB_STATE}/k8s/configmap_opendelta_someone-elses"
  # The PodDisruptionBudget leaves the manifests, and a setting changes (a new ConfigMap name).
  sed -i '/^  - poddisruptionbudget.yaml$/d; s/HELLO_THREADS=0/HELLO_THREADS=2/' "${REPO}/deploy/k8s/base/kustomization.yaml"
  git -C "${REPO}" -c user.name=t -c user.email=t@example.invalid commit -qam 'no PDB'
  local old_configmap
  old_configmap="$(basename "$(ls "${STUB_STATE}"/k8s/configmap_opendelta_hello-*)")"
  : >"${STUB_LOG}"
  deploy --env dev --yes --image-digest "${a}"
  assert_success
  assert_output --partial 'poddisruptionbudget/hello pruned'
  assert_output --partial "configmap/${old_configmap#configmap_opendelta_} pruned"
  assert_output --partial 'pruned 2 Kubernetes object(s) no longer in the manifests'
  [[ ! -e ${STUB_STATE}/k8s/poddisruptionbudget_opendelta_hello ]]
  [[ ! -e ${STUB_STATE}/k8s/${old_configmap} ]]
  [[ -f ${STUB_STATE}/k8s/configmap_opendelta_someone-elses ]]
  [[ -f ${STUB_STATE}/k8s/namespace_-_opendelta ]]
  assert_file_matches "${STUB_LOG}" '^kubectl --context hello-dev apply --server-side .*--prune -l hello\.deploy/applied-by=deploy-scripts'
}
