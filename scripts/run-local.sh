#!/usr/bin/env bash
# Brings up the local stack (scripts/setup-local.sh: Swarm, networks, the reference IDE image,
# Traefik, and a local S3 when none is configured) and runs the service on port 3001 in the
# foreground. The URLs a start request answers with
# open through Traefik. Reads .env (or the file ENV_FILE names) like the service does; the
# environment wins. Ctrl-C stops the service; `scripts/local-swarm.sh down` removes the
# private engine (Traefik included) afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

swift build --product ide-orchestrator >&2
binary="$(swift build --show-bin-path)/ide-orchestrator"
# The service parses the file itself; the script only needs to see the same values.
dotenv_exports=$("$binary" dotenv)
eval "$dotenv_exports"

stack_env="$(scripts/setup-local.sh up)"
while IFS= read -r line; do export "$line"; done <<<"$stack_env"

export API_KEY="${API_KEY:-${API_KEYS:-dev-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')}}"
export PORT="${PORT:-3001}"
export PRE_WARMED_QUEUE_SIZE="${PRE_WARMED_QUEUE_SIZE:-3}"
export DATABASE_PATH="${DATABASE_PATH:-data/containers.db}"
traefik_url="http://localhost$([ "$HTTP_PORT" = 80 ] || echo ":$HTTP_PORT")"

cat >&2 <<TXT

ide-orchestrator on http://localhost:$PORT  (engine $DOCKER_HOST, image $IDE_CONTAINER_IMAGE, pool $PRE_WARMED_QUEUE_SIZE)
  API key:   $API_KEY
  Dashboard: http://localhost:$PORT/dashboard/ (sign in with the API key)
  Health:    curl http://localhost:$PORT/api/health
  Start one: curl -X POST http://localhost:$PORT/api/containers/start -H "Authorization: Bearer $API_KEY" -H "Content-Type: application/json" -d '{"s3Bucket":"test-bucket","s3Region":"us-east-1"}'
  Then open the URLs it answers with in a browser (Traefik on $traefik_url): codeServer is the editor
  ($traefik_url/code/<id>/), vnc the desktop ($traefik_url/vnc/<id>/), webServer the user's app on port 3000.
$([ -z "${S3_ENDPOINT:-}" ] || echo "  Workspaces sync with the S3 at $S3_ENDPOINT (bucket test-bucket for the local one).")

TXT
exec "$binary" serve
