#!/usr/bin/env bash
# Protected IDE routes' figures (docs/benchmarks.md): check listener throughput with wrk and the
# latency the check adds per asset through Traefik. Needs the private Swarm (see scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")"
venv="${IDE_BROWSER_VENV:-$HOME/.cache/ide-orchestrator/browser-venv}"
"$venv/bin/python" -u bench.py "$@"
