# shellcheck shell=bash
# Server-side apply with pruning scoped to this application, and the automatic
# rollback of a failed rollout. Sourced by deploy and rollback; functions report
# on stderr and return non-zero, the caller decides.
#
# Pruning: a label selector with an explicit allowlist, not an ApplySet. Every
# object the deploy renders carries HELLO_PRUNE_LABEL (the wrapping
# kustomization adds it); `kubectl apply --server-side --prune -l LABEL
# --prune-allowlist ...` then deletes the objects of those kinds that carry the
# label and are no longer rendered. ApplySets (KUBECTL_APPLYSET=true) are still
# alpha in kubectl 1.34-1.35 and keep their membership in a parent object that
# no file shows; the label is visible in the rendered manifests, so the tests
# check it offline. Namespaces are not in the allowlist: removing the Namespace
# from the manifests never deletes everything in it.

readonly HELLO_PRUNE_LABEL_KEY=hello.deploy/applied-by
readonly HELLO_PRUNE_LABEL_VALUE=deploy-scripts
readonly HELLO_PRUNE_LABEL="${HELLO_PRUNE_LABEL_KEY}=${HELLO_PRUNE_LABEL_VALUE}"
readonly HELLO_FIELD_MANAGER=hello-deploy

# Every kind the manifests contain except Namespace (group/version/Kind, core for "").
HELLO_PRUNE_ALLOWLIST=(
  core/v1/ConfigMap
  core/v1/Service
  core/v1/ServiceAccount
  apps/v1/Deployment
  autoscaling/v2/HorizontalPodAutoscaler
  networking.k8s.io/v1/NetworkPolicy
  policy/v1/PodDisruptionBudget
  rbac.authorization.k8s.io/v1/Role
  rbac.authorization.k8s.io/v1/RoleBinding
  rbac.authorization.k8s.io/v1/ClusterRole
  rbac.authorization.k8s.io/v1/ClusterRoleBinding
)

# hello::wrap_with_prune_label DIR RENDERED: writes DIR/kustomization.yaml that
# takes the kustomization RENDERED (a subdirectory of DIR) and labels every object.
hello::wrap_with_prune_label() {
  local dir=$1 rendered=$2
  cat >"${dir}/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ${rendered}
# Pruning scope (deploy/scripts/lib/apply.sh): on every object, never in selectors.
labels:
  - pairs:
      ${HELLO_PRUNE_LABEL_KEY}: ${HELLO_PRUNE_LABEL_VALUE}
    includeSelectors: false
    includeTemplates: false
YAML
}

# hello::apply_command CONTEXT DIR: prints the apply command, one word a line.
hello::apply_command() {
  local context=$1 dir=$2 kind
  printf '%s\n' kubectl --context "${context}" apply --server-side --force-conflicts \
    "--field-manager=${HELLO_FIELD_MANAGER}" --prune -l "${HELLO_PRUNE_LABEL}"
  for kind in "${HELLO_PRUNE_ALLOWLIST[@]}"; do
    printf '%s\n' "--prune-allowlist=${kind}"
  done
  printf '%s\n' -k "${dir}"
}

# hello::deployment_image CONTEXT NAMESPACE DEPLOYMENT: the image of its
# container named like the Deployment; empty when the Deployment does not exist.
hello::deployment_image() {
  local out
  out="$(kubectl --context "$1" -n "$2" get deployment "$3" --ignore-not-found \
    -o "jsonpath={.spec.template.spec.containers[?(@.name==\"$3\")].image}")" || return 1
  printf '%s\n' "${out}"
}

# hello::rollback CONTEXT NAMESPACE DEPLOYMENT FAILED_IMAGE TIMEOUT_SECONDS:
# when the Deployment runs FAILED_IMAGE, restores the previous ReplicaSet
# (kubectl rollout undo) and waits for it. Running it twice is safe: the second
# time the Deployment no longer runs FAILED_IMAGE and nothing is undone.
hello::rollback() {
  local context=$1 namespace=$2 deployment=$3 failed=$4 timeout=$5 current
  current="$(hello::deployment_image "${context}" "${namespace}" "${deployment}")" || return 1
  if [[ ${current} != "${failed}" ]]; then
    echo "  rollback: deployment/${deployment} runs ${current:-nothing}, not ${failed}: nothing to undo"
    return 0
  fi
  echo "  rollback: kubectl rollout undo deployment/${deployment} (the previous ReplicaSet)"
  kubectl --context "${context}" -n "${namespace}" rollout undo "deployment/${deployment}" || return 1
  kubectl --context "${context}" -n "${namespace}" rollout status "deployment/${deployment}" \
    --timeout="${timeout}s" || return 1
  current="$(hello::deployment_image "${context}" "${namespace}" "${deployment}")" || return 1
  if [[ ${current} == "${failed}" ]]; then
    echo "rollback: deployment/${deployment} still runs ${failed} after the undo" >&2
    return 1
  fi
  echo "  rollback: deployment/${deployment} runs ${current} again"
}
