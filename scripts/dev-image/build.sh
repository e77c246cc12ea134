#!/usr/bin/env bash
# Builds the dev IDE image (no registry needed): a busybox rootfs plus the
# static ide-agent (ide-agent.c) as PID 1, imported with `docker import`.
#
#   scripts/dev-image/build.sh [TAG]        TAG defaults to ide-orchestrator/dev-ide:latest
#
# Talks to whatever engine DOCKER_HOST (or the docker context) points at.
# Idempotent: skips the build when TAG exists and carries the labels
#   ide-orchestrator.dev-image.hash        = sha256 of ide-agent.c
#   ide-orchestrator.dev-image.build-hash  = sha256 of this script
# matching the current files. FORCE=1 rebuilds anyway.
# Needs: docker CLI, a C compiler with a static libc (gcc; CC overrides), and
# /bin/busybox from busybox-static. Progress goes to stderr; stdout stays empty.
set -euo pipefail

TAG="${1:-ide-orchestrator/dev-ide:latest}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$HERE/ide-agent.c"
BUSYBOX="${BUSYBOX:-/bin/busybox}"
APPLETS="sh ls cat nc ps kill sleep env echo mkdir rm"

log() { echo "dev-image: $*" >&2; }
die() { log "error: $*"; exit 1; }

command -v docker >/dev/null || die "docker CLI not found"
[ -f "$SRC" ] || die "missing $SRC"

SRC_HASH="$(sha256sum "$SRC" | cut -d' ' -f1)"
BUILD_HASH="$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)"

if [ "${FORCE:-0}" != 1 ]; then
    have="$(docker image inspect --format \
        '{{index .Config.Labels "ide-orchestrator.dev-image.hash"}} {{index .Config.Labels "ide-orchestrator.dev-image.build-hash"}}' \
        "$TAG" 2>/dev/null || true)"
    if [ "$have" = "$SRC_HASH $BUILD_HASH" ]; then
        log "$TAG is up to date (agent sha256 ${SRC_HASH:0:12}), skipping build"
        exit 0
    fi
fi

[ -x "$BUSYBOX" ] || die "$BUSYBOX not found (apt-get install busybox-static)"
if command -v ldd >/dev/null && ldd "$BUSYBOX" >/dev/null 2>&1; then
    die "$BUSYBOX is dynamically linked; install busybox-static"
fi

CC="${CC:-}"
if [ -z "$CC" ]; then
    for c in gcc cc clang; do command -v "$c" >/dev/null && { CC="$c"; break; }; done
fi
[ -n "$CC" ] || die "no C compiler (apt-get install gcc libc6-dev)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/ide-dev-image.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
ROOT="$WORK/rootfs"

log "compiling ide-agent with $CC -static -O2"
"$CC" -static -O2 -Wall -Wextra -o "$WORK/ide-agent" "$SRC"
strip "$WORK/ide-agent" 2>/dev/null || true

mkdir -p "$ROOT/bin" "$ROOT/usr/local/bin" "$ROOT/etc" "$ROOT/tmp" "$ROOT/root" \
         "$ROOT/proc" "$ROOT/sys" "$ROOT/dev"
chmod 1777 "$ROOT/tmp"
install -m 0755 "$BUSYBOX" "$ROOT/bin/busybox"
for a in $APPLETS; do ln -s busybox "$ROOT/bin/$a"; done
install -m 0755 "$WORK/ide-agent" "$ROOT/usr/local/bin/ide-agent"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$ROOT/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$ROOT/etc/group"

old_id="$(docker image inspect --format '{{.Id}}' "$TAG" 2>/dev/null || true)"
log "importing rootfs as $TAG"
tar --numeric-owner --owner=0 --group=0 -C "$ROOT" -cf - . |
    docker import \
        --change 'ENTRYPOINT ["/usr/local/bin/ide-agent"]' \
        --change 'EXPOSE 8080 6080 3000' \
        --change 'ENV PATH=/usr/local/bin:/bin' \
        --change "LABEL ide-orchestrator.dev-image.hash=$SRC_HASH" \
        --change "LABEL ide-orchestrator.dev-image.build-hash=$BUILD_HASH" \
        --message "ide-orchestrator dev IDE image (ide-agent ${SRC_HASH:0:12})" \
        - "$TAG" >/dev/null
new_id="$(docker image inspect --format '{{.Id}}' "$TAG")"
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
    # the previous build is now untagged; drop it unless a container still uses it
    docker image rm "$old_id" >/dev/null 2>&1 || true
fi
log "built $TAG (${new_id:7:12})"
