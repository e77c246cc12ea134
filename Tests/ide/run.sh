#!/usr/bin/env bash
# The reference IDE image end to end on the private Swarm (IDE_TEST_DOCKER_HOST and
# IDE_ORCHESTRATOR_BINARY: see scripts/test.sh): builds the image (cached), brings up Traefik and
# moto for this run, runs workspace_test.py and removes all it made.
set -euo pipefail
cd "$(dirname "$0")"
venv="${IDE_BROWSER_VENV:-$HOME/.cache/ide-orchestrator/browser-venv}"
"$venv/bin/python" -u workspace_test.py
