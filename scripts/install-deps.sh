#!/usr/bin/env bash
# Installs the Debian packages the service, its tests and the local Swarm need, when missing.
set -euo pipefail
packages=(libcurl4-openssl-dev libsqlite3-dev pkg-config docker.io containerd runc iptables busybox-static)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# The strict Prometheus text parser the metrics integration test uses (scripts/parse-metrics.py).
if ! python3 -c 'import prometheus_client' 2>/dev/null; then
    echo "install-deps: installing prometheus-client" >&2
    python3 -m pip install --quiet --disable-pip-version-check 'prometheus-client==0.26.0' >&2 \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages 'prometheus-client==0.26.0' >&2
fi
