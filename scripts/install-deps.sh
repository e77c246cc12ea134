#!/usr/bin/env bash
# Installs the Debian packages the service, its tests and the local Swarm need, when missing.
# (Traefik comes from PyPI through scripts/install-traefik.sh, which needs python3-pip.)
set -euo pipefail
packages=(libcurl4-openssl-dev libsqlite3-dev pkg-config docker.io containerd runc iptables busybox-static
          curl chromium chromium-driver python3 python3-venv python3-pip wrk mmdebstrap)
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

# Installs PACKAGE==VERSION from PyPI into the venv VENV (outside the work tree) unless it is there.
venv_package() {
    local venv="$1" package="$2" version="$3"
    "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('$package') != '$version')" 2>/dev/null && return 0
    echo "install-deps: installing $package $version into $venv" >&2
    /usr/bin/python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q --disable-pip-version-check "$package==$version" >&2
}

cache="$HOME/.cache/ide-orchestrator"
# Selenium for the dashboard's browser test (Tests/browser/run.sh).
venv_package "${IDE_BROWSER_VENV:-$cache/browser-venv}" selenium 4.50.0
# boto3 for the reference image's workspace test (Tests/ide/run.sh), which shares that venv.
venv_package "${IDE_BROWSER_VENV:-$cache/browser-venv}" boto3 1.43.11
# schemathesis for the API fuzz run (Tests/fuzz/run.sh).
venv_package "${IDE_FUZZ_VENV:-$cache/fuzz-venv}" schemathesis 4.32.5
# matplotlib for the benchmark's chart (scripts/benchmark.sh).
venv_package "${IDE_BENCH_VENV:-$cache/bench-venv}" matplotlib 3.11.2

# The strict Prometheus text parser the metrics integration test uses (scripts/parse-metrics.py).
if ! python3 -c 'import prometheus_client' 2>/dev/null; then
    echo "install-deps: installing prometheus-client" >&2
    python3 -m pip install --quiet --disable-pip-version-check 'prometheus-client==0.26.0' >&2 \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages 'prometheus-client==0.26.0' >&2
fi
