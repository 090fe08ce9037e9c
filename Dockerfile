# syntax=docker/dockerfile:1
#
# The Tidings gateway as a container image.
#
#   docker build -t tidings .
#   docker run --rm tidings --help
#
# docker-compose.yml at the repository root runs it next to PostgreSQL; see deploy/README.md.
#
# Build stage: the official Swift image. The Swift standard library and Foundation are linked
# statically, and TLS (BoringSSL inside swift-nio-ssl and swift-crypto) and the PostgreSQL client
# (postgres-nio) are Swift packages, so the binary needs only the C and C++ runtimes of the host,
# and libpq for logical capture's replication connection.

ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
WORKDIR /src

# libpq, for logical capture's replication connection (the CLibPQ system-library target).
# hadolint ignore=DL3008
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev pkg-config && rm -rf /var/lib/apt/lists/*

# Dependencies first: this layer is rebuilt only when the manifest changes. Package.resolved is
# committed: resolution takes exactly its revisions and fails if it is out of date.
COPY Package.* ./
RUN swift package --force-resolved-versions resolve

# SwiftPM resource bundles (TidingsPostgres ships Migrations/*.sql as one) must sit next to the
# executable, where the migrator looks for them: stage the binary and every bundle together.
# `--strip-debug` drops DWARF (185 MB -> 117 MB) but keeps symbols for crash backtraces.
# SwiftPM checks every target's folder before it builds one product, test targets and the tests'
# support target (Tests/TidingsTestSupport) included: Tests/ comes along, and is not built.
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product tidings -Xlinker --strip-debug \
    && mkdir -p /staging \
    && bin="$(swift build -c release --static-swift-stdlib --show-bin-path)" \
    && cp "$bin/tidings" /staging/ \
    && find "$bin/" -maxdepth 1 -name '*.resources' -exec cp -R {} /staging/ \; \
    && test -d /staging/tidings_TidingsPostgres.resources/Migrations

# Runtime stage: only what the binary loads (libc, libstdc++, libgcc_s from the base image),
# CA roots for `sslmode=require` to PostgreSQL, and tzdata for local-time log timestamps.
FROM ${RUNTIME_IMAGE}

# Unpinned on purpose: the base image's own security updates should reach each rebuild.
# hadolint ignore=DL3008
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tzdata libstdc++6 libpq5 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 tidings \
    && useradd --system --uid 10001 --gid tidings --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin tidings

WORKDIR /app
COPY --from=build /staging/ /app/

# The migrator also finds the bundle beside the executable; naming it makes that explicit.
ENV PATH="/app:${PATH}" \
    TIDINGS_MIGRATIONS_DIR=/app/tidings_TidingsPostgres.resources/Migrations

# The config (and the TLS files it names) are mounted at run time, never baked in.
USER 10001:10001
EXPOSE 8443
ENTRYPOINT ["tidings"]
CMD ["serve", "--config", "/etc/tidings/tidings.yaml"]
