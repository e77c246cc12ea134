#!/usr/bin/env bash
# The benchmark (docs/benchmarks.md): starts the local Swarm (or reuses the one running) and the
# service's release build (Swift runtime linked statically, as in the image), then measures warm and cold claims by concurrency, a burst against a
# pool of 10, /api/health, /api/containers and /live with wrk, resident memory by store size,
# and a reconcile pass and idle CPU with 200 containers; then the reference IDE image (images/ide/)
# with a moto S3 and Traefik: its size, cold start, warm claims against the dev image's, claim to
# workspace hydrated, an idle container's memory and the push delay. Prints a table and writes
# results.json and latency.png into --out (default benchmark-results/).
#
#   scripts/benchmark.sh                 full run (about 25 minutes on 2 cores)
#   scripts/benchmark.sh --quick         tiny counts, only to prove it works (scripts/test.sh runs
#                                        this); without the reference phase, which takes minutes
#   scripts/benchmark.sh --phases warm,cold   a subset: warm, cold, pool10, scale, reference
#   scripts/benchmark.sh --phases reference   the reference image alone (--quick: tiny counts)
#
# IDE_ORCHESTRATOR_BINARY uses a binary already built (the test command passes its debug
# build) instead of building the release one. Every service run has its own INSTANCE_NAME;
# its Swarm services are removed when it ends. The Swarm itself is left running.
set -euo pipefail
cd "$(dirname "$0")/.."
out=benchmark-results
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out="$2"; shift 2 ;;
        --quick) args+=(--quick); shift ;;
        *) args+=("$1"); shift ;;
    esac
done
scripts/install-test-deps.sh
export "$(scripts/local-swarm.sh up)"
export IDE_CONTAINER_IMAGE="${IDE_CONTAINER_IMAGE:-${IDE_DEV_IMAGE:-ide-orchestrator/dev-ide:latest}}"
export SWARM_NETWORK="${SWARM_NETWORK:-ide-network}"
if [ -z "${IDE_ORCHESTRATOR_BINARY:-}" ]; then
    # As the image builds it (Dockerfile): the Swift runtime linked statically.
    swift build -c release --static-swift-stdlib --product ide-orchestrator >&2
    IDE_ORCHESTRATOR_BINARY="$(swift build -c release --static-swift-stdlib --show-bin-path)/ide-orchestrator"
fi
mkdir -p "$out"
python3 scripts/lib/benchmark.py --binary "$IDE_ORCHESTRATOR_BINARY" --out "$out" "${args[@]}"
# The chart needs matplotlib (installed by scripts/install-test-deps.sh into its own venv).
venv="${IDE_BENCH_VENV:-$HOME/.cache/ide-orchestrator/bench-venv}"
"$venv/bin/python" scripts/lib/benchmark_chart.py "$out/results.json" "$out/latency.png"
