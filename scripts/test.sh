#!/usr/bin/env bash
# Runs every test, unit and integration. Integration tests use a private local Swarm
# (scripts/local-swarm.sh); it is started here when not already up, and torn down again.
# Without arguments it ends with the deployment tests: scripts/stack-test.sh (docker stack
# deploy, used through Traefik) and scripts/quickstart-test.sh (the README run command, its
# printed curl, the code URL through Traefik); with arguments (e.g. --filter X) only
# `swift test` runs. STACK_TEST=0 skips them, STACK_TEST=1 runs them even with arguments.
# ONLY=suite[,suite...] runs just those suites (swift, agent, ide, browser, fuzz, faults, stack,
# quickstart, benchmark) with the same setup; Tests/README.md says what each one proves.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-deps.sh

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

# Runs one suite (NAME COMMAND...) unless ONLY leaves it out; a failure fails the run but not the
# suites after it. Each says how long it took.
status=0
suite() {
    local name="$1" started=$SECONDS rc=0
    shift
    [ -z "${ONLY:-}" ] || [[ ",$ONLY," == *",$name,"* ]] || return 0
    "$@" || rc=$?
    echo "test.sh: $name ($*) -> $([ "$rc" = 0 ] && echo passed || echo "FAILED ($rc)") in $((SECONDS - started)) s" >&2
    [ "$rc" = 0 ] || status=1
}

started=$SECONDS
swift build --build-tests
echo "test.sh: swift build --build-tests in $((SECONDS - started)) s" >&2
export IDE_ORCHESTRATOR_BINARY="$(swift build --show-bin-path)/ide-orchestrator"
suite swift swift test --skip-build "$@"
if [ -n "${ONLY:-}" ] || [ "${STACK_TEST:-$([ $# -eq 0 ] && echo 1 || echo 0)}" = 1 ]; then
    # The reference image's agent against moto (SigV4 checked) and the real rclone.
    suite agent images/ide/agent/tests/run.sh
    # The reference IDE image end to end: claim, hydrate, push, pull, conflicts, flush on stop, kill,
    # adoption, and the editor and desktop in Chromium, through Traefik with moto's S3.
    suite ide Tests/ide/run.sh
    # The dashboard in headless Chromium, and the event stream under 100 clients and a restart.
    suite browser Tests/browser/run.sh
    # Protected IDE routes through the real Traefik in path and host mode, and in Chromium.
    suite routes Tests/routes/run.sh
    # schemathesis against the running binary (FUZZ_MAX_EXAMPLES=500 FUZZ_MIN_CASES=2000 for the full run).
    suite fuzz Tests/fuzz/run.sh
    # A 30 s engine outage, an unopenable store, and a kill -9 storm (quick counts).
    suite faults Tests/faults/run.sh
    DOCKER_HOST="$IDE_TEST_DOCKER_HOST" suite stack scripts/stack-test.sh
    DOCKER_HOST="$IDE_TEST_DOCKER_HOST" suite quickstart scripts/quickstart-test.sh
    # The benchmark with tiny counts on the debug build: it still runs and writes valid JSON (no timing asserted).
    IDE_DEV_IMAGE="$IDE_TEST_IMAGE" suite benchmark scripts/benchmark.sh --quick --out "$(mktemp -d)"
fi
exit "$status"
