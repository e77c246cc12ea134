#!/usr/bin/env bash
# Installs the Debian packages the service, its tests and the local Swarm need, when missing.
# (Traefik comes from PyPI through scripts/install-traefik.sh, which needs python3-pip.)
set -euo pipefail
packages=(libcurl4-openssl-dev libsqlite3-dev pkg-config docker.io containerd runc iptables busybox-static
          curl chromium chromium-driver python3 python3-venv python3-pip wrk)
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

# Selenium (PyPI) for the dashboard's browser test, in a venv outside the work tree.
venv="${IDE_BROWSER_VENV:-$HOME/.cache/ide-orchestrator/browser-venv}"
selenium_version=4.50.0
if ! "$venv/bin/python" -c "import selenium, sys; sys.exit(selenium.__version__ != '$selenium_version')" 2>/dev/null; then
    echo "install-deps: installing selenium $selenium_version into $venv" >&2
    /usr/bin/python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q --disable-pip-version-check "selenium==$selenium_version" >&2
fi

# The strict Prometheus text parser the metrics integration test uses (scripts/parse-metrics.py).
if ! python3 -c 'import prometheus_client' 2>/dev/null; then
    echo "install-deps: installing prometheus-client" >&2
    python3 -m pip install --quiet --disable-pip-version-check 'prometheus-client==0.26.0' >&2 \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages 'prometheus-client==0.26.0' >&2
fi

# schemathesis (PyPI) for the API fuzz run (Tests/fuzz/run.sh), in its own venv outside the work tree.
fuzz_venv="${IDE_FUZZ_VENV:-$HOME/.cache/ide-orchestrator/fuzz-venv}"
schemathesis_version=4.32.5
if ! "$fuzz_venv/bin/schemathesis" --version 2>/dev/null | grep -qx "schemathesis, version $schemathesis_version"; then
    echo "install-deps: installing schemathesis $schemathesis_version into $fuzz_venv" >&2
    /usr/bin/python3 -m venv "$fuzz_venv" >&2
    "$fuzz_venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$schemathesis_version" >&2
fi

# matplotlib (PyPI) for the benchmark's chart (scripts/benchmark.sh), in a venv outside the work tree.
bench_venv="${IDE_BENCH_VENV:-$HOME/.cache/ide-orchestrator/bench-venv}"
matplotlib_version=3.11.2
if ! "$bench_venv/bin/python" -c "import matplotlib, sys; sys.exit(matplotlib.__version__ != '$matplotlib_version')" 2>/dev/null; then
    echo "install-deps: installing matplotlib $matplotlib_version into $bench_venv" >&2
    /usr/bin/python3 -m venv "$bench_venv" >&2
    "$bench_venv/bin/pip" install -q --disable-pip-version-check "matplotlib==$matplotlib_version" >&2
fi
