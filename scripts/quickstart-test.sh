#!/usr/bin/env bash
# Quick-start test: runs the README run command (scripts/run-local.sh) against the engine at
# DOCKER_HOST, runs the start `curl` it prints, word for word, and opens the codeServer URL of
# the answer with curl: without a session it answers 401; its launch URL (launchUrls) must reach the
# reference image's editor through Traefik at once, and the cookie it leaves opens the URL again. Traefik's
# service and network, the instance, the API port and the database are named for this run and
# removed afterwards. Prints one PASS/FAIL line per check; exits non-zero on any failure.
#
# Needs: DOCKER_HOST (a Swarm manager; scripts/test.sh passes the private one), curl, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DOCKER_HOST:?set DOCKER_HOST to a Swarm manager}"
RUN="qs$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
DIR="$(mktemp -d "${TMPDIR:-/tmp}/quickstart.XXXXXX")"
LOG="$DIR/run-local.log"
export LOCAL_TRAEFIK_SERVICE="$RUN-traefik" TRAEFIK_NETWORK="$RUN-traefik" INSTANCE_NAME="$RUN" LOCAL_S3_DIR="$DIR/s3"
export PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export DATABASE_PATH="$DIR/containers.db" PRE_WARMED_QUEUE_SIZE=1 CONTAINER_MEMORY_LIMIT=1GB CONTAINER_CPU_LIMIT=0.5 MAX_CPU_PERCENT=100 MAX_MEMORY_PERCENT=100
started=$SECONDS
failures=0
pid=""

say() { echo "quickstart-test: $*" >&2; }
pass() { say "PASS $*"; }
fail() { say "FAIL $*"; failures=$((failures + 1)); }
eventually() { local secs="$1"; shift; local deadline=$((SECONDS + secs)); until "$@"; do [ "$SECONDS" -lt "$deadline" ] || return 1; sleep 0.5; done; }
ide_services() { docker service ls -q --filter "label=ide-orchestrator.instance=$RUN"; }
ide_secrets() { docker secret ls -q --filter "label=ide-orchestrator.instance=$RUN"; }
# Agent-token secrets can go only once their services are gone.
remove_secrets() { local ids; ids="$(ide_secrets)"; [ -z "$ids" ] || docker secret rm $ids >/dev/null 2>&1 || true; [ -z "$(ide_secrets)" ]; }
none_left() { [ -z "$(ide_services)$(docker ps -aq --filter "label=ide-orchestrator.instance=$RUN")" ] && remove_secrets; }

cleanup() {
    local code=$?
    if [ "$failures" -gt 0 ] || [ "$code" -ne 0 ]; then say "run-local.sh output (tail):"; tail -n 25 "$LOG" | sed 's/^/    /' >&2 || true; fi
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    local ids; ids="$(ide_services)"
    # shellcheck disable=SC2086
    [ -z "$ids" ] || docker service rm $ids >/dev/null 2>&1 || true
    eventually 60 none_left || true
    scripts/setup-local.sh down >/dev/null 2>&1 || true
    rm -rf "$DIR"
    if none_left && ! docker service inspect "$LOCAL_TRAEFIK_SERVICE" >/dev/null 2>&1 && ! docker network inspect "$TRAEFIK_NETWORK" >/dev/null 2>&1; then say "cleaned up $RUN"; else say "FAIL could not remove everything of $RUN"; exit 1; fi
}
trap cleanup EXIT

scripts/run-local.sh >"$LOG" 2>&1 &
pid=$!
listening() { grep -q "Server started and listening" "$LOG" || { kill -0 "$pid" 2>/dev/null || return 2; return 1; }; }
if eventually 300 listening; then pass "scripts/run-local.sh serves on port $PORT"; else fail "scripts/run-local.sh did not start"; exit 1; fi

start="$(grep '^  Start one: ' "$LOG" | sed 's/^  Start one: //')"
[ -n "$start" ] || { fail "run-local.sh printed no 'Start one:' command"; exit 1; }
reply="$(eval "$start -s --max-time 90")"
urls="$(python3 -c 'import json, sys; r = json.loads(sys.argv[1]); print(r["urls"]["codeServer"])' "$reply" 2>/dev/null || true)"
launch="$(python3 -c 'import json, sys; r = json.loads(sys.argv[1]); print(r["launchUrls"]["codeServer"])' "$reply" 2>/dev/null || true)"
if [ -n "$urls" ] && [ -n "$launch" ]; then pass "the printed start curl answered with codeServer $urls and its launch URL"; else fail "the printed start curl answered: $reply"; exit 1; fi
# The local run serves every container route on its own origin, behind the launch-link check.
case "$urls" in http://code-*.localhost/ | http://code-*.localhost:*/) pass "host mode: codeServer is its own origin ($urls)" ;; *) fail "codeServer $urls is not http://code-<id>.localhost:<port>/" ;; esac
plain="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$urls")"
if [ "$plain" = 401 ]; then pass "the plain code URL without a session answers 401"; else fail "the plain code URL without a session answered $plain"; fi
jar="$DIR/cookies"

# JupyterLab under the code route (its page, or its "Preparing your workspace" page while the
# workspace hydrates); ready means reachable: the URL answers at once, with no retry
# (TRAEFIK_PROBE_URL from setup-local.sh).
code_ok() { curl -sL -c "$jar" -b "$jar" --max-time 30 "$1" | grep -q -e 'JupyterLab' -e 'Preparing your workspace'; }
if code_ok "$launch"; then pass "curl -L of the launch URL reaches the editor (JupyterLab) through Traefik as soon as the start answered"; else fail "curl -L $launch answered: $(curl -sL -b "$jar" -w ' (%{http_code})' --max-time 10 "$urls" | tail -c 300 || true)"; fi
if code_ok "$urls"; then pass "the session cookie opens the plain code URL again"; else fail "the plain code URL with the session cookie answered: $(curl -sL -b "$jar" -w ' (%{http_code})' --max-time 10 "$urls" | tail -c 300 || true)"; fi

if [ "$failures" -eq 0 ]; then say "PASS ($((SECONDS - started)) s)"; else say "FAIL: $failures check(s) failed"; exit 1; fi
