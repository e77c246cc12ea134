#!/usr/bin/env bash
# Brings up the local stack and runs the service on port 3001 in the foreground.
# Reads .env (or the file ENV_FILE names) like the service does; the environment wins.
# Uses DOCKER_HOST (or /var/run/docker.sock) when a Swarm-mode engine answers there;
# otherwise starts the private local Swarm (scripts/local-swarm.sh). Ctrl-C stops the
# service; `scripts/local-swarm.sh down` removes the private engine afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

swift build --product ide-orchestrator >&2
binary="$(swift build --show-bin-path)/ide-orchestrator"
# The service parses the file itself; the script only needs to see the same values.
dotenv_exports=$("$binary" dotenv)
eval "$dotenv_exports"

engine_answers() { DOCKER_HOST="$1" docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null | grep -qx active; }

if [ -n "${DOCKER_HOST:-}" ] && engine_answers "$DOCKER_HOST"; then
    echo "run-local: using the Swarm engine at $DOCKER_HOST" >&2
elif [ -z "${DOCKER_HOST:-}" ] && [ -S /var/run/docker.sock ] && engine_answers unix:///var/run/docker.sock; then
    export DOCKER_HOST=unix:///var/run/docker.sock
    echo "run-local: using the Swarm engine at $DOCKER_HOST" >&2
else
    export "$(scripts/local-swarm.sh up)"
    echo "run-local: using the private local Swarm at $DOCKER_HOST" >&2
fi

export SWARM_NETWORK="${SWARM_NETWORK:-ide-network}"
if ! docker network inspect "$SWARM_NETWORK" >/dev/null 2>&1; then
    docker network create --driver bridge --scope swarm --attachable "$SWARM_NETWORK" >/dev/null
fi
if [ -z "${IDE_CONTAINER_IMAGE:-}" ]; then
    export IDE_CONTAINER_IMAGE=ide-orchestrator/dev-ide:latest
    scripts/dev-image/build.sh "$IDE_CONTAINER_IMAGE" >&2
fi

export API_KEY="${API_KEY:-${API_KEYS:-dev-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')}}"
export PORT="${PORT:-3001}"
export PRE_WARMED_QUEUE_SIZE="${PRE_WARMED_QUEUE_SIZE:-3}"
export DATABASE_PATH="${DATABASE_PATH:-data/containers.db}"

cat >&2 <<TXT

ide-orchestrator on http://localhost:$PORT  (engine $DOCKER_HOST, image $IDE_CONTAINER_IMAGE, pool $PRE_WARMED_QUEUE_SIZE)
  API key:   $API_KEY
  Health:    curl http://localhost:$PORT/api/health
  Start one: curl -X POST http://localhost:$PORT/api/containers/start -H "Authorization: Bearer $API_KEY" -H "Content-Type: application/json" -d '{"s3Bucket":"test-bucket","s3Region":"us-east-1"}'

TXT
exec "$binary" serve
