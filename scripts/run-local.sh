#!/usr/bin/env bash
# Brings up the local stack (scripts/setup-local.sh: Swarm, networks, the reference IDE image,
# Traefik, and a local S3 when none is configured) and runs the service on port 3001 in the
# foreground. The URLs a start request answers with open through Traefik, in host mode
# (ROUTE_MODE=host, IDE_DOMAIN=localhost: http://code-<id>.localhost:<port>/, one origin per
# container route) behind the launch-link check: open the answer's launchUrls. Reads .env (or the file ENV_FILE names) like the service does; the
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

export PORT="${PORT:-3001}"
# The check listener Traefik calls for every IDE request (setup-local.sh points Traefik at it).
export IDE_AUTH_PORT="${IDE_AUTH_PORT:-$((PORT + 1))}"
stack_env="$(scripts/setup-local.sh up)"
while IFS= read -r line; do export "$line"; done <<<"$stack_env"

export API_KEY="${API_KEY:-${API_KEYS:-dev-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')}}"
# Each container route on its own origin (*.localhost resolves to 127.0.0.1 in browsers and curl).
export ROUTE_MODE="${ROUTE_MODE:-host}"
export IDE_DOMAIN="${IDE_DOMAIN:-localhost}"
export PRE_WARMED_QUEUE_SIZE="${PRE_WARMED_QUEUE_SIZE:-3}"
export DATABASE_PATH="${DATABASE_PATH:-data/containers.db}"
traefik_url="http://localhost$([ "$HTTP_PORT" = 80 ] || echo ":$HTTP_PORT")"

cat >&2 <<TXT

ide-orchestrator on http://localhost:$PORT  (engine $DOCKER_HOST, image $IDE_CONTAINER_IMAGE, pool $PRE_WARMED_QUEUE_SIZE)
  API key:   $API_KEY
  Dashboard: http://localhost:$PORT/dashboard/ (sign in with the API key)
  Health:    curl http://localhost:$PORT/api/health
  Start one: curl -X POST http://localhost:$PORT/api/containers/start -H "Authorization: Bearer $API_KEY" -H "Content-Type: application/json" -d '{"s3Bucket":"test-bucket","s3Region":"us-east-1"}'
  Then open the answer's launchUrls in a browser (Traefik on $traefik_url): codeServer is the editor,
  vnc the desktop, webServer the user's app on port 3000. Each launch URL works once, within 60 s, and
  leaves a session cookie for that container; the plain urls answer 401 without it.
$([ -z "${S3_ENDPOINT:-}" ] || echo "  Workspaces sync with the S3 at $S3_ENDPOINT (bucket test-bucket for the local one).")

TXT
exec "$binary" serve
