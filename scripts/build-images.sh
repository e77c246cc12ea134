#!/usr/bin/env bash
# Builds this service's image and a Traefik image without any registry, into the engine at
# DOCKER_HOST: each is a rootfs tarball loaded with `docker import` (nothing is pulled).
#
#   scripts/build-images.sh [all|orchestrator|traefik]      (default all)
#
#   ORCHESTRATOR_IMAGE   tag of this service's image (default ide-orchestrator:latest)
#   ORCHESTRATOR_BINARY  a built ide-orchestrator binary; when unset it is built with
#                        `swift build -c ${SWIFT_CONFIGURATION:-release}`
#   TRAEFIK_IMAGE        tag of the Traefik image (default ide-orchestrator/traefik:3.7.15)
#   TRAEFIK_BINARY       a Traefik binary; when unset the pinned one from scripts/install-traefik.sh
#
# The service's rootfs holds the binary with its resource bundle, every library `ldd` lists
# and the dynamic loader, curl (for the health check) with its libraries, CA certificates,
# and Public/; it runs as uid 10001 and keeps its database under /data. With a registry,
# the Dockerfile builds the equivalent image. Progress goes to stderr, the tags to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
WHAT="${1:-all}"
ORCHESTRATOR_IMAGE="${ORCHESTRATOR_IMAGE:-ide-orchestrator:latest}"
TRAEFIK_IMAGE="${TRAEFIK_IMAGE:-ide-orchestrator/traefik:3.7.15}"

log() { echo "build-images: $*" >&2; }
die() { log "error: $*"; exit 1; }

command -v docker >/dev/null || die "docker CLI not found (scripts/install-deps.sh installs it)"
docker version >/dev/null 2>&1 || die "no Docker engine answers at ${DOCKER_HOST:-the default socket}; set DOCKER_HOST"
case "$WHAT" in all | orchestrator | traefik) ;; *) die "usage: $0 [all|orchestrator|traefik]" ;; esac

work="$(mktemp -d "${TMPDIR:-/tmp}/ide-images.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Copies every library ldd lists for FILE (and the loader) into ROOT at the same paths.
copy_libraries() {
    local root="$1" file="$2" lib
    for lib in $(ldd "$file" | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }'); do
        [ -e "$root$lib" ] && continue
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
}

# Imports ROOT as TAG unless TAG already carries the same content hash; prints TAG.
import_rootfs() {
    local root="$1" tag="$2"; shift 2
    local hash
    hash="$(cd "$root" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
    if [ "$(docker image inspect --format '{{index .Config.Labels "ide-orchestrator.rootfs-hash"}}' "$tag" 2>/dev/null)" = "$hash" ]; then
        log "$tag is up to date"
    else
        log "importing $tag"
        tar --numeric-owner -C "$root" -cf - . | docker import --change "LABEL ide-orchestrator.rootfs-hash=$hash" "$@" - "$tag" >/dev/null
    fi
    echo "$tag"
}

build_orchestrator() {
    local binary="${ORCHESTRATOR_BINARY:-}"
    if [ -z "$binary" ]; then
        local configuration="${SWIFT_CONFIGURATION:-release}"
        log "swift build -c $configuration --product ide-orchestrator"
        swift build -c "$configuration" --product ide-orchestrator >&2
        binary="$(swift build -c "$configuration" --show-bin-path)/ide-orchestrator"
    fi
    [ -x "$binary" ] || die "no executable at $binary (set ORCHESTRATOR_BINARY or build first)"
    local root="$work/orchestrator" bundle
    mkdir -p "$root/app" "$root/data" "$root/tmp" "$root/etc/ssl/certs"
    chmod 1777 "$root/tmp"
    mkdir -p "$root/app/bin" "$root/usr/bin"
    cp -L "$binary" "$root/app/bin/ide-orchestrator"
    copy_libraries "$root" "$binary"
    for bundle in "$(dirname "$binary")"/*.resources; do
        [ -d "$bundle" ] && cp -R "$bundle" "$root/app/bin/"
    done
    local curl; curl="$(command -v curl)" || die "curl is missing (apt-get install curl)"
    cp -L "$curl" "$root/usr/bin/curl"
    copy_libraries "$root" "$curl"
    [ -f /etc/ssl/certs/ca-certificates.crt ] && cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
    cp -R Public "$root/app/Public"
    printf 'root:x:0:0:root:/root:/sbin/nologin\nide:x:10001:10001:ide-orchestrator:/app:/sbin/nologin\n' > "$root/etc/passwd"
    printf 'root:x:0:\nide:x:10001:\n' > "$root/etc/group"
    chown 10001:10001 "$root/data"
    import_rootfs "$root" "$ORCHESTRATOR_IMAGE" \
        --change 'WORKDIR /app' \
        --change 'ENV PATH=/app/bin:/usr/bin:/bin PUBLIC_DIR=/app/Public DATABASE_PATH=/data/containers.db' \
        --change 'USER 10001:10001' \
        --change 'VOLUME /data' \
        --change 'EXPOSE 3001' \
        --change 'ENTRYPOINT ["/app/bin/ide-orchestrator"]' \
        --change 'CMD ["serve"]'
}

build_traefik() {
    local binary="${TRAEFIK_BINARY:-$(scripts/install-traefik.sh)}"
    [ -x "$binary" ] || die "no Traefik binary at $binary"
    local root="$work/traefik"
    mkdir -p "$root/bin" "$root/etc" "$root/tmp"
    chmod 1777 "$root/tmp"
    cp "$binary" "$root/bin/traefik"
    printf 'root:x:0:0:root:/root:/sbin/nologin\n' > "$root/etc/passwd"
    import_rootfs "$root" "$TRAEFIK_IMAGE" --change 'EXPOSE 80 443' --change 'ENTRYPOINT ["/bin/traefik"]'
}

case "$WHAT" in
    orchestrator) build_orchestrator ;;
    traefik) build_traefik ;;
    all) build_orchestrator; build_traefik ;;
esac
