# ide-orchestrator: multi-stage image for operators with a registry that serves the Swift and
# Ubuntu base images. (Without a registry, scripts/build-images.sh makes the equivalent image
# from a locally built binary with `docker import`.)
#
#   docker build -t registry.example.com/ide-orchestrator:1.0 .
#
# Build arguments:
#   SWIFT_IMAGE        builder: a Swift 6.3 toolchain image (default swift:6.3-noble)
#   RUNTIME_IMAGE      runtime base: the Ubuntu release SWIFT_IMAGE is built on (default ubuntu:24.04)
#   SWIFT_BUILD_FLAGS  flags of `swift build` (default: release, Swift runtime linked statically,
#                      so the runtime stage needs only libcurl, SQLite and the C/C++ runtimes)
#   APP_UID            uid and gid of the user the service runs as (default 10001)
#
# At run time: every setting comes from the environment (ENVIRONMENT_VARIABLES.md); none, and
# no secret, is baked in. Mount the engine socket at /var/run/docker.sock (the process needs
# read/write access to it: run with the socket's group, e.g. `--user 10001:$(stat -c %g
# /var/run/docker.sock)`, or as root) and keep /data (the SQLite database) on a volume.
ARG SWIFT_IMAGE=swift:6.3-noble
ARG RUNTIME_IMAGE=ubuntu:24.04

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcurl4-openssl-dev libsqlite3-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so source edits do not refetch them.
COPY Package.swift Package.resolved* ./
RUN swift package resolve
COPY Sources Sources
ARG SWIFT_BUILD_FLAGS="-c release --static-swift-stdlib"
RUN swift build ${SWIFT_BUILD_FLAGS} --product ide-orchestrator \
 && bin="$(swift build ${SWIFT_BUILD_FLAGS} --show-bin-path)" \
 && mkdir -p /out/bin \
 && cp "$bin/ide-orchestrator" /out/bin/ \
 && cp -R "$bin"/*.resources /out/bin/

FROM ${RUNTIME_IMAGE}
ARG APP_UID=10001
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcurl4 libsqlite3-0 libstdc++6 ca-certificates curl tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid "${APP_UID}" ide \
 && useradd --uid "${APP_UID}" --gid ide --home-dir /app --no-create-home --shell /usr/sbin/nologin ide \
 && mkdir -p /data \
 && chown ide:ide /data
WORKDIR /app
COPY --from=build /out/bin /app/bin
COPY Public /app/Public
ENV PATH=/app/bin:$PATH \
    PORT=3001 \
    PUBLIC_DIR=/app/Public \
    DATABASE_PATH=/data/containers.db
VOLUME /data
EXPOSE 3001
USER ide
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${PORT}/live" || exit 1
ENTRYPOINT ["/app/bin/ide-orchestrator"]
CMD ["serve"]
