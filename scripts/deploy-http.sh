#!/usr/bin/env bash
# Deploys ide-orchestrator behind Traefik (plain HTTP) as a Swarm stack from docker-compose.http.yml.
#
#   scripts/deploy-http.sh [--check] [STACK]       STACK defaults to $STACK_NAME, else "ide"
#
# Run it on a Swarm manager (or with DOCKER_HOST pointing at one). It checks every prerequisite
# and names each one that is missing; --check stops there. Otherwise it creates the IDE network
# (an attachable overlay) when missing, writes the API keys and the S3 secret to temporary files
# that `docker stack deploy` turns into Docker secrets (named by a hash of their content, so a
# changed key rolls out as a new secret), deploys, and removes the files.
#
# Required:  API_KEY or API_KEYS (comma-separated keys for the API)
# Images:    ORCHESTRATOR_IMAGE, TRAEFIK_IMAGE, IDE_CONTAINER_IMAGE (see docker-compose.http.yml);
#            RESOLVE_IMAGE=never for images that exist only in this engine (scripts/build-images.sh)
# Also read: SWARM_NETWORK, HTTP_PORT, DOMAIN (localhost or an IP; a domain name needs
#            scripts/deploy-traefik.sh), DOCKER_SOCKET (the engine socket on the manager, default
#            the unix socket of DOCKER_HOST or /var/run/docker.sock), ORCHESTRATOR_USER, S3_*,
#            PROXY_NETWORK and PROXY_SUBNET (the network only Traefik and the service join,
#            default STACK-proxy and 10.231.0.0/24; the subnet is the service's TRUSTED_PROXIES),
#            and every other variable of ENVIRONMENT_VARIABLES.md (passed to the service).
set -euo pipefail
cd "$(dirname "$0")/.."

check_only=0
if [ "${1:-}" = --check ]; then check_only=1; shift; fi
STACK="${1:-${STACK_NAME:-ide}}"
https="${IDE_DEPLOY_HTTPS:-0}"
what="deploy-http"; [ "$https" = 1 ] && what="deploy-traefik"
missing=()
log() { echo "$what: $*" >&2; }
miss() { missing+=("$*"); }

export SWARM_NETWORK="${SWARM_NETWORK:-ide-network}"
# Traefik reaches the API over this stack's own network; its subnet is the service's TRUSTED_PROXIES.
export PROXY_NETWORK="${PROXY_NETWORK:-$STACK-proxy}" PROXY_SUBNET="${PROXY_SUBNET:-10.231.0.0/24}"
export HTTP_PORT="${HTTP_PORT:-80}"
export ORCHESTRATOR_IMAGE="${ORCHESTRATOR_IMAGE:-ide-orchestrator:latest}"
export TRAEFIK_IMAGE="${TRAEFIK_IMAGE:-traefik:v3.7}"
export IDE_CONTAINER_IMAGE="${IDE_CONTAINER_IMAGE:-classla-ide-container:latest}"
RESOLVE_IMAGE="${RESOLVE_IMAGE:-always}"

# ---- what needs no engine
[[ "$STACK" =~ ^[a-zA-Z0-9][a-zA-Z0-9_-]{0,40}$ ]] || miss "STACK '$STACK': letters, digits, '-' and '_' only"
[ -n "${API_KEY:-}${API_KEYS:-}" ] || miss "API_KEY (or API_KEYS): the bearer key(s) clients of the API use"
[[ "$HTTP_PORT" =~ ^[0-9]+$ ]] && [ "$HTTP_PORT" -ge 1 ] && [ "$HTTP_PORT" -le 65535 ] || miss "HTTP_PORT '$HTTP_PORT': a TCP port number"
case "$RESOLVE_IMAGE" in always | changed | never) ;; *) miss "RESOLVE_IMAGE '$RESOLVE_IMAGE': always, changed or never" ;; esac
domain="${DOMAIN:-localhost}"
if [ "$https" != 1 ] && [ "$domain" != localhost ] && ! [[ "$domain" =~ ^[0-9.]+$ || "$domain" == *:* ]]; then
    miss "plain HTTP with DOMAIN=$domain: a domain name makes the service hand out https:// URLs; deploy with scripts/deploy-traefik.sh, or set DOMAIN to localhost or an IP address"
fi
# The service's AWS credentials, under either of their names (S3_* are aliases).
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-${S3_ACCESS_KEY_ID:-}}" AWS_REGION="${AWS_REGION:-${S3_REGION:-}}"
aws_secret="${AWS_SECRET_ACCESS_KEY:-${S3_SECRET_ACCESS_KEY:-}}"
if [ -n "${S3_ENDPOINT:-}" ]; then
    [ -n "$AWS_ACCESS_KEY_ID" ] || miss "AWS_ACCESS_KEY_ID (or S3_ACCESS_KEY_ID): S3_ENDPOINT is set"
    [ -n "$aws_secret" ] || miss "AWS_SECRET_ACCESS_KEY (or S3_SECRET_ACCESS_KEY): S3_ENDPOINT is set"
fi
if [ -n "$AWS_ACCESS_KEY_ID" ] && [ -z "$aws_secret" ]; then miss "AWS_SECRET_ACCESS_KEY (or S3_SECRET_ACCESS_KEY): AWS_ACCESS_KEY_ID is set"; fi
[ -z "${AWS_SESSION_TOKEN:-}" ] || miss "no AWS_SESSION_TOKEN: temporary credentials expire under a long-running service; give a long-lived key and AWS_ASSIGNMENT_ROLE_ARN instead"

# ---- the engine
engine=0
if ! command -v docker >/dev/null; then
    miss "the docker CLI (scripts/install-deps.sh installs it)"
elif ! state="$(docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}' 2>/dev/null)"; then
    miss "a Docker engine answering at ${DOCKER_HOST:-unix:///var/run/docker.sock}"
elif [ "$state" != "active true" ]; then
    miss "a Swarm manager: this engine's Swarm state is '$state' (run 'docker swarm init' or deploy from a manager)"
else
    engine=1
fi

if [ -z "${DOCKER_SOCKET:-}" ]; then
    case "${DOCKER_HOST:-}" in unix://*) DOCKER_SOCKET="${DOCKER_HOST#unix://}" ;; *) DOCKER_SOCKET=/var/run/docker.sock ;; esac
fi
export DOCKER_SOCKET
if [ -z "${ORCHESTRATOR_USER:-}" ]; then
    if [ -S "$DOCKER_SOCKET" ]; then
        ORCHESTRATOR_USER="10001:$(stat -c %g "$DOCKER_SOCKET")"
    else
        ORCHESTRATOR_USER="0:0"
        [ "$engine" = 0 ] || log "note: $DOCKER_SOCKET is not on this machine, so its group is unknown: the service runs as root (set ORCHESTRATOR_USER=10001:<gid of the socket> to avoid it)"
    fi
fi
export ORCHESTRATOR_USER

if [ "$engine" = 1 ]; then
    if net="$(docker network inspect --format '{{.Driver}} {{.Scope}} {{.Attachable}}' "$SWARM_NETWORK" 2>/dev/null)"; then
        [ "$net" = "overlay swarm true" ] || miss "network $SWARM_NETWORK is '$net' (driver scope attachable); Traefik's Swarm provider routes only over an attachable overlay: use another SWARM_NETWORK"
    elif [ "$check_only" = 1 ]; then
        miss "network $SWARM_NETWORK (an attachable overlay; deploying creates it)"
    fi
    if [ "$RESOLVE_IMAGE" = never ]; then
        for image in "$ORCHESTRATOR_IMAGE" "$TRAEFIK_IMAGE" "$IDE_CONTAINER_IMAGE"; do
            docker image inspect "$image" >/dev/null 2>&1 ||
                miss "image $image in this engine (RESOLVE_IMAGE=never): scripts/build-images.sh builds this service's and Traefik's; the IDE image comes from its own build"
        done
    fi
    if [ -S "$DOCKER_SOCKET" ] && command -v ss >/dev/null && ss -Hltn "sport = :$HTTP_PORT" | grep -q . &&
        ! docker service inspect "${STACK}_traefik" >/dev/null 2>&1; then
        miss "a free HTTP_PORT: port $HTTP_PORT is in use on this host"
    fi
fi

if [ "${#missing[@]}" -gt 0 ]; then
    log "cannot deploy stack $STACK; missing:"
    for m in "${missing[@]}"; do echo "  - $m" >&2; done
    exit 1
fi
if [ "$check_only" = 1 ]; then log "every prerequisite of stack $STACK is met"; exit 0; fi

if ! docker network inspect "$SWARM_NETWORK" >/dev/null 2>&1; then
    log "creating network $SWARM_NETWORK (overlay, attachable)"
    docker network create --driver overlay --attachable "$SWARM_NETWORK" >/dev/null
fi

secrets="$(mktemp -d "${TMPDIR:-/tmp}/ide-deploy.XXXXXX")"
trap 'rm -rf "$secrets"' EXIT
chmod 700 "$secrets"
printf '%s\n' "${API_KEY:-}" "${API_KEYS:-}" | tr ',' '\n' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' | grep -v '^$' > "$secrets/api_key"
# A Docker secret cannot be empty: without AWS credentials it holds a newline, which the
# service reads as no secret.
printf '%s\n' "$aws_secret" > "$secrets/s3"
digest() { { printf '%s:' "$STACK"; cat "$1"; } | sha256sum | cut -c1-12; }
export API_KEY_SECRET_FILE="$secrets/api_key" API_KEY_SECRET_NAME="${STACK}_api_key_$(digest "$secrets/api_key")"
export S3_SECRET_FILE="$secrets/s3" S3_SECRET_NAME="${STACK}_s3_secret_$(digest "$secrets/s3")"

files=(-c docker-compose.http.yml)
[ "$https" = 1 ] && files+=(-c docker-compose.https.yml)
log "docker stack deploy ${files[*]} $STACK (images: $ORCHESTRATOR_IMAGE, $TRAEFIK_IMAGE, $IDE_CONTAINER_IMAGE)"
env -u API_KEY -u API_KEYS -u S3_SECRET_ACCESS_KEY -u AWS_SECRET_ACCESS_KEY -u aws_secret docker stack deploy --resolve-image "$RESOLVE_IMAGE" "${files[@]}" "$STACK" >&2
if [ "$https" = 1 ]; then
    log "deployed: https://$domain/api/health once Let's Encrypt has issued the certificate"
else
    log "deployed: http://$domain$([ "$HTTP_PORT" = 80 ] || echo ":$HTTP_PORT")/api/health"
fi
