# shellcheck shell=bash
# A person's temporary access to the public Kubernetes API endpoint
# (deploy --api-cidr auto|CIDR; the interface is in deploy/terraform/README.md,
# "Kubernetes API access"): the tfvars' list plus one address for this run, and
# the tfvars' setting back afterwards, even when the run fails. CI never calls
# this. Sourced by deploy; the functions print CIDRs one a line, sorted.

# hello::cidrs_of_text: the quoted IPv4 CIDRs in stdin (a tfvars list or
# terraform output -json), one a line, sorted and unique.
hello::cidrs_of_text() {
  { grep -oE '"([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}"' || true; } | tr -d '"' | sort -u
}

# hello::tfvars_public_cidrs FILE: cluster_endpoint_public_access_cidrs as the
# tfvars set it (one line or several), empty unless cluster_endpoint_public_access = true.
hello::tfvars_public_cidrs() {
  local file=$1
  grep -qE '^[[:space:]]*cluster_endpoint_public_access[[:space:]]*=[[:space:]]*true' "${file}" || return 0
  awk '/^[[:space:]]*cluster_endpoint_public_access_cidrs[[:space:]]*=/ { inside = 1 }
    inside { print } inside && /\]/ { exit }' "${file}" | hello::cidrs_of_text
}

# hello::terraform_var_list CIDR...: the HCL list for -var, e.g. ["a","b"].
hello::terraform_var_list() {
  local out="" cidr
  for cidr in "$@"; do out+="${out:+,}\"${cidr}\""; done
  printf '[%s]' "${out}"
}
