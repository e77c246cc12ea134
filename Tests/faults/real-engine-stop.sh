#!/usr/bin/env bash
# Stops a private dockerd for 30 s and starts it again under a running service (see
# real_engine_stop.py). Not part of scripts/test.sh: it needs its own network namespace (only
# one Swarm engine per namespace), where it brings up a private engine with
# scripts/local-swarm.sh and removes it at the end. Figures: docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
binary="${IDE_ORCHESTRATOR_BINARY:-$(swift build --show-bin-path)/ide-orchestrator}"
exec timeout 600 unshare --net --fork bash -c '
    set -euo pipefail
    ip link set lo up
    export IDE_SWARM_DIR=/tmp/iof-swarm-$$
    trap "scripts/local-swarm.sh down >/dev/null 2>&1 || true; rm -f \$IDE_SWARM_DIR.lock" EXIT
    swarm_env=$(scripts/local-swarm.sh up 2>/dev/null)
    IDE_TEST_DOCKER_HOST="${swarm_env#DOCKER_HOST=}" IDE_ORCHESTRATOR_BINARY="'"$binary"'" python3 -u Tests/faults/real_engine_stop.py
'
