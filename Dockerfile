# hello-server: a static binary on an empty image, for amd64 or arm64.
#
#   docker build -t hello-server .                  (BuildKit or classic; the build machine's architecture)
#   docker build --target test .                    (its tests)
#   docker build --build-arg TARGETARCH=arm64 .     (arm64, cross-compiled on an amd64 machine)
#   make image                                      (both, in one OCI image index: scripts/image-index)
#
# No `# syntax=` line, no RUN --mount, no heredocs: the classic builder
# (DOCKER_BUILDKIT=0) must build this as well as BuildKit does.
#
# arm64 is cross-compiled in the build machine's own build stage with Debian's
# aarch64 toolchain: no arm64 base image and no emulated compiler are needed.
# BuildKit sets TARGETARCH from --platform; the classic builder does not, and
# an empty TARGETARCH means the build machine's architecture. The classic
# builder labels every image with the build machine's architecture, so
# scripts/image-index sets the platform of each image in the index itself,
# after checking the binary's ELF header.

# The build image. Pinned by tag; pass a digest (debian:bookworm-slim@sha256:...)
# with --build-arg for byte-for-byte repeatable builders.
ARG BUILDER_IMAGE=debian:bookworm-slim

FROM ${BUILDER_IMAGE} AS build
# Debian 12 package versions; bump them together with BUILDER_IMAGE. jq writes
# the SBOM (scripts/sbom).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      cmake=3.25.1-1 \
      ninja-build=1.11.1-2~deb12u1 \
      g++-12=12.2.0-14+deb12u1 \
      g++=4:12.2.0-3 \
      node-llhttp=8.1.0~5.15.0+dfsg1+~cs20.10.9.3-1+deb12u4 \
      libgtest-dev=1.12.1-0.2 \
      libgmock-dev=1.12.1-0.2 \
      jq=1.6-2.1+deb12u3 \
 && rm -rf /var/lib/apt/lists/*

ARG TARGETARCH
# For another architecture: the cross toolchain (its C and C++ runtimes come
# with it), GoogleTest for arm64 (multiarch) and qemu-user to run the tests.
RUN build_arch="$(dpkg --print-architecture)" \
 && case "${TARGETARCH:-${build_arch}}" in \
      "${build_arch}") ;; \
      arm64) dpkg --add-architecture arm64 \
        && apt-get update \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
             g++-aarch64-linux-gnu=4:12.2.0-3 \
             g++-12-aarch64-linux-gnu=12.2.0-14cross1 \
             libgtest-dev:arm64=1.12.1-0.2 \
             libgmock-dev:arm64=1.12.1-0.2 \
             qemu-user=1:7.2+dfsg-7+deb12u18+b3 \
        && rm -rf /var/lib/apt/lists/* ;; \
      *) echo "cannot build for ${TARGETARCH} on ${build_arch}: only native builds and arm64 are set up" >&2; exit 1 ;; \
    esac

WORKDIR /src
COPY VERSION CMakeLists.txt CMakePresets.json ./
COPY cmake/ cmake/
COPY scripts/sbom scripts/
COPY src/ src/
COPY test/CMakeLists.txt test/
COPY test/unit/ test/unit/
COPY test/integration/ test/integration/

ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z
ARG SOURCE=""
# Changing REBUILD recompiles with every earlier layer cached: the
# reproducibility test builds twice and compares the binaries.
ARG REBUILD=0
# The same presets as `make build`, minus the repository-wide checks and the
# benchmarks, which need tools that have no place in a build image. The SBOM
# is written from this link's map and this stage's package database.
RUN build_arch="$(dpkg --print-architecture)" \
 && set -- hello-server unit_tests allocation_tests \
 && if [ "${TARGETARCH:-${build_arch}}" = "${build_arch}" ]; then \
      preset=release; \
    else \
      preset=release-aarch64; set -- "$@" integration_tests; \
    fi \
 && cmake --preset "${preset}" -DHELLO_PROJECT_CHECKS=OFF -DHELLO_BENCH=OFF -DHELLO_REVISION="${REVISION}" \
 && cmake --build --preset "${preset}" --target "$@" \
 && echo "${preset}" > build/preset \
 && mkdir -p /rootfs/etc \
 && cp "build/${preset}/src/hello-server" /rootfs/hello-server \
 && echo 'nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin' > /rootfs/etc/passwd \
 && echo 'nonroot:x:65532:' > /rootfs/etc/group \
 && scripts/sbom --build-dir "build/${preset}" --binary /rootfs/hello-server --revision "${REVISION}" \
      --created "${CREATED}" --source "${SOURCE}" --output /rootfs/sbom.cdx.json

# Natively built: the unit tests (make test runs the integration tests on the
# same compiler's build). Cross-built: unit and integration tests under
# qemu-user, the only place they run before the image ships. The log stays in
# the stage (build/test.log), so scripts/image-index reports the counts even
# when the stage comes from the cache.
FROM build AS test
RUN preset="$(cat build/preset)" \
 && if [ "${preset}" = release ]; then \
      ctest --test-dir build/release --label-regex unit --output-on-failure --parallel 2 --output-log build/test.log; \
    else \
      jq -r '.testPresets[] | select(.name == "release-aarch64") | "release-aarch64 test preset: " + .description' CMakePresets.json \
      && ctest --preset "${preset}" --label-regex 'unit|integration' --output-log build/test.log; \
    fi

FROM scratch
ARG VERSION=0.0.0
ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z
ARG SOURCE=""
LABEL org.opencontainers.image.title="hello-server" \
      org.opencontainers.image.description="Hello, world! over HTTP/1.1: a static binary on an empty image" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="Apache-2.0"
# The binary, a two-line passwd and group, and the binary's CycloneDX SBOM
# (/sbom.cdx.json), which so travels wherever the image goes.
COPY --from=build /rootfs/ /
USER 65532:65532
# The application, and /metrics (for Prometheus only; never behind the load balancer).
EXPOSE 8080 9102
# No shell and no curl in here: the binary probes itself.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/hello-server", "--probe", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/hello-server"]
