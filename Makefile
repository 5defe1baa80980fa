# hello: the entry points a person uses. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

VERSION := $(shell cat VERSION)
GIT_SHA := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
IMAGE ?= hello-server
PORT ?= 8080
ENV ?= dev
BUILDER_IMAGE ?= debian:bookworm-slim
DOCKER_BUILD_FLAGS ?= --network host
# The classic builder is the lowest common denominator (no buildx needed).
DOCKER_BUILD := DOCKER_BUILDKIT=$${DOCKER_BUILDKIT:-0} docker build $(DOCKER_BUILD_FLAGS)
# Pinned kubectl and terraform that `scripts/install-packages kubectl|terraform`
# downloads when the machine has none (or too old a kubectl): first on PATH
# for every target (make test's suites, make deploy).
TOOLS_BIN := $(CURDIR)/.tools/bin
export PATH := $(TOOLS_BIN):$(PATH)
# The CTest presets `make test` runs, in order; each writes build/<preset>/junit.xml.
TEST_PRESETS := asan fuzz release

.PHONY: help
help: ## list the targets
	@PORT='$(PORT)' ENV='$(ENV)' IMAGE='$(IMAGE)' VERSION='$(VERSION)' awk 'BEGIN {FS = ":.*## "} \
	  /^[a-z-]+:.*## / { text = $$2; \
	    while (match(text, /\$$\([A-Z_]+\)/)) { name = substr(text, RSTART + 2, RLENGTH - 3); \
	      text = substr(text, 1, RSTART - 1) ENVIRON[name] substr(text, RSTART + RLENGTH) } \
	    printf "  make %-18s %s\n", $$1, text }' $(MAKEFILE_LIST)

# --- the service -------------------------------------------------------------

.PHONY: deps
deps:
	@scripts/install-packages build

.PHONY: build
build: deps ## build the static release binary (build/release/src/hello-server) and nothing else
	@cmake --preset release >/dev/null
	@cmake --build --preset release --target hello-server

.PHONY: run
run: build ## build and serve on localhost:$(PORT)
	./build/release/src/hello-server --port $(PORT)

# --- tests -------------------------------------------------------------------

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

.PHONY: test-deps
test-deps:
	@scripts/install-packages build check

# Every preset runs even when one fails; the last lines are scripts/test-summary:
# counts, failures, and each skipped suite with its reason and how to enable it.
# The JUnit files keep each suite's output (256 KiB of it: CTest's default for a
# passing test is 1 KiB, which cuts off the suite's own count).
.PHONY: test
test: test-deps node_modules/.package-lock.json ## every test that needs no cloud account; ends with what was skipped and why
	@cmake --preset asan >/dev/null && cmake --build --preset asan
	@cmake --preset fuzz >/dev/null && cmake --build --preset fuzz
	@cmake --preset release >/dev/null && cmake --build --preset release
	@status=0; \
	for preset in $(TEST_PRESETS); do \
	  rm -f build/$$preset/junit.xml; \
	  echo "ctest --preset $$preset"; \
	  ctest --preset $$preset --output-junit junit.xml --test-output-size-passed 262144 || status=1; \
	done; \
	scripts/test-summary $(addprefix build/,$(TEST_PRESETS)) || status=1; \
	exit $$status

.PHONY: test-fresh
test-fresh: ## the README's make run, curl and make test in a clean Debian 12 container (needs Docker)
	scripts/test-fresh

.PHONY: fuzz
fuzz: test-deps ## fuzz the request parser under ASan+UBSan (FUZZ_RUNS, default 10 million)
	@cmake --preset fuzz >/dev/null && cmake --build --preset fuzz
	test/fuzz/fuzz-http-session --runs $${FUZZ_RUNS:-10000000}

.PHONY: lint
lint: test-deps ## clang-format, clang-tidy and Prettier's check (shellcheck runs in make test: deploy.scripts)
	@cmake --preset release >/dev/null
	scripts/lint
	node --test scripts/tests/format.test.mjs

.PHONY: format
format: ## rewrite C++ with clang-format and JavaScript with the pinned Prettier
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')
	node node_modules/prettier/bin/prettier.cjs --log-level warn --write $$(git ls-files '*.mjs' '*.js' ':!scripts/tests/fixtures/')

# --- performance -------------------------------------------------------------

.PHONY: bench
bench: build ## hello-server vs nginx vs the epoll floor, as ratios
	@scripts/install-packages bench
	bench/compare-servers

# --- container image ---------------------------------------------------------

# Both platforms by default; PLATFORMS=linux/amd64 is the quick single-platform build.
PLATFORMS ?= linux/amd64,linux/arm64
IMAGE_DIR ?= build/image

.PHONY: image
image: ## build the image for amd64 and arm64 into one OCI image index (build/image/, its digest in build/image/digest) and tag this machine's as hello-server:<version> and :<git sha>
	scripts/image-index --platforms $(PLATFORMS) --image $(IMAGE) --out $(IMAGE_DIR) \
	  --builder-image $(BUILDER_IMAGE) -- $(DOCKER_BUILD_FLAGS)

# --- local stack -------------------------------------------------------------

.PHONY: up
up: ## local stack: ALB model, 3 nodes, 3 pods, Prometheus (127.0.0.1:8080, :9090)
	deploy/local/stack up

.PHONY: down
down: ## stop and remove the local stack
	deploy/local/stack down

.PHONY: test-reliability
test-reliability: ## rolling restart, scale-in, crash, node loss (no retries) against the local stack
	deploy/local/tests/reliability

# --- AWS ---------------------------------------------------------------------

.PHONY: deploy
deploy: ## deploy to AWS (ENV=dev|prod); see deploy/scripts/deploy --help
	deploy/scripts/deploy --env $(ENV)

.PHONY: destroy
destroy: ## tear the AWS deployment down (ENV=dev|prod)
	deploy/scripts/destroy --env $(ENV)

.PHONY: tools-image
tools-image: ## image with pinned terraform, kubectl and AWS CLI
	$(DOCKER_BUILD) -t hello-tools:$(VERSION) deploy/tools

.PHONY: tf-validate
tf-validate: ## terraform fmt, validate and test; tflint, checkov, trivy where installed
	deploy/terraform/tests/tf-validate --lint

.PHONY: tf-graph
tf-graph: node_modules/.package-lock.json ## regenerate docs/terraform-graph.md from the code
	node scripts/docs/terraform-graph.mjs --write docs/terraform-graph.md

# --- housekeeping ------------------------------------------------------------

.PHONY: clean
clean: ## remove build output
	rm -rf build
