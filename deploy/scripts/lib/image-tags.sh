# shellcheck shell=bash
# The tags of the shared image repository (deploy/terraform/README.md, "The image
# registry"): which digest a tag names, retagging a digest with ECR's own API
# (batch-get-image of the manifest, then put-image of the same bytes under the new
# tag, with the media type an image index needs and the digest ECR must verify),
# and the per-environment markers a deploy writes. Sourced by deploy and
# image-tags; every function reports on stderr and returns non-zero, the caller
# decides. Needs the AWS CLI v2.

# What batch-get-image may return: the index CI pushes, and single manifests.
HELLO_MANIFEST_MEDIA_TYPES=(
  application/vnd.oci.image.index.v1+json
  application/vnd.docker.distribution.manifest.list.v2+json
  application/vnd.oci.image.manifest.v1+json
  application/vnd.docker.distribution.manifest.v2+json
)

# shellcheck source=names.sh
source "$(dirname "${BASH_SOURCE[0]}")/names.sh"

# hello::utc_stamp: the time part of deployed-<env>-<yyyymmddThhmmssZ>.
hello::utc_stamp() { date -u +%Y%m%dT%H%M%SZ; }

# hello::ecr_digest_of REGION REPOSITORY TAG: prints the digest TAG names.
hello::ecr_digest_of() {
  local digest
  digest="$(aws ecr describe-images --region "$1" --repository-name "$2" --image-ids "imageTag=$3" \
    --query 'imageDetails[0].imageDigest' --output text)" || return 1
  hello::is_digest "${digest}" || {
    echo "ecr: ${2}:${3} has no digest (got '${digest}')" >&2
    return 1
  }
  printf '%s\n' "${digest}"
}

# hello::ecr_digest_exists REGION REPOSITORY DIGEST
hello::ecr_digest_exists() {
  aws ecr describe-images --region "$1" --repository-name "$2" --image-ids "imageDigest=$3" \
    --query 'imageDetails[0].imageDigest' --output text >/dev/null
}

# hello::ecr_tag REGION REPOSITORY DIGEST TAG: points TAG at DIGEST without
# changing the digest. Done when TAG already names DIGEST (ECR answers
# ImageAlreadyExistsException); an immutable TAG on another digest is an error.
hello::ecr_tag() {
  local region=$1 repository=$2 digest=$3 tag=$4 dir media_type status=0 out
  hello::is_digest "${digest}" || {
    echo "ecr: '${digest}' is not a sha256 digest" >&2
    return 2
  }
  dir="$(mktemp -d "${TMPDIR:-/tmp}/hello-ecr-tag.XXXXXX")" || return 1
  # The manifest's bytes exactly: the CLI's text output adds one newline, which
  # is removed; anything else would change the digest (and ECR would refuse).
  if ! aws ecr batch-get-image --region "${region}" --repository-name "${repository}" \
    --image-ids "imageDigest=${digest}" --accepted-media-types "${HELLO_MANIFEST_MEDIA_TYPES[@]}" \
    --query 'images[0].imageManifest' --output text >"${dir}/raw"; then
    rm -rf "${dir}"
    return 1
  fi
  local manifest
  IFS= read -r -d '' manifest <"${dir}/raw" || true
  printf '%s' "${manifest%$'\n'}" >"${dir}/manifest"
  media_type="$(aws ecr batch-get-image --region "${region}" --repository-name "${repository}" \
    --image-ids "imageDigest=${digest}" --accepted-media-types "${HELLO_MANIFEST_MEDIA_TYPES[@]}" \
    --query 'images[0].imageManifestMediaType' --output text)" || {
    rm -rf "${dir}"
    return 1
  }
  if [[ ! -s ${dir}/manifest || ${manifest} == None* || ${media_type} == None ]]; then
    echo "ecr: ${repository}@${digest} is not in the repository (batch-get-image returned no manifest)" >&2
    rm -rf "${dir}"
    return 1
  fi
  out="$(aws ecr put-image --region "${region}" --repository-name "${repository}" --image-tag "${tag}" \
    --image-digest "${digest}" --image-manifest-media-type "${media_type}" \
    --image-manifest "file://${dir}/manifest" --query 'image.imageId.imageDigest' --output text 2>&1)" || status=$?
  rm -rf "${dir}"
  if ((status != 0)); then
    if grep -q 'ImageAlreadyExistsException' <<<"${out}"; then
      return 0
    fi
    printf '%s\n' "${out}" >&2
    return "${status}"
  fi
}

# hello::ecr_mark_deploying REGION REPOSITORY DIGEST ENV: before the rollout, the
# immutable deployed-<env>-<UTC time> that keeps DIGEST through the lifecycle policy.
# The tag has one-second resolution: a second deploy of another digest in the
# same second finds it taken (ImageTagAlreadyExistsException) and takes the next.
hello::ecr_mark_deploying() {
  local tag attempt out
  for attempt in 1 2 3; do
    tag="deployed-$4-$(hello::utc_stamp)"
    if out="$(hello::ecr_tag "$1" "$2" "$3" "${tag}" 2>&1)"; then
      echo "  tagged ${tag}"
      return 0
    fi
    if ! grep -q ImageTagAlreadyExistsException <<<"${out}" || ((attempt == 3)); then break; fi
    sleep 1
  done
  printf '%s\n' "${out}" >&2
  return 1
}

# hello::ecr_record_running REGION REPOSITORY DIGEST ENV: after the rollout and
# its checks passed: previous-<env> onto what running-<env> named (when another
# digest), then running-<env> onto DIGEST.
hello::ecr_record_running() {
  local region=$1 repository=$2 digest=$3 env=$4 running=""
  running="$(hello::ecr_digest_of "${region}" "${repository}" "running-${env}" 2>/dev/null)" || running=""
  if [[ -n ${running} && ${running} != "${digest}" ]]; then
    hello::ecr_tag "${region}" "${repository}" "${running}" "previous-${env}" || return 1
    echo "  previous-${env} -> ${running}"
  fi
  hello::ecr_tag "${region}" "${repository}" "${digest}" "running-${env}" || return 1
  echo "  running-${env} -> ${digest}"
}

# hello::ecr_restore_running REGION REPOSITORY FAILED_DIGEST ENV: after a
# rollback, running-<env> back onto previous-<env> when it names FAILED_DIGEST.
hello::ecr_restore_running() {
  local region=$1 repository=$2 failed=$3 env=$4 running previous
  running="$(hello::ecr_digest_of "${region}" "${repository}" "running-${env}" 2>/dev/null)" || running=""
  [[ ${running} == "${failed}" ]] || return 0
  previous="$(hello::ecr_digest_of "${region}" "${repository}" "previous-${env}")" || {
    echo "ecr: running-${env} names the failed ${failed} and there is no previous-${env} to put back" >&2
    return 1
  }
  hello::ecr_tag "${region}" "${repository}" "${previous}" "running-${env}" || return 1
  echo "  running-${env} -> ${previous} (restored)"
}

# hello::ecr_require_ran_in REGION REPOSITORY DIGEST SOURCE_ENV: promotion. DIGEST
# must be the one running-<source> names: the source ran it and its checks passed.
hello::ecr_require_ran_in() {
  local region=$1 repository=$2 digest=$3 source=$4 running
  running="$(hello::ecr_digest_of "${region}" "${repository}" "running-${source}")" || {
    echo "promotion: ${source} has never run an image that passed its checks (no tag running-${source})" >&2
    return 1
  }
  if [[ ${running} != "${digest}" ]]; then
    echo "promotion: ${digest} is not what ${source} runs (running-${source} is ${running}); deploy it to ${source} first" >&2
    return 1
  fi
}
