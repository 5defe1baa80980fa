# Repository-wide checks, registered with CTest so that `make test` ends with
# one summary. Each is a script that exits 0 (pass), 77 (skipped) or anything
# else (fail), and prints its own summary. Skipped means a prerequisite is
# missing (a Docker engine, kubectl, ...): the script says so in one line,
# "skipped: <why>. To run it: <command>" (scripts/lib/prereq.sh), which
# scripts/test-summary lists at the end of `make test`; with HELLO_NO_SKIP=1
# (CI) the same script fails instead.
#
# Docker-based checks share one image build (the `image` fixture).

function(hello_check name)
  cmake_parse_arguments(CHECK "" "TIMEOUT" "COMMAND;LABELS;FIXTURES_REQUIRED;FIXTURES_SETUP" ${ARGN})
  add_test(NAME ${name} COMMAND ${CHECK_COMMAND} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  if(NOT CHECK_TIMEOUT)
    set(CHECK_TIMEOUT 600)
  endif()
  # Pinned tools fetched by `scripts/install-packages kubectl|terraform` come first.
  set_tests_properties(${name} PROPERTIES
    LABELS "${CHECK_LABELS}"
    TIMEOUT ${CHECK_TIMEOUT}
    SKIP_RETURN_CODE 77
    ENVIRONMENT_MODIFICATION "PATH=path_list_prepend:${PROJECT_SOURCE_DIR}/.tools/bin")
  if(CHECK_FIXTURES_REQUIRED)
    set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED "${CHECK_FIXTURES_REQUIRED}")
  endif()
  if(CHECK_FIXTURES_SETUP)
    set_tests_properties(${name} PROPERTIES FIXTURES_SETUP "${CHECK_FIXTURES_SETUP}")
  endif()
endfunction()

hello_check(lint.clang-format COMMAND scripts/lint format LABELS lint)
hello_check(lint.clang-tidy COMMAND scripts/lint tidy --build-dir ${PROJECT_BINARY_DIR} LABELS lint TIMEOUT 900)
# The JavaScript in the format of the pinned Prettier (make format rewrites it).
hello_check(lint.js-format COMMAND scripts/node-suite scripts/tests/format.test.mjs LABELS lint)

# The container image: size, user, no shell, hardened run, health check,
# graceful stop, CPU quota, labels, reproducible binary.
hello_check(container.image COMMAND test/container/check-image LABELS container
  FIXTURES_SETUP image TIMEOUT 1200)

# The image index (make image): the SBOM tools without Docker; the arm64 image,
# whose unit and integration tests run under qemu-user in its build; the index
# pushed by digest to a loopback docker-registry, read back, pulled and run.
# One image build at a time: they share the Docker engine's two cores.
hello_check(image.sbom COMMAND ${CMAKE_COMMAND} -E env HELLO_BUILD_DIR=${PROJECT_BINARY_DIR}
  scripts/node-suite test/container/sbom.test.mjs LABELS image)
hello_check(image.arm64 COMMAND test/container/arm64 --build-dir ${PROJECT_BINARY_DIR} LABELS image TIMEOUT 1800)
hello_check(image.registry COMMAND test/container/registry LABELS image TIMEOUT 1800)
set_tests_properties(container.image image.arm64 image.registry PROPERTIES RESOURCE_LOCK hello-image-build)

hello_check(k8s.manifests COMMAND deploy/k8s/tests/check-manifests LABELS k8s)
hello_check(k8s.pod-contract COMMAND deploy/k8s/tests/pod-contract --no-build LABELS "k8s;container"
  FIXTURES_REQUIRED image)
hello_check(k8s.pod-contract-harness COMMAND deploy/k8s/tests/pod-contract-selftest LABELS k8s)

# Terraform's own fmt, validate and test (mocked AWS provider) of deploy/terraform, and the
# JavaScript checks of what Terraform cannot see (lifecycle, backend, costs, docs).
hello_check(terraform.native COMMAND deploy/terraform/tests/tf-validate LABELS terraform TIMEOUT 900)
hello_check(terraform.offline COMMAND deploy/terraform/tests/node-checks LABELS terraform)

# bats: shellcheck of every script, the tools image Dockerfile lint, the pinned
# tool installer, the kubectl pins, the shared library's namespace; then, apart
# because they need kubectl (its Kustomize), deploy, destroy, push-image, promotion,
# rollback and pruning with stubbed AWS (stand-in aws, terraform, kubectl, docker,
# curl, make, skopeo: no AWS here).
# And the GitHub workflow policy (node --test).
hello_check(deploy.scripts COMMAND deploy/scripts/tests/bats-suite scripts LABELS deploy TIMEOUT 900)
hello_check(deploy.stubs COMMAND deploy/scripts/tests/bats-suite stubs LABELS deploy TIMEOUT 900)
hello_check(deploy.workflows COMMAND scripts/node-suite deploy/scripts/tests/workflows.test.mjs LABELS deploy)

# Prometheus rules (promtool check/test), the dashboard's PromQL, the local
# stack's configuration and its timing arithmetic.
hello_check(observability.rules COMMAND deploy/observability/tests/check-rules LABELS observability)
hello_check(local.config COMMAND scripts/node-suite deploy/local/tests/config.test.mjs LABELS local)

# The live /metrics page through Prometheus's own linter.
hello_check(metrics.promtool COMMAND test/metrics/promtool-check --server $<TARGET_FILE:hello-server> LABELS metrics)

# The benchmark harness end to end in a short smoke mode: every server starts,
# every scenario produces numbers, the JSON is written. No timing is asserted.
hello_check(bench.smoke COMMAND bench/compare-servers --smoke --no-install --server $<TARGET_FILE:hello-server>
  --build-dir ${PROJECT_BINARY_DIR} LABELS bench TIMEOUT 600)

# README and docs: make targets exist, links resolve, the Terraform graph is
# current, the configuration table matches --help.
hello_check(docs.check COMMAND ${CMAKE_COMMAND} -E env HELLO_SERVER_BINARY=$<TARGET_FILE:hello-server> test/docs/check-docs
  LABELS docs)

# The skip convention itself: the one-line skip, HELLO_NO_SKIP, the kubectl
# and Node.js minimums, the end-of-run summary and install-packages' fast failure.
hello_check(scripts.skip COMMAND scripts/node-suite scripts/tests/skip.test.mjs LABELS scripts)
