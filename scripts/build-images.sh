#!/usr/bin/env bash
# Builds this service's image and a Traefik image without any registry, into the engine at
# DOCKER_HOST: each is a rootfs tarball loaded with `docker import` (nothing is pulled).
#
#   scripts/build-images.sh [all|orchestrator|traefik|ide|ide-rootfs]      (default all)
#
# `all` is this service's image and Traefik's; the reference IDE image (`ide`) is built only
# when named: its first build downloads ~150 MB of packages and takes minutes.
#
#   ORCHESTRATOR_IMAGE   tag of this service's image (default ide-orchestrator:latest)
#   ORCHESTRATOR_BINARY  a built ide-orchestrator binary; when unset it is built with
#                        `swift build -c ${SWIFT_CONFIGURATION:-release}`
#   TRAEFIK_IMAGE        tag of the Traefik image (default ide-orchestrator/traefik:3.7.15)
#   TRAEFIK_BINARY       a Traefik binary; when unset the pinned one from scripts/install-traefik.sh
#   IDE_IMAGE            tag of the reference IDE image (default ide-orchestrator/ide:latest)
#   IDE_AGENT_DIR        the agent's directory copied to /opt/ide/agent (default images/ide/agent)
#   IDE_ROOTFS_CACHE     where built IDE root filesystems are kept (default
#                        ~/.cache/ide-orchestrator/ide-rootfs)
#   IDE_DEBIAN_MIRROR    Debian mirror for mmdebstrap (default http://deb.debian.org/debian)
#
# The service's rootfs holds the binary with its resource bundle, every library `ldd` lists
# and the dynamic loader, curl (for the health check) with its libraries, CA certificates,
# and Public/; it runs as uid 10001 and keeps its database under /data. With a registry,
# the Dockerfile builds the equivalent image. Progress goes to stderr, the tags to stdout.
#
# The IDE image (images/ide/README.md) is built in two steps. `ide-rootfs` makes the slow
# part, a Debian bookworm root filesystem from images/ide/debian-packages.txt (mmdebstrap
# --variant=minbase, no Recommends) with images/ide/requirements.txt in a venv, as a tarball
# cached under IDE_ROOTFS_CACHE by a hash of those inputs; it needs mmdebstrap and the Debian
# and PyPI registries, not a Docker engine, and prints the tarball's path. `ide` reuses that
# tarball (building it when missing), appends images/ide/rootfs/ and the agent, and imports
# the result with the LABEL/ENV/EXPOSE/WORKDIR/ENTRYPOINT lines of images/ide/Dockerfile.
set -euo pipefail
cd "$(dirname "$0")/.."
WHAT="${1:-all}"
ORCHESTRATOR_IMAGE="${ORCHESTRATOR_IMAGE:-ide-orchestrator:latest}"
TRAEFIK_IMAGE="${TRAEFIK_IMAGE:-ide-orchestrator/traefik:3.7.15}"

log() { echo "build-images: $*" >&2; }
die() { log "error: $*"; exit 1; }

IDE_IMAGE="${IDE_IMAGE:-ide-orchestrator/ide:latest}"
IDE_AGENT_DIR="${IDE_AGENT_DIR:-images/ide/agent}"
IDE_ROOTFS_CACHE="${IDE_ROOTFS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ide-orchestrator/ide-rootfs}"
IDE_DEBIAN_MIRROR="${IDE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

case "$WHAT" in all | orchestrator | traefik | ide | ide-rootfs) ;; *) die "usage: $0 [all|orchestrator|traefik|ide|ide-rootfs]" ;; esac
if [ "$WHAT" != ide-rootfs ]; then
    command -v docker >/dev/null || die "docker CLI not found (scripts/install-deps.sh installs it)"
    docker version >/dev/null 2>&1 || die "no Docker engine answers at ${DOCKER_HOST:-the default socket}; set DOCKER_HOST"
fi

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

# Key of the IDE root filesystem: its inputs and the two functions that make it.
ide_rootfs_key() {
    { cat images/ide/debian-packages.txt images/ide/requirements.txt images/ide/setup-rootfs.sh
      declare -f ide_wheels ide_mmdebstrap; echo "$IDE_DEBIAN_MIRROR"; } | sha256sum | cut -c1-16
}

# Downloads every wheel of images/ide/requirements.txt for Debian bookworm's Python 3.11.2
# into a cache directory named by the file's hash and prints it. The wheels come from this
# host's pip (its certificates and proxy settings), so the chroot needs no network for them.
ide_wheels() {
    local wheels
    wheels="$IDE_ROOTFS_CACHE/wheels-$(sha256sum < images/ide/requirements.txt | cut -c1-16)"
    if [ ! -f "$wheels/.complete" ]; then
        log "downloading the pinned wheels of images/ide/requirements.txt"
        rm -rf "$wheels"; mkdir -p "$wheels"
        python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.11.2 \
            --implementation cp --abi cp311 --abi abi3 --abi none \
            --platform manylinux_2_36_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
            --platform manylinux_2_28_x86_64 --platform any \
            -r images/ide/requirements.txt -d "$wheels" >&2 || die "pip download failed"
        touch "$wheels/.complete"
    fi
    echo "$wheels"
}

# Writes the root filesystem tarball OUT: bookworm minbase with the packages of
# images/ide/debian-packages.txt (no Recommends), then setup-rootfs.sh in the chroot with
# the wheels of WHEELS.
ide_mmdebstrap() {
    local out="$1" wheels="$2" packages
    packages="$(grep -v '^[[:space:]]*#' images/ide/debian-packages.txt | awk 'NF && $2 == "" { print $1 }' | paste -sd, -)"
    [ -n "$packages" ] || die "no packages in images/ide/debian-packages.txt"
    mmdebstrap --mode=root --variant=minbase --format=tar --aptopt='APT::Install-Recommends "false"' \
        --include="$packages" \
        --customize-hook='mkdir -p "$1/tmp/ide-build/wheels"' \
        --customize-hook="copy-in images/ide/debian-packages.txt images/ide/requirements.txt images/ide/setup-rootfs.sh /tmp/ide-build" \
        --customize-hook="sync-in $wheels /tmp/ide-build/wheels" \
        --customize-hook='chroot "$1" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin sh /tmp/ide-build/setup-rootfs.sh /tmp/ide-build' \
        --customize-hook='rm -rf "$1/tmp/ide-build"' \
        bookworm "$out" \
        "deb $IDE_DEBIAN_MIRROR bookworm main" "deb $IDE_DEBIAN_MIRROR bookworm-updates main" \
        "deb ${IDE_DEBIAN_MIRROR%/debian}/debian-security bookworm-security main" >&2
}

# Lists the entries of the tarball TAR as ./path, sorted, without trailing slashes.
ide_rootfs_paths() {
    tar -tf "$1" | sed -e 's|/$||' -e 's|^\([^.]\)|./\1|' | LC_ALL=C sort -u
}

# Prints the path of the cached IDE root filesystem tarball, building it first when missing.
# Beside it, KEY.end holds the byte offset where the tarball's entries end (before the
# end-of-archive blocks), so more entries can be streamed after it without rewriting it, and
# KEY.paths its entries (`docker import` refuses a path twice, directories included).
build_ide_rootfs() {
    local key tarball
    key="$(ide_rootfs_key)"
    tarball="$IDE_ROOTFS_CACHE/$key.tar"
    # One build at a time per cache (a second caller waits, then finds the tarball).
    mkdir -p "$IDE_ROOTFS_CACHE"
    exec 9> "$IDE_ROOTFS_CACHE/.lock"
    flock 9
    if [ -s "$tarball" ] && [ -s "$IDE_ROOTFS_CACHE/$key.end" ] && [ -s "$IDE_ROOTFS_CACHE/$key.paths" ]; then
        log "IDE root filesystem $key is cached"
        echo "$tarball"; return
    fi
    command -v mmdebstrap >/dev/null || die "mmdebstrap is missing (apt-get install mmdebstrap)"
    [ "$(id -u)" = 0 ] || die "building the IDE root filesystem needs root (mmdebstrap --mode=root)"
    local wheels partial="$IDE_ROOTFS_CACHE/$key.tar.partial" end
    wheels="$(ide_wheels)"
    log "building the IDE root filesystem $key with mmdebstrap (minutes on a cold cache)"
    rm -f "$partial"
    ide_mmdebstrap "$partial" "$wheels" || die "mmdebstrap failed (it needs the Debian registry: run 'scripts/build-images.sh ide-rootfs' where it is reachable)"
    end="$(tar -tRf "$partial" | awk '/\*\* (Block of NULs|End of File) \*\*/ { sub(":", "", $2); printf "%d\n", $2 * 512; exit }')"
    [ -n "$end" ] && [ "$end" -gt 0 ] || die "could not find the end of the entries of $partial"
    echo "$end" > "$IDE_ROOTFS_CACHE/$key.end"
    ide_rootfs_paths "$partial" > "$IDE_ROOTFS_CACHE/$key.paths"
    mv "$partial" "$tarball"
    # Older root filesystems are no longer wanted.
    find "$IDE_ROOTFS_CACHE" -mindepth 1 -maxdepth 1 ! -name "$key.*" ! -name .lock ! -path "$wheels" -exec rm -rf {} +
    log "IDE root filesystem $key: $(du -h "$tarball" | cut -f1)"
    echo "$tarball"
}

# Imports the IDE image: the cached root filesystem followed by images/ide/rootfs/ and the
# agent, streamed into `docker import`; skipped when IDE_IMAGE already carries the same hash.
build_ide() {
    local tarball key
    tarball="$(build_ide_rootfs)"
    key="$(basename "$tarball" .tar)"
    [ -d "$IDE_AGENT_DIR" ] && [ -n "$(ls -A "$IDE_AGENT_DIR")" ] || die "no agent in $IDE_AGENT_DIR (set IDE_AGENT_DIR)"
    local root="$work/ide"
    mkdir -p "$root/opt/ide/agent"
    cp -R images/ide/rootfs/. "$root/"
    cp -R "$IDE_AGENT_DIR/." "$root/opt/ide/agent/"
    find "$root" -name __pycache__ -prune -exec rm -rf {} +
    chmod -R u=rwX,go=rX "$root"
    local hash changes=() line
    hash="$( { echo "$key"; cd "$root" && find . -print0 | sort -z | xargs -0 stat -c '%n %a' \
        && find . -type f -print0 | sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-16)"
    if [ "$(docker image inspect --format '{{index .Config.Labels "ide-orchestrator.rootfs-hash"}}' "$IDE_IMAGE" 2>/dev/null)" = "$hash" ]; then
        log "$IDE_IMAGE is up to date"
        echo "$IDE_IMAGE"; return
    fi
    while IFS= read -r line; do
        changes+=(--change "$line")
    done < <(grep -E '^(LABEL|ENV|EXPOSE|WORKDIR|ENTRYPOINT|CMD|USER|STOPSIGNAL) ' images/ide/Dockerfile)
    # Only what the root filesystem lacks: its directories (/opt, /usr/local/bin...) stay as
    # they are; a file of both would be a second entry for the same path, which is refused.
    (cd "$root" && find . -mindepth 1) | LC_ALL=C sort > "$work/ide.paths"
    local both
    both="$(LC_ALL=C comm -12 "$work/ide.paths" "$IDE_ROOTFS_CACHE/$key.paths" | while IFS= read -r line; do
        [ -d "$root/$line" ] || echo "$line"; done)"
    [ -z "$both" ] || die "images/ide/rootfs or the agent would replace files of the Debian root filesystem: $both"
    LC_ALL=C comm -23 "$work/ide.paths" "$IDE_ROOTFS_CACHE/$key.paths" > "$work/ide.new"
    log "importing $IDE_IMAGE"
    { head -c "$(cat "$IDE_ROOTFS_CACHE/$key.end")" "$tarball"
      tar --numeric-owner --owner=0 --group=0 --no-recursion -C "$root" -cf - -T "$work/ide.new"; } \
        | docker import --change "LABEL ide-orchestrator.rootfs-hash=$hash" "${changes[@]}" - "$IDE_IMAGE" >/dev/null
    echo "$IDE_IMAGE"
}

case "$WHAT" in
    orchestrator) build_orchestrator ;;
    traefik) build_traefik ;;
    ide) build_ide ;;
    ide-rootfs) build_ide_rootfs ;;
    all) build_orchestrator; build_traefik ;;
esac
