#!/usr/bin/env bash
# A local moto S3 server that checks SigV4 signatures, for tests.
#
#   scripts/moto-s3.sh start <state-dir> [bucket ...]
#       Starts moto on a free port of MOTO_HOST (default 127.0.0.1; an address of this host that
#       containers reach, such as the docker_gwbridge gateway, lets IDE containers sync with it), creates an IAM user with an inline s3:* policy and
#       an access key, creates the buckets with those (signed) credentials and prints one JSON line:
#       {"endpoint":"http://127.0.0.1:PORT","region":"us-east-1","accessKeyId":"...","secretAccessKey":"...","roleArn":"...","pid":N}
#       The user may also call sts:AssumeRole on roleArn (a role allowed s3:*), so the same server
#       serves STS for tests of per-assignment credentials; /moto-api/data.json shows what was assumed.
#       Progress goes to stderr; the server logs to <state-dir>/moto.log, its PID is in <state-dir>/moto.pid.
#   scripts/moto-s3.sh stop <state-dir>
#       Stops the server by the PID in <state-dir>/moto.pid and removes <state-dir>.
#
# moto accepts any signature by default. With INITIAL_NO_AUTH_ACTION_COUNT=N it lets the first N
# authorised actions through unchecked and checks every later one. The setup below makes exactly
# NO_AUTH_CALLS such actions (CreateUser, PutUserPolicy, CreateAccessKey, CreateRole, PutRolePolicy); the readiness poll uses
# /moto-api/, which is not an authorised action and does not count. After setup the script checks
# that a wrong secret is refused, so a miscount fails the start instead of passing silently.
set -euo pipefail

NO_AUTH_CALLS=5
BIND="${MOTO_HOST:-127.0.0.1}"
REGION=us-east-1
READY_TIMEOUT=20

log() { printf 'moto-s3: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
usage() { die "usage: $0 start <state-dir> [bucket ...] | stop <state-dir>"; }

# The real interpreter (not a pyenv shim), so the PID we record is the server's own.
python_bin() {
    python3 -c 'import sys; print(sys.executable)'
}

# True when PID is alive and is a moto server (guards against a recycled PID).
is_moto_pid() {
    local pid=$1
    [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'moto\.server'
}

stop_pid() {
    local pid=$1 i
    is_moto_pid "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do
        is_moto_pid "$pid" || return 0
        sleep 0.1
    done
    log "PID $pid did not exit after SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for i in $(seq 1 20); do
        is_moto_pid "$pid" || return 0
        sleep 0.1
    done
    die "PID $pid still running"
}

cmd_stop() {
    local dir=$1 pid
    if [ -f "$dir/moto.pid" ]; then
        pid=$(cat "$dir/moto.pid")
        case "$pid" in '' | *[!0-9]*) die "bad PID in $dir/moto.pid: '$pid'" ;; esac
        stop_pid "$pid"
        log "stopped moto (PID $pid)"
    else
        log "no $dir/moto.pid; nothing to stop"
    fi
    rm -rf -- "$dir"
}

cmd_start() {
    local dir=$1; shift
    local py port pid endpoint t0
    t0=$(date +%s.%N)
    mkdir -p -- "$dir"
    dir=$(cd -- "$dir" && pwd)
    if [ -f "$dir/moto.pid" ] && is_moto_pid "$(cat "$dir/moto.pid")"; then
        die "moto already running for $dir (PID $(cat "$dir/moto.pid")); stop it first"
    fi
    py=$(python_bin)
    "$py" -c 'import moto.server, boto3' 2>/dev/null || die "moto[server] and boto3 are required (pip install 'moto[server]' boto3)"

    port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("'"$BIND"'", 0)); print(s.getsockname()[1]); s.close()')
    endpoint="http://$BIND:$port"

    log "starting moto on $endpoint (INITIAL_NO_AUTH_ACTION_COUNT=$NO_AUTH_CALLS, log $dir/moto.log)"
    INITIAL_NO_AUTH_ACTION_COUNT=$NO_AUTH_CALLS \
        setsid "$py" -m moto.server -H "$BIND" -p "$port" </dev/null >"$dir/moto.log" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/moto.pid"

    started=0
    # shellcheck disable=SC2064  # expand now: the trap must stop this PID and dir
    trap "if [ \$started = 0 ]; then stop_pid $pid || true; rm -f -- '$dir/moto.pid'; fi" EXIT

    # Poll until moto answers, with a deadline.
    local deadline=$(( $(date +%s) + READY_TIMEOUT ))
    until curl -fsS -o /dev/null --max-time 1 "$endpoint/moto-api/" 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || { tail -n 20 "$dir/moto.log" >&2; die "moto exited during start-up"; }
        [ "$(date +%s)" -lt "$deadline" ] || { tail -n 20 "$dir/moto.log" >&2; die "moto did not answer within ${READY_TIMEOUT}s"; }
        sleep 0.1
    done
    log "moto answers (PID $pid)"

    # IAM setup inside the no-auth window (exactly NO_AUTH_CALLS actions), then signed bucket creation.
    local json
    json=$(ENDPOINT=$endpoint REGION=$REGION PID=$pid "$py" - "$@" <<'PY'
import json, os, sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, region, pid = os.environ["ENDPOINT"], os.environ["REGION"], int(os.environ["PID"])
buckets = sys.argv[1:]
# No retries: a retried call would use up a slot in the no-auth window.
cfg = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=10)
def log(msg): print(f"moto-s3: {msg}", file=sys.stderr)

iam = boto3.client("iam", endpoint_url=endpoint, region_name=region, config=cfg,
                   aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
user = "ide-orchestrator-test"
iam.create_user(UserName=user)                                                  # no-auth call 1
iam.put_user_policy(UserName=user, PolicyName="s3-all", PolicyDocument=json.dumps({  # no-auth call 2
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:*", "sts:AssumeRole"], "Resource": "*"}],
}))
key = iam.create_access_key(UserName=user)["AccessKey"]                        # no-auth call 3
ak, sk = key["AccessKeyId"], key["SecretAccessKey"]
log(f"IAM user {user}, access key {ak}")
role = iam.create_role(RoleName="ide-orchestrator-assignment", AssumeRolePolicyDocument=json.dumps({  # no-auth call 4
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
}))["Role"]
iam.put_role_policy(RoleName=role["RoleName"], PolicyName="s3-all", PolicyDocument=json.dumps({  # no-auth call 5
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}))
log(f"IAM role {role['Arn']}")

def s3(access, secret):
    return boto3.client("s3", endpoint_url=endpoint, region_name=region, config=cfg,
                        aws_access_key_id=access, aws_secret_access_key=secret)

# The window is now used up: a wrong secret must be refused.
try:
    s3(ak, sk + "x").list_buckets()
except ClientError as e:
    code = e.response.get("Error", {}).get("Code")
    if code != "SignatureDoesNotMatch":
        sys.exit(f"moto-s3: expected SignatureDoesNotMatch for a wrong secret, got {code}")
else:
    sys.exit("moto-s3: a wrong secret was accepted; signatures are not being checked")

client = s3(ak, sk)
for b in buckets:
    client.create_bucket(Bucket=b)  # us-east-1: no LocationConstraint
    log(f"created bucket {b}")

print(json.dumps({"endpoint": endpoint, "region": region, "accessKeyId": ak,
                  "secretAccessKey": sk, "roleArn": role["Arn"], "pid": pid}, separators=(",", ":")))
PY
    ) || die "setup failed (see $dir/moto.log)"

    started=1
    trap - EXIT
    log "ready in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"
    printf '%s\n' "$json"
}

[ $# -ge 2 ] || usage
case "$1" in
    start) shift; cmd_start "$@" ;;
    stop) [ $# -eq 2 ] || usage; cmd_stop "$2" ;;
    *) usage ;;
esac
