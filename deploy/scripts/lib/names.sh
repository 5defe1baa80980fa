# shellcheck shell=bash
# The names every script checks the same way: environments, AWS regions and
# image digests. Sourced by lib/common.sh and lib/image-tags.sh; predicates
# only, so each caller words its own error.

# An environment: a tfvars file's name and part of the image tags
# deployed-<env> and running-<env>.
hello::is_environment_name() { [[ $1 =~ ^[a-z][a-z0-9-]{0,15}$ ]]; }

hello::is_region() { [[ $1 =~ ^[a-z]{2}(-gov)?-[a-z]+-[0-9]+$ ]]; }

hello::is_digest() { [[ $1 =~ ^sha256:[0-9a-f]{64}$ ]]; }
