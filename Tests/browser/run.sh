#!/usr/bin/env bash
# Runs the dashboard's browser test and the event-stream test against the real service binary
# on the private Swarm (IDE_TEST_DOCKER_HOST, IDE_ORCHESTRATOR_BINARY: see scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")"
venv="${IDE_BROWSER_VENV:-$HOME/.cache/ide-orchestrator/browser-venv}"
"$venv/bin/python" -u event_stream_test.py
"$venv/bin/python" -u dashboard_test.py
