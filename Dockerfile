# hello-server: a static binary on an empty image.
#
#   docker build -t hello-server .                         (BuildKit or classic)
#   docker build --target test .                           (unit tests only)
#
# No `# syntax=` line, no RUN --mount, no heredocs: the classic builder
# (DOCKER_BUILDKIT=0) must build this as well as BuildKit does.

# The build image. Pinned by tag; pass a digest (debian:bookworm-slim@sha256:...)
# with --build-arg for byte-for-byte repeatable builders.
ARG BUILDER_IMAGE=debian:bookworm-slim

FROM ${BUILDER_IMAGE} AS build
# Debian 12 package versions; bump them together with BUILDER_IMAGE.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      cmake=3.25.1-1 \
      ninja-build=1.11.1-2~deb12u1 \
      g++-12=12.2.0-14+deb12u1 \
      g++=4:12.2.0-3 \
      node-llhttp=8.1.0~5.15.0+dfsg1+~cs20.10.9.3-1+deb12u4 \
      libgtest-dev=1.12.1-0.2 \
      libgmock-dev=1.12.1-0.2 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY VERSION CMakeLists.txt CMakePresets.json ./
COPY cmake/ cmake/
COPY src/ src/
COPY test/CMakeLists.txt test/
COPY test/unit/ test/unit/
COPY test/integration/ test/integration/

ARG REVISION=unknown
# Changing REBUILD recompiles with every earlier layer cached: the
# reproducibility test builds twice and compares the binaries.
ARG REBUILD=0
# The same preset as `make build`, minus the repository-wide checks and the
# benchmarks, which need tools that have no place in a build image.
RUN cmake --preset release -DHELLO_PROJECT_CHECKS=OFF -DHELLO_BENCH=OFF -DHELLO_REVISION=${REVISION} \
 && cmake --build --preset release --target hello-server unit_tests allocation_tests \
 && mkdir -p /rootfs/etc \
 && cp build/release/src/hello-server /rootfs/hello-server \
 && echo 'nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin' > /rootfs/etc/passwd \
 && echo 'nonroot:x:65532:' > /rootfs/etc/group

FROM build AS test
RUN ctest --test-dir build/release --label-regex unit --output-on-failure --parallel 2

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
COPY --from=build /rootfs/ /
USER 65532:65532
EXPOSE 8080
# No shell and no curl in here: the binary probes itself.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/hello-server", "--probe", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/hello-server"]
