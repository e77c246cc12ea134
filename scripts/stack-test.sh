#!/usr/bin/env bash
# Deployment test: `docker stack deploy -c docker-compose.http.yml` (through scripts/deploy-http.sh)
# on the Swarm at DOCKER_HOST with locally built images, then, through Traefik on a free
# loopback port: /api/health answers 200; POST /api/containers/start answers 201; the returned
# code, vnc and web URLs answer 401 without a session, their launch URLs 302 with the session
# cookie, and with it they reach those ports of the IDE container with the prefix stripped; a
# WebSocket upgrade through the code URL succeeds and echoes with the cookie, 401 without; /dashboard is routed to the
# service; the service trusts exactly the subnet of the proxy network Traefik reaches it over;
# and `docker stack rm` leaves no service, network, secret, config or container of
# the stack behind. Prints one PASS/FAIL line per check and exits non-zero on any failure.
#
# Needs: DOCKER_HOST (scripts/test.sh passes the private Swarm's), IDE_ORCHESTRATOR_BINARY (a
# built binary), IDE_TEST_IMAGE (the dev IDE image), curl and python3. Everything it creates is
# named after a random stack name and removed again.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DOCKER_HOST:?set DOCKER_HOST to a Swarm manager}"
: "${IDE_ORCHESTRATOR_BINARY:?set IDE_ORCHESTRATOR_BINARY to a built ide-orchestrator}"
IDE_IMAGE="${IDE_TEST_IMAGE:-ide-orchestrator/dev-ide:latest}"
STACK="stk$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
NETWORK="$STACK-ide"
API_KEY="key-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
started=$SECONDS
failures=0

say() { echo "stack-test: $*" >&2; }
pass() { say "PASS $*"; }
fail() { say "FAIL $*"; failures=$((failures + 1)); }
# Polls a command until it succeeds or the deadline (seconds) passes.
eventually() { local secs="$1"; shift; local deadline=$((SECONDS + secs)); until "$@"; do [ "$SECONDS" -lt "$deadline" ] || return 1; sleep 0.5; done; }
leftovers() {
    local label="label=com.docker.stack.namespace=$STACK"
    echo "$(docker service ls -q --filter "$label")$(docker network ls -q --filter "$label")$(docker secret ls -q --filter "$label")$(docker config ls -q --filter "$label")$(docker ps -aq --filter "$label")"
}
nothing_left() { [ -z "$(leftovers)" ]; }
ide_services() { docker service ls -q --filter "label=ide-orchestrator.instance=$STACK"; }

ide_containers() { docker ps -aq --filter "label=ide-orchestrator.instance=$STACK"; }
ide_secrets() { docker secret ls -q --filter "label=ide-orchestrator.instance=$STACK"; }
# Agent-token secrets can go only once their services are gone.
remove_secrets() { local ids; ids="$(ide_secrets)"; [ -z "$ids" ] || docker secret rm $ids >/dev/null 2>&1 || true; [ -z "$(ide_secrets)" ]; }
nothing_of_ours() { [ -z "$(leftovers)$(ide_services)$(ide_containers)" ] && remove_secrets; }

# The stack goes first (so its service stops refilling the pool), then the IDE containers it made.
cleanup() {
    local code=$?
    if [ "$failures" -gt 0 ] || [ "$code" -ne 0 ]; then
        say "orchestrator log tail:"; docker service logs --tail 30 "${STACK}_orchestrator" 2>&1 | sed 's/^/    /' >&2 || true
    fi
    docker stack rm "$STACK" >/dev/null 2>&1 || true
    eventually 60 nothing_left || true
    local ids; ids="$(ide_services)"
    # shellcheck disable=SC2086
    [ -z "$ids" ] || docker service rm $ids >/dev/null 2>&1 || true
    eventually 60 nothing_of_ours || true
    docker volume rm "${STACK}_data" >/dev/null 2>&1 || true
    eventually 30 docker network rm "$NETWORK" >/dev/null 2>&1 || true
    if nothing_of_ours && ! docker volume inspect "${STACK}_data" >/dev/null 2>&1 && ! docker network inspect "$NETWORK" >/dev/null 2>&1; then
        say "cleaned up stack $STACK, its IDE containers, volume and network"
    else
        say "FAIL could not remove everything of $STACK: $(leftovers)$(ide_services)"
        exit 1
    fi
}
trap cleanup EXIT

say "building images"
ORCHESTRATOR_IMAGE="$(ORCHESTRATOR_IMAGE=ide-orchestrator:stack-test ORCHESTRATOR_BINARY="$IDE_ORCHESTRATOR_BINARY" scripts/build-images.sh orchestrator)"
TRAEFIK_IMAGE="$(scripts/build-images.sh traefik)"
docker network create --driver overlay --attachable "$NETWORK" >/dev/null

say "deploying stack $STACK on port $PORT"
STACK_NAME="$STACK" SWARM_NETWORK="$NETWORK" HTTP_PORT="$PORT" DOMAIN=127.0.0.1 API_KEY="$API_KEY" \
    ORCHESTRATOR_IMAGE="$ORCHESTRATOR_IMAGE" TRAEFIK_IMAGE="$TRAEFIK_IMAGE" IDE_CONTAINER_IMAGE="$IDE_IMAGE" RESOLVE_IMAGE=never \
    INSTANCE_NAME="$STACK" PRE_WARMED_QUEUE_SIZE=1 CONTAINER_MEMORY_LIMIT=128MB CONTAINER_CPU_LIMIT=0.5 MAX_CPU_PERCENT=100 MAX_MEMORY_PERCENT=100 \
    POOL_CHECK_INTERVAL=1s TRAEFIK_REFRESH_SECONDS=1 LOG_LEVEL=debug \
    scripts/deploy-http.sh "$STACK"

health_ok() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE/api/health")" = 200 ]; }
if eventually 150 health_ok; then pass "GET /api/health through Traefik answers 200 (pool ready)"; else fail "GET /api/health through Traefik: $(curl -s --max-time 5 "$BASE/api/health" || true)"; exit 1; fi

reply="$(curl -s --max-time 60 -w '\n%{http_code}' -X POST "$BASE/api/containers/start" -H "Authorization: Bearer $API_KEY" \
    -H 'Content-Type: application/json' -d '{"s3Bucket":"stack-test-bucket","s3Region":"us-east-1"}')"
status="${reply##*$'\n'}"; body="${reply%$'\n'*}"
if [ "$status" = 201 ]; then pass "POST /api/containers/start answers 201"; else fail "POST /api/containers/start answered $status: $body"; exit 1; fi
field() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])["urls"][sys.argv[2]])' "$body" "$1"; }
launch_field() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])["launchUrls"][sys.argv[2]])' "$body" "$1"; }
jar="$(mktemp)"

# Each URL must reach its own port of the container (the dev agent names the port it serves
# and the path it saw), with the /<name>/<id> prefix stripped.
# The routes are behind the launch-link check (IDE_ROUTE_AUTH): 401 without a session, then the
# launch URL answers 302 with the session cookie every later request carries.
route_ok() {
    local url="$1" service="$2" suffix="$3" path="$4"
    [ "$(curl -s -b "$jar" --max-time 5 "$url$suffix")" = "{\"service\":\"$service\",\"path\":\"$path\"}" ]
}
for pair in codeServer:code vnc:vnc webServer:web; do
    url="$(field "${pair%%:*}")"; service="${pair##*:}"; launch="$(launch_field "${pair%%:*}")"
    case "$url" in "$BASE/$service/"*) ;; *) fail "$service URL $url is not under $BASE/$service/"; continue ;; esac
    unauthenticated="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url")"
    launched="$(curl -s -o /dev/null -c "$jar" -b "$jar" -w '%{http_code}' --max-time 5 "$launch")"
    if [ "$unauthenticated" = 401 ] && [ "$launched" = 302 ]; then pass "$service: 401 without a session, the launch URL answers 302 with the cookie"; else fail "$service: without a session $unauthenticated, launch URL $launched"; fi
    if eventually 30 route_ok "$url" "$service" "" "/" && route_ok "$url" "$service" "deep/path?q=1" "/deep/path"; then
        pass "GET $url reaches the container's $service port with the prefix stripped"
    else
        fail "GET $url answered: $(curl -s -w ' (%{http_code})' --max-time 5 "${url}deep/path" || true)"
    fi
done

# Ready means reachable: when a start's 201 arrives, its URLs answer 200 through Traefik at
# once (no retry). Two starts right after the first claim emptied the pool of one: at least
# one of them waits for a launch (isPreWarmed false).
# Prints the answer, then on a line of its own how many milliseconds it took.
start_body() {
    local t0; t0=$(date +%s%N)
    curl -s --max-time 90 -X POST "$BASE/api/containers/start" -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' -d "{\"s3Bucket\":\"$1\"}"
    echo; echo $((($(date +%s%N) - t0) / 1000000))
}
answers="$(mktemp -d)"
start_body stack-cold-one >"$answers/one" & cold1=$!
start_body stack-cold-two >"$answers/two" & cold2=$!
wait "$cold1" "$cold2" || true
cold_checked=0; cold_served=0; took=""
for file in "$answers/one" "$answers/two"; do
    answer="$(head -n 1 "$file")"; took="$took $(tail -n 1 "$file") ms"
    urls="$(python3 -c 'import json, sys; r = json.loads(sys.argv[1])["launchUrls"]; print(r["codeServer"], r["vnc"], r["webServer"], "cold" if not json.loads(sys.argv[1])["isPreWarmed"] else "warm", json.loads(sys.argv[1]).get("routePending"))' "$answer" 2>/dev/null || true)"
    [ -n "$urls" ] || { fail "a start after the pool emptied answered: $answer"; continue; }
    read -r code_url vnc_url web_url served pending <<<"$urls"
    [ "$served" = cold ] && cold_served=$((cold_served + 1))
    statuses="$(for url in "$code_url" "$vnc_url" "$web_url"; do curl -sL -c "$jar.cold" -b "$jar.cold" -o /dev/null -w '%{http_code} ' --max-time 5 "$url"; done)"
    if [ "$statuses" = "200 200 200 " ] && [ "$pending" = False ]; then cold_checked=$((cold_checked + 1)); else fail "a $served start's URLs answered $statuses(routePending $pending) right after its 201"; fi
done
rm -rf "$answers" "$jar.cold"
if [ "$cold_checked" = 2 ] && [ "$cold_served" -ge 1 ]; then
    pass "code, vnc and web URLs answer 200 through Traefik as soon as the 201 arrives ($cold_served of 2 starts waited for a launch; the starts took$took)"
elif [ "$cold_checked" = 2 ]; then
    fail "neither start after the pool emptied waited for a launch: the cold path was not checked"
fi

code_path="$(field codeServer)"; code_path="/${code_path#"$BASE/"}"
session="$(awk '$6 == "ide_session" && $3 == "/code/'"$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["id"])' "$body")"'" { print "ide_session=" $7 }' "$jar")"
if result="$(WS_COOKIE="$session" WS_ORIGIN="$BASE" python3 scripts/lib/websocket-check.py 127.0.0.1 "$PORT" "${code_path}socket" 2>&1)"; then
    pass "WebSocket through the code route with the session cookie: $result"
else
    fail "WebSocket through the code route: $result"
fi
if result="$(WS_EXPECT=401 python3 scripts/lib/websocket-check.py 127.0.0.1 "$PORT" "${code_path}socket" 2>&1)"; then
    pass "WebSocket through the code route without a session: $result"
else
    fail "WebSocket without a session: $result"
fi

# /dashboard/ must reach the service and load the page (Traefik alone answers 404 or a 5xx).
dash="$(curl -s --max-time 5 -w '\n%{http_code}' "$BASE/dashboard/")"; dash_status="${dash##*$'\n'}"; dash_body="${dash%$'\n'*}"
case "$dash_status" in
    200) if [[ "$dash_body" == *'<html'* ]]; then pass "GET /dashboard/ loads the dashboard through Traefik (200)"; else fail "GET /dashboard/ answered 200 without the page: ${dash_body:0:200}"; fi ;;
    *) fail "GET /dashboard/ answered $dash_status: ${dash_body:0:200}" ;;
esac

# Traefik reaches the service over the stack's proxy network, whose subnet alone the service
# trusts to name the client in X-Forwarded-For (never the IDE network, where the tenants are).
proxy_subnet="$(docker network inspect "$STACK-proxy" --format '{{range .IPAM.Config}}{{.Subnet}}{{end}}' 2>/dev/null || true)"
trusted="$(docker service inspect "${STACK}_orchestrator" --format '{{range .Spec.TaskTemplate.ContainerSpec.Env}}{{println .}}{{end}}' | sed -n 's/^TRUSTED_PROXIES=//p')"
routed="$(docker service inspect "${STACK}_orchestrator" --format '{{index .Spec.Labels "traefik.swarm.network"}}')"
if [ -n "$proxy_subnet" ] && [ "$trusted" = "$proxy_subnet" ] && [ "$routed" = "$STACK-proxy" ]; then
    pass "the service trusts only the proxy network $STACK-proxy ($proxy_subnet) Traefik reaches it over"
else
    fail "proxy network: subnet '$proxy_subnet', TRUSTED_PROXIES '$trusted', traefik.swarm.network '$routed'"
fi

docker stack rm "$STACK" >/dev/null
if eventually 60 nothing_left; then pass "docker stack rm left no service, network, secret, config or container of $STACK"; else fail "docker stack rm left: $(leftovers | tr '\n' ' ')"; fi

if [ "$failures" -eq 0 ]; then say "PASS ($((SECONDS - started)) s)"; else say "FAIL: $failures check(s) failed ($((SECONDS - started)) s)"; exit 1; fi
