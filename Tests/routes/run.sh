#!/usr/bin/env bash
# Protected IDE routes through the real Traefik of scripts/setup-local.sh, in both route modes,
# with the dev IDE image on the private Swarm (IDE_TEST_DOCKER_HOST, IDE_ORCHESTRATOR_BINARY,
# IDE_TEST_IMAGE: see scripts/test.sh); then the same in Debian's headless Chromium.
set -euo pipefail
cd "$(dirname "$0")"
venv="${IDE_BROWSER_VENV:-$HOME/.cache/ide-orchestrator/browser-venv}"
"$venv/bin/python" -u routes_test.py "$@"
