#!/usr/bin/env bash
# Fuzzes the real service with schemathesis (issue 8, item 6): see fuzz_test.py. Needs
# IDE_TEST_DOCKER_HOST and IDE_ORCHESTRATOR_BINARY (scripts/test.sh sets them). The default size
# runs in about two minutes; the full run: FUZZ_MAX_EXAMPLES=500 FUZZ_MIN_CASES=2000 Tests/fuzz/run.sh
set -euo pipefail
cd "$(dirname "$0")"
venv="${IDE_FUZZ_VENV:-$HOME/.cache/ide-orchestrator/fuzz-venv}"
"$venv/bin/python" -u fuzz_test.py
