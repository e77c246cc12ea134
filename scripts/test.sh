#!/usr/bin/env bash
# Runs every test, unit and integration. Integration tests use a private local Swarm
# (scripts/local-swarm.sh); it is started here when not already up, and torn down again.
# Without arguments it ends with the deployment tests: scripts/stack-test.sh (docker stack
# deploy, used through Traefik) and scripts/quickstart-test.sh (the README run command, its
# printed curl, the code URL through Traefik); with arguments (e.g. --filter X) only
# `swift test` runs. STACK_TEST=0 skips them, STACK_TEST=1 runs them even with arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

started_swarm=0
cleanup() {
    if [ "$started_swarm" = 1 ]; then scripts/local-swarm.sh down >&2 || true; fi
}
trap cleanup EXIT
if ! scripts/local-swarm.sh env >/dev/null 2>&1; then started_swarm=1; fi
swarm_env=$(scripts/local-swarm.sh up)
export IDE_TEST_DOCKER_HOST="${swarm_env#DOCKER_HOST=}"
export IDE_TEST_IMAGE="${IDE_TEST_IMAGE:-${IDE_DEV_IMAGE:-ide-orchestrator/dev-ide:latest}}"
export IDE_TEST_NETWORK="${IDE_TEST_NETWORK:-ide-network}"
export IDE_TEST_REQUIRE_ENGINE=1

swift build --build-tests
export IDE_ORCHESTRATOR_BINARY="$(swift build --show-bin-path)/ide-orchestrator"
status=0
swift test --skip-build "$@" || status=$?
if [ "${STACK_TEST:-$([ $# -eq 0 ] && echo 1 || echo 0)}" = 1 ]; then
    # The reference image's agent against moto (SigV4 checked) and the real rclone.
    images/ide/agent/tests/run.sh || status=1
    # The reference IDE image end to end: claim, hydrate, push, pull, conflicts, flush on stop, kill,
    # adoption, and the editor and desktop in Chromium, through Traefik with moto's S3.
    Tests/ide/run.sh || status=1
    # The dashboard in headless Chromium, and the event stream under 100 clients and a restart.
    Tests/browser/run.sh || status=1
    # Issue 24: protected IDE routes through the real Traefik in path and host mode, and in Chromium.
    Tests/routes/run.sh || status=1
    # schemathesis against the running binary (FUZZ_MAX_EXAMPLES=500 FUZZ_MIN_CASES=2000 for the full run).
    Tests/fuzz/run.sh || status=1
    # Issue 8: a 30 s engine outage, an unopenable store, and a kill -9 storm (quick counts).
    Tests/faults/run.sh || status=1
    DOCKER_HOST="$IDE_TEST_DOCKER_HOST" scripts/stack-test.sh || status=1
    DOCKER_HOST="$IDE_TEST_DOCKER_HOST" scripts/quickstart-test.sh || status=1
    # The benchmark with tiny counts on the debug build: it still runs and writes valid JSON (no timing asserted).
    IDE_DEV_IMAGE="$IDE_TEST_IMAGE" scripts/benchmark.sh --quick --out "$(mktemp -d)" || status=1
fi
exit "$status"
