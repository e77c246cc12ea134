#!/usr/bin/env bash
# local-swarm.sh: a private, single-node Docker Swarm for development and tests.
#
# It runs its own dockerd (never the system one) with all state in one directory,
# so it disturbs nothing else on the machine and `down` removes every trace.
#
# Usage:
#   scripts/local-swarm.sh up       start (or reuse) the engine, init Swarm, create the
#                                   IDE network, build/import the dev IDE image
#   scripts/local-swarm.sh down     remove services/networks, leave Swarm, stop the engine,
#                                   unmount leftovers, delete the state directory
#   scripts/local-swarm.sh env      print the DOCKER_HOST line if the engine is up, else exit 1
#   scripts/local-swarm.sh status   human-readable summary
#
# stdout convention (`up` and `env`): exactly one line, nothing else,
#   DOCKER_HOST=unix://<state dir>/docker.sock
# All progress and errors go to stderr. So any of these work:
#   export "$(scripts/local-swarm.sh up)"           # bash/sh: sets DOCKER_HOST
#   scripts/local-swarm.sh up >> "$GITHUB_ENV"      # GitHub Actions
#   env "$(scripts/local-swarm.sh env)" docker info
# (Quote the substitution: then a state dir with spaces still works.)
#
# Environment:
#   IDE_SWARM_DIR             state dir (default /tmp/ide-orchestrator-swarm). Holds docker.sock,
#                             docker.pid, dockerd.log, data/ (data-root), exec/ (exec-root).
#                             Keep it short: unix socket paths are limited to 107 bytes.
#   SWARM_NETWORK             IDE network name (default ide-network); created as a swarm-scoped,
#                             attachable *bridge* network so the host can reach task IPs
#                             (the host cannot reach overlay addresses).
#   IDE_DEV_IMAGE             dev image tag (default ide-orchestrator/dev-ide:latest)
#   IDE_SWARM_STORAGE_DRIVER  dockerd storage driver (default overlay2: containers share the image's
#                             layers; vfs, which copies every layer per container, also works)
#   IDE_SWARM_START_TIMEOUT   seconds to wait for dockerd to answer (default 30)
#
# Facts this relies on: only ONE Swarm-mode engine can live in a network namespace (they
# share docker_gwbridge and port 2377), so `up` reuses the engine it started earlier and
# refuses to start a second one when port 2377 is taken. dockerd runs with
# --iptables=false --ip6tables=false --bridge=none, so it writes no firewall rules.
# The engine is stopped only by the PID in its pidfile and the processes it spawned
# (never by process name).
#
# Measured on a 2-core Debian 12 VM (dockerd 20.10.24, vfs): `up` from cold 2.0-2.8 s
# (dockerd answers ~0.4 s, swarm init ~0.7 s, static gcc build of the agent ~0.9 s,
# import 0.1 s); `up` again (reuse) 0.2-0.3 s; `down` 1.8-2.9 s (mostly dockerd waiting
# for its containerd to exit); `down` when nothing is up: instant. After a crash of
# dockerd (SIGKILL) its shims, containers, nsfs/bind mounts and bridges stay behind:
# `down` (and `up`, which then starts clean) removes them.
set -euo pipefail

D="${IDE_SWARM_DIR:-/tmp/ide-orchestrator-swarm}"
D="${D%/}"
SOCK="$D/docker.sock"
PIDFILE="$D/docker.pid"
LOG="$D/dockerd.log"
DH="unix://$SOCK"
NET="${SWARM_NETWORK:-ide-network}"
IMAGE="${IDE_DEV_IMAGE:-ide-orchestrator/dev-ide:latest}"
STORAGE="${IDE_SWARM_STORAGE_DRIVER:-overlay2}"
START_TIMEOUT="${IDE_SWARM_START_TIMEOUT:-30}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

log() { echo "local-swarm: $*" >&2; }
die() { log "error: $*"; exit 1; }

# docker CLI bound to the private engine (ignores any context the caller selected).
dk() { env -u DOCKER_CONTEXT -u DOCKER_TLS_VERIFY -u DOCKER_CERT_PATH DOCKER_HOST="$DH" docker "$@"; }

now_ms() { date +%s%3N; }

case "$D" in
    /*) ;;
    *) die "IDE_SWARM_DIR must be an absolute path (got '$D')" ;;
esac
case "$D" in
    / | /tmp | /var | /var/* | /run | /usr | /usr/* | /etc | /etc/* | /home | /root) die "refusing state dir '$D'" ;;
esac

# ---------------------------------------------------------------- processes

# Prints the engine PID if the pidfile names a live dockerd started with *our* pidfile.
engine_pid() {
    [ -r "$PIDFILE" ] || return 1
    local pid
    pid="$(tr -dc '0-9' < "$PIDFILE")"
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    local cmd
    cmd="$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null)" || return 1
    grep -qxF -- "--pidfile" <<<"$cmd" && grep -qxF -- "$PIDFILE" <<<"$cmd" || return 1
    case "$(basename "$(head -n1 <<<"$cmd")")" in dockerd) ;; *) return 1 ;; esac
    echo "$pid"
}

engine_answers() { timeout 5 env -u DOCKER_CONTEXT DOCKER_HOST="$DH" docker version >/dev/null 2>&1; }

alive() { [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# All descendants of PID (children first listed after their parent).
descendants() {
    local root="$1" p pp
    local -A kids=()
    while read -r p pp; do
        kids[$pp]+="$p "
    done < <(cat /proc/[0-9]*/status 2>/dev/null | awk '/^Pid:/ { p = $2 } /^PPid:/ { print p, $2 }')
    local queue=("$root") out=() cur c
    while [ "${#queue[@]}" -gt 0 ]; do
        cur="${queue[0]}"; queue=("${queue[@]:1}")
        for c in ${kids[$cur]:-}; do out+=("$c"); queue+=("$c"); done
    done
    echo "${out[@]:-}"
}

# Engine helper processes that were reparented away from dockerd (containerd shims
# daemonize): an engine binary whose command line names our state directory.
strays() {
    local p cmd
    # one find for all /proc/PID/exe link targets, then filter by binary name
    for p in $(find /proc/[0-9]*/exe -maxdepth 0 -printf '%h %l\n' 2>/dev/null |
               awk '{ sub(/ \(deleted\)$/, ""); n = split($2, a, "/"); b = a[n]
                      if (b ~ /^(dockerd|containerd|containerd-shim|containerd-shim-runc-v[12]|runc|docker-proxy)$/) {
                          sub(/^\/proc\//, "", $1); print $1 } }'); do
        cmd="$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null)" || continue
        case "$cmd" in *"$D/"*) echo "$p" ;; esac
    done
}

# Sends TERM to the given PIDs, waits up to $1 seconds, then KILLs survivors.
terminate() {
    local secs="$1"; shift
    local p left deadline
    [ "$#" -gt 0 ] || return 0
    for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
    deadline=$(( $(now_ms) + secs * 1000 ))
    while :; do
        left=()
        for p in "$@"; do alive "$p" && left+=("$p"); done
        [ "${#left[@]}" -eq 0 ] && return 0
        [ "$(now_ms)" -ge "$deadline" ] && break
        sleep 0.1
    done
    log "SIGKILL to ${left[*]} (did not exit within ${secs}s)"
    for p in "${left[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    deadline=$(( $(now_ms) + 5000 ))
    for p in "${left[@]}"; do
        while alive "$p" && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
    done
}

# Mount points at or below the state dir, deepest first (/proc/mounts escapes blanks).
mounts_under() {
    awk -v d="$D" '{
        m = $2
        gsub(/\\040/, " ", m); gsub(/\\011/, "\t", m); gsub(/\\012/, "\n", m); gsub(/\\134/, "\\", m)
        if (m == d || index(m, d "/") == 1) print m
    }' /proc/self/mounts | sort -r -u
}

unmount_all() {
    local pass m n
    for pass in 1 2 3 4 5; do
        n=0
        while IFS= read -r m; do
            [ -n "$m" ] || continue
            umount -l "$m" 2>/dev/null || umount -l -n "$m" 2>/dev/null || log "could not unmount $m"
            n=$((n + 1))
        done < <(mounts_under)
        [ "$n" -eq 0 ] && return 0
        [ "$pass" -eq 1 ] && log "unmounted $n leftover mount(s) under $D"
    done
    [ -z "$(mounts_under)" ] || { log "mounts remain under $D:"; mounts_under >&2; return 1; }
}

# ---------------------------------------------------------------- packages

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo -n "$@"
    else die "need root to run: $*"
    fi
}

ensure_packages() {
    local pkgs=()
    if ! command -v dockerd >/dev/null || [ ! -x /bin/busybox ] || ! command -v docker >/dev/null; then
        pkgs+=(docker.io containerd runc iptables busybox-static)
    fi
    if ! command -v gcc >/dev/null && ! command -v cc >/dev/null && ! command -v clang >/dev/null; then
        pkgs+=(gcc libc6-dev)
    fi
    [ "${#pkgs[@]}" -eq 0 ] && return 0
    log "installing ${pkgs[*]} (apt-get)"
    local t0; t0=$(now_ms)
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >&2
    log "packages installed in $(( $(now_ms) - t0 )) ms"
    command -v dockerd >/dev/null || die "dockerd still missing after apt-get"
}

# ---------------------------------------------------------------- up

start_engine() {
    if ss -Hltn 'sport = :2377' 2>/dev/null | grep -q .; then
        die "port 2377 is already in use: another Swarm-mode engine runs in this network namespace; reuse it or stop it first (only one per namespace)"
    fi
    mkdir -p "$D/data" "$D/exec"
    chmod 0711 "$D"
    rm -f "$SOCK" "$PIDFILE"
    # Remember which host-global runtime dirs this engine creates, so down can
    # remove them again (only if empty): dockerd always makes /run/docker/plugins,
    # containerd shims /run/containerd/s.
    local rd
    for rd in /run/docker /run/containerd; do [ -e "$rd" ] || echo "$rd" >> "$D/.run-dirs-ours"; done
    if ip link show docker_gwbridge >/dev/null 2>&1; then
        log "warning: docker_gwbridge already exists in this network namespace (left over, or another engine's)"
    else
        : > "$D/.gwbridge-ours"
    fi
    log "starting dockerd (storage driver $STORAGE), log: $LOG"
    # setsid+nohup: survives the calling shell. Close fds 3 (our stdout) and 9 (lock)
    # so that $(local-swarm.sh up) returns and the lock is released.
    nohup setsid dockerd \
        --host "$DH" \
        --data-root "$D/data" \
        --exec-root "$D/exec" \
        --pidfile "$PIDFILE" \
        --storage-driver="$STORAGE" \
        --iptables=false --ip6tables=false --bridge=none \
        </dev/null >>"$LOG" 2>&1 3>&- 9>&- &
    local spawned=$! deadline
    deadline=$(( $(now_ms) + START_TIMEOUT * 1000 ))
    until engine_answers; do
        if ! alive "$spawned" && ! engine_pid >/dev/null; then
            tail -n 20 "$LOG" >&2 || true
            die "dockerd exited during startup (see $LOG)"
        fi
        [ "$(now_ms)" -lt "$deadline" ] || { tail -n 20 "$LOG" >&2 || true; die "dockerd did not answer within ${START_TIMEOUT}s (see $LOG); run '$0 down'"; }
        sleep 0.1
    done
}

cmd_up() {
    local t0; t0=$(now_ms)
    ensure_packages
    local pid
    if pid="$(engine_pid)"; then
        if engine_answers; then
            log "reusing running engine (pid $pid)"
        else
            log "engine pid $pid is alive but not answering yet; waiting up to ${START_TIMEOUT}s"
            local deadline=$(( $(now_ms) + START_TIMEOUT * 1000 ))
            until engine_answers; do
                alive "$pid" || die "engine pid $pid exited (see $LOG)"
                [ "$(now_ms)" -lt "$deadline" ] || die "engine pid $pid does not answer; run '$0 down' and retry"
                sleep 0.1
            done
        fi
    else
        if [ -d "$D/data" ] || [ -d "$D/exec" ] || [ -n "$(strays)" ]; then
            # A crashed engine leaves shims, containers, mounts and bridges behind, and
            # a dockerd restarted on that state can hang waiting for containerd
            # (measured: "timeout waiting for containerd to start"). Start clean.
            log "the engine that used $D is gone; cleaning up its leftovers first"
            cmd_down
        fi
        start_engine
    fi
    pid="$(engine_pid || echo '?')"

    local state
    state="$(dk info --format '{{.Swarm.LocalNodeState}}')"
    case "$state" in
        active) log "swarm already active" ;;
        inactive)
            log "swarm init"
            dk swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377 >/dev/null
            ;;
        *) die "swarm is in state '$state'; run '$0 down' and retry" ;;
    esac

    local have
    if have="$(dk network inspect --format '{{.Driver}}/{{.Scope}}/{{.Attachable}}' "$NET" 2>/dev/null)"; then
        [ "$have" = "bridge/swarm/true" ] || log "warning: network $NET exists as $have (expected bridge/swarm/true); leaving it"
    else
        log "creating network $NET (bridge, swarm scope, attachable)"
        dk network create --driver bridge --scope swarm --attachable "$NET" >/dev/null
    fi

    DOCKER_HOST="$DH" "$HERE/dev-image/build.sh" "$IMAGE" >&2

    log "up in $(( $(now_ms) - t0 )) ms (engine pid $pid, network $NET, image $IMAGE)"
    echo "DOCKER_HOST=$DH" >&3
}

# ---------------------------------------------------------------- down

cmd_down() {
    local t0; t0=$(now_ms)
    local pid=""
    pid="$(engine_pid)" || pid=""

    if [ -n "$pid" ] && engine_answers; then
        local ids
        ids="$(dk service ls -q 2>/dev/null || true)"
        if [ -n "$ids" ]; then
            log "removing services: $(echo $ids | wc -w)"
            # shellcheck disable=SC2086
            dk service rm $ids >/dev/null || true
        fi
        # Swarm takes ~3 s to stop a removed service's task; stop the containers
        # directly (stop signal, 3 s grace, in parallel) instead of waiting for it.
        ids="$(dk ps -q 2>/dev/null || true)"
        # shellcheck disable=SC2086
        [ -z "$ids" ] || dk stop -t 3 $ids >/dev/null 2>&1 || true
        ids="$(dk ps -aq 2>/dev/null || true)"
        # shellcheck disable=SC2086
        [ -z "$ids" ] || dk rm -f $ids >/dev/null 2>&1 || true
        local n
        for n in $(dk network ls --format '{{.Name}}' 2>/dev/null); do
            case "$n" in bridge | host | none | ingress | docker_gwbridge) continue ;; esac
            dk network rm "$n" >/dev/null 2>&1 || log "could not remove network $n"
        done
        if [ "$(dk info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)" != inactive ]; then
            dk swarm leave --force >/dev/null 2>&1 || log "swarm leave failed"
        fi
        # Swarm leaves its gateway bridge network behind; remove it while the engine is up.
        dk network rm docker_gwbridge >/dev/null 2>&1 || true
    fi

    if [ -n "$pid" ]; then
        local tree
        tree="$(descendants "$pid")"
        log "stopping dockerd (pid $pid${tree:+; children: $tree})"
        terminate 20 "$pid"
        # shellcheck disable=SC2086
        [ -z "$tree" ] || terminate 5 $tree
    fi

    # containerd shims daemonize (reparented away from dockerd): find them by their
    # binary and our state dir on their command line; end their containers first.
    local s extra=()
    for s in $(strays); do extra+=($(descendants "$s") "$s"); done
    if [ "${#extra[@]}" -gt 0 ]; then
        log "ending leftover engine processes: ${extra[*]}"
        terminate 5 "${extra[@]}"
    fi

    if [ -d "$D" ]; then
        unmount_all || true
        # After a crash (engine gone before its networks were removed) the Linux bridges
        # of its networks stay behind: br-<first 12 chars of the network ID>. Delete
        # those whose network ID our engine's own store records.
        local br id
        for br in $(ip -o link show type bridge 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
            case "$br" in br-?*) ;; *) continue ;; esac
            id="${br#br-}"
            if grep -rqaF -- "$id" "$D/data/network" "$D/data/swarm" 2>/dev/null; then
                ip link delete "$br" 2>/dev/null && log "deleted leftover bridge $br" || true
            fi
        done
        if [ -e "$D/.gwbridge-ours" ] && ip link show docker_gwbridge >/dev/null 2>&1; then
            ip link delete docker_gwbridge 2>/dev/null && log "deleted leftover docker_gwbridge" || true
        fi
        if [ -r "$D/.run-dirs-ours" ]; then
            local rd
            while IFS= read -r rd; do
                case "$rd" in /run/docker | /run/containerd) ;; *) continue ;; esac
                [ -d "$rd" ] && find "$rd" -depth -type d -empty -delete 2>/dev/null || true
            done < "$D/.run-dirs-ours"
        fi
        if [ -n "$(mounts_under)" ]; then
            die "mounts remain under $D; not deleting it"
        fi
        # --one-file-system: never descend into anything still mounted.
        rm -rf --one-file-system "$D"
        log "down in $(( $(now_ms) - t0 )) ms ($D removed)"
    else
        log "nothing to do ($D does not exist)"
    fi
}

# ---------------------------------------------------------------- env/status

cmd_env() {
    engine_pid >/dev/null && engine_answers || { log "not up (state dir $D)"; exit 1; }
    echo "DOCKER_HOST=$DH" >&3
}

cmd_status() {
    local pid
    {
        echo "state dir:   $D"
        if ! pid="$(engine_pid)"; then
            echo "engine:      not running"
            [ -d "$D" ] && echo "note:        state dir exists; '$0 down' cleans it up"
            n="$(mounts_under | wc -l)"; [ "$n" -eq 0 ] || echo "mounts:      $n under the state dir"
            exit 1
        fi
        if ! engine_answers; then
            echo "engine:      pid $pid, NOT answering on $SOCK"
            exit 1
        fi
        echo "engine:      pid $pid, $(dk version --format 'server {{.Server.Version}} (API {{.Server.APIVersion}})')"
        echo "DOCKER_HOST: $DH"
        echo "swarm:       $(dk info --format '{{.Swarm.LocalNodeState}}, node {{.Swarm.NodeID}}, {{.Swarm.Nodes}} node(s), {{.Swarm.Managers}} manager(s)')"
        if dk network inspect "$NET" >/dev/null 2>&1; then
            echo "network:     $NET ($(dk network inspect --format '{{.Driver}}, scope {{.Scope}}, attachable {{.Attachable}}, subnet {{range .IPAM.Config}}{{.Subnet}}{{end}}' "$NET"))"
        else
            echo "network:     $NET missing"
        fi
        if dk image inspect "$IMAGE" >/dev/null 2>&1; then
            echo "dev image:   $IMAGE (agent sha256 $(dk image inspect --format '{{index .Config.Labels "ide-orchestrator.dev-image.hash"}}' "$IMAGE" | cut -c1-12))"
        else
            echo "dev image:   $IMAGE missing"
        fi
        echo "services:    $(dk service ls -q | wc -l)"
        dk service ls --format '  {{.Name}}  {{.Replicas}}  {{.Image}}' 2>/dev/null || true
        echo "containers:  $(dk ps -q | wc -l) running"
    } >&3
}

# ---------------------------------------------------------------- main

# fd 3 = the caller's stdout (the only thing written there); everything else -> stderr.
exec 3>&1 1>&2

cmd="${1:-}"
case "$cmd" in
    up | down)
        # Serialize up/down (the lock file lives beside the state dir: down deletes $D).
        mkdir -p "$(dirname "$D")"
        exec 9>"$D.lock"
        flock 9
        "cmd_$cmd"
        ;;
    env) cmd_env ;;
    status) cmd_status ;;
    *)
        sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2
        exit 2
        ;;
esac
