"""The agent: token check, routes, assignment, activity and the state file."""

import hmac
import json
import os
import pwd
import re
import threading
import time
import urllib.request
from datetime import datetime, timezone

from .transport import Response, error
from .rclone import Credentials, Target

ROUTES = {"/health": "GET, HEAD", "/assign-s3-bucket": "POST", "/flush": "POST", "/credentials": "POST"}
MAX_TOKEN_BYTES = 4096


class TokenFileError(Exception):
    """The token file exists but holds no usable token."""


def load_token(path):
    """The agent token, or None when the file does not exist (legacy open mode)."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_TOKEN_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise TokenFileError(f"cannot read {path}: {e.strerror}") from None
    if len(raw) > MAX_TOKEN_BYTES:
        raise TokenFileError(f"{path} is longer than {MAX_TOKEN_BYTES} bytes")
    token = raw.rstrip(b" \t\r\n")
    if not token:
        raise TokenFileError(f"{path} is empty")
    return token


def parse_time(value):
    """An RFC 3339 timestamp as an aware datetime; ValueError when it is not one."""
    if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", value):
        raise ValueError("not an RFC 3339 time")
    when = datetime.fromisoformat(value.upper().replace("Z", "+00:00").replace(" ", "T"))
    return when.astimezone(timezone.utc)


def _json_object(body):
    def no_constants(name):
        raise ValueError(name)
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _optional_string(obj, name):
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    return value


def _fmt(ts):
    return None if ts is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class Agent:
    """Holds the assignment and answers the agent routes."""

    def __init__(self, config, token, engine, log):
        self.config = config
        self.token = token
        self.engine = engine
        self.log = log
        self.lock = threading.Lock()
        self.bucket = None
        self.activity_url = None
        self.activity_token = None
        self.last_activity = None  # wall-clock seconds
        self.activity_file = os.path.join(config.state_dir, "activity")
        self._activity_mtime = None
        self._last_report = 0.0
        self._reported_activity = None

    # ------------------------------------------------------------------ HTTP

    def __call__(self, request):
        if not self._authorized(request):
            return error(401, "missing or wrong agent token")
        allow = ROUTES.get(request.path)
        if allow is None:
            return error(404, "not found")
        if request.method not in allow.split(", "):
            return error(405, "method not allowed", allow)
        if request.path == "/health":
            return Response(200, self.health())
        if request.path == "/assign-s3-bucket":
            return self.assign(request.body)
        if request.path == "/flush":
            return self.flush(request.body)
        return self.credentials(request.body)

    def _authorized(self, request):
        if self.token is None:
            return True
        value = request.headers.get("authorization")
        if value is None or len(value) < 7 or value[:7].lower() != b"bearer ":
            return False
        return hmac.compare_digest(value[7:], self.token)

    def health(self):
        """The /health answer."""
        with self.lock:
            bucket, last = self.bucket, self.last_activity
        if last is not None:
            last = min(last, time.time())
        return {"status": "ok", "assigned": bucket is not None, "bucket": bucket,
                "lastActivityAt": _fmt(last), "sync": self.engine.snapshot()}

    def assign(self, body):
        """POST /assign-s3-bucket: the first valid request wins."""
        obj = _json_object(body)
        bucket = obj.get("bucket") if obj is not None else None
        if not isinstance(bucket, str) or not bucket:
            return error(400, "bucket is required")
        with self.lock:
            if self.bucket is not None:
                if self.bucket == bucket:
                    return Response(200, {"status": "already_assigned", "bucket": bucket})
                self.log("assignment refused: already assigned to another bucket")
                return error(409, "already assigned to another bucket")
            try:
                endpoint = _optional_string(obj, "s3Endpoint") or ""
                prefix = _optional_string(obj, "workspacePrefix") or ""
                expires = _optional_string(obj, "credentialsExpireAt")
                expires_at = parse_time(expires) if expires else None
            except ValueError as e:
                message = str(e) if "must be" in str(e) else "credentialsExpireAt must be an RFC 3339 time"
                return error(400, message)
            if endpoint and not re.match(r"^https?://[^/\s]+(/\S*)?$", endpoint):
                return error(400, "s3Endpoint must be an http or https URL")
            segments = prefix.strip("/").split("/") if prefix.strip("/") else []
            if any(s in ("", ".", "..") for s in segments):
                return error(400, "workspacePrefix must be a key prefix without empty, '.' or '..' segments")
            region = obj.get("region") if isinstance(obj.get("region"), str) else ""
            credentials = Credentials(*(obj.get(k) if isinstance(obj.get(k), str) else None
                                        for k in ("accessKeyId", "secretAccessKey", "sessionToken")), expires_at)
            self.bucket = bucket
            self.activity_url = obj.get("activityUrl") if isinstance(obj.get("activityUrl"), str) else None
            self.activity_token = obj.get("activityToken") if isinstance(obj.get("activityToken"), str) else None
            self.last_activity = time.time()
            self.engine.assign(Target(bucket, prefix, endpoint, region), credentials)
        self.log("assigned; hydrating the workspace")
        return Response(200, {"status": "success", "bucket": bucket})

    def flush(self, body):
        """POST /flush: push every local change now; answer when the bucket holds it."""
        if body.strip() and _json_object(body) is None:
            return error(400, "the body must be empty or a JSON object")
        outcome, detail = self.engine.flush()
        if outcome == "nothing_to_flush":
            return Response(200, {"status": "nothing_to_flush"})
        if outcome == "not_hydrated":
            return error(409, "workspace not hydrated")
        if outcome == "flushed":
            return Response(200, {"status": "flushed", "lastPushAt": detail})
        return error(502, detail)

    def credentials(self, body):
        """POST /credentials: keys for the next rclone run."""
        with self.lock:
            assigned = self.bucket is not None
        if not assigned:
            return error(409, "not assigned")
        obj = _json_object(body)
        if obj is None:
            return error(400, "the body must be a JSON object")
        key, secret = obj.get("accessKeyId"), obj.get("secretAccessKey")
        if not isinstance(key, str) or not key or not isinstance(secret, str) or not secret:
            return error(400, "accessKeyId and secretAccessKey are required")
        token, expiration = obj.get("sessionToken"), obj.get("expiration")
        if token is not None and not isinstance(token, str):
            return error(400, "sessionToken must be a string")
        try:
            expires_at = parse_time(expiration) if expiration is not None else None
        except ValueError:
            return error(400, "expiration must be an RFC 3339 time")
        self.engine.set_credentials(Credentials(key, secret, token, expires_at))
        self.log("credentials updated")
        return Response(200, {"status": "updated"})

    # ------------------------------------------------------------------ activity

    def touch(self, when=None):
        """Records user activity (only while assigned)."""
        when = time.time() if when is None else when
        with self.lock:
            if self.bucket is not None and (self.last_activity is None or when > self.last_activity):
                self.last_activity = when

    def prepare_activity_file(self):
        """Creates the activity file other processes touch, writable by the workspace user."""
        os.makedirs(self.config.state_dir, exist_ok=True)
        if not os.path.lexists(self.activity_file):
            os.close(os.open(self.activity_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o664))
        if os.path.islink(self.activity_file):
            raise OSError(0, f"{self.activity_file} is a symbolic link")
        if os.geteuid() == 0:
            try:
                entry = pwd.getpwnam(self.config.user)
                os.chown(self.activity_file, entry.pw_uid, entry.pw_gid)
            except (KeyError, OSError) as e:
                self.log(f"cannot hand the activity file to {self.config.user}: {e}")
        os.chmod(self.activity_file, 0o664)
        self._activity_mtime = os.stat(self.activity_file).st_mtime_ns

    def tick(self):
        """Once a second: the activity file's mtime, and the optional activity report."""
        try:
            mtime = os.stat(self.activity_file).st_mtime_ns
        except OSError:
            mtime = None
        if mtime is not None and mtime != self._activity_mtime:
            self._activity_mtime = mtime
            self.touch(min(time.time(), mtime / 1e9))
        self._report_activity()

    def _report_activity(self):
        with self.lock:
            url, token, last = self.activity_url, self.activity_token, self.last_activity
        now = time.monotonic()
        if not url or not token or last is None or last == self._reported_activity:
            return
        if now - self._last_report < self.config.activity_report_interval:
            return
        self._last_report = now
        self._reported_activity = last
        threading.Thread(target=self._post_activity, args=(url, token), daemon=True).start()

    def _post_activity(self, url, token):
        request = urllib.request.Request(url, data=b"", method="POST", headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                response.read(1024)
        except Exception as e:  # best effort; the service also reads lastActivityAt from /health
            self.log(f"activity report failed: {type(e).__name__}")


def write_state(state_dir, state, hydrated, log):
    """Writes sync-state.json atomically for the image's "preparing your workspace" pages."""
    path = os.path.join(state_dir, "sync-state.json")
    tmp = f"{path}.tmp"
    try:
        os.makedirs(state_dir, exist_ok=True)
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        # O_EXCL|O_NOFOLLOW: never write through a link someone else put there.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        with os.fdopen(fd, "w") as f:
            json.dump({"state": state, "hydrated": hydrated}, f)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as e:
        log(f"cannot write {path}: {e.strerror}")
