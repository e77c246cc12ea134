"""Runs rclone as the workspace user, with the bucket's credentials in its environment only.

The S3 remote is defined on the fly through `RCLONE_CONFIG_WS_*` environment variables of the
child process: credentials never appear on a command line (readable by every user in /proc) and
are never written to disk. `RCLONE_CONFIG=/dev/null` keeps any config file out of play.
"""

import json
import os
import pwd
import signal
import subprocess
import threading

REMOTE = "ws"


class RcloneError(Exception):
    """rclone failed; the message is one short sentence without secrets."""


class Credentials:
    """The key pair (and session token) rclone signs with."""

    def __init__(self, access_key_id, secret_access_key, session_token=None, expires_at=None):
        self.access_key_id = access_key_id or ""
        self.secret_access_key = secret_access_key or ""
        self.session_token = session_token or ""
        self.expires_at = expires_at

    def __repr__(self):
        return "Credentials(<redacted>)"


class Target:
    """Where the workspace lives: bucket, optional key prefix, endpoint and region."""

    def __init__(self, bucket, prefix="", endpoint="", region=""):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint = endpoint
        self.region = region or "us-east-1"

    def path(self):
        """The rclone path of the workspace root in the bucket."""
        return f"{REMOTE}:{self.bucket}/{self.prefix}" if self.prefix else f"{REMOTE}:{self.bucket}"


class Rclone:
    """One place that starts rclone processes (one at a time per caller)."""

    def __init__(self, binary, user, timeout):
        self.binary = binary
        self.timeout = timeout
        self._lock = threading.Lock()
        self._current = None
        self.run_as = None
        self.home = os.environ.get("HOME", "/tmp")
        if os.geteuid() == 0:
            entry = pwd.getpwnam(user)
            self.run_as = (entry.pw_uid, entry.pw_gid)
            self.home = entry.pw_dir or "/tmp"

    def environment(self, target, credentials):
        """The child's whole environment: nothing of the agent's own but PATH."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "HOME": self.home,
            "TZ": "UTC",
            "LANG": "C.UTF-8",
            "RCLONE_CONFIG": "/dev/null",
            f"RCLONE_CONFIG_{REMOTE.upper()}_TYPE": "s3",
            f"RCLONE_CONFIG_{REMOTE.upper()}_ENV_AUTH": "false",
            f"RCLONE_CONFIG_{REMOTE.upper()}_NO_CHECK_BUCKET": "true",
            f"RCLONE_CONFIG_{REMOTE.upper()}_REGION": target.region,
            f"RCLONE_CONFIG_{REMOTE.upper()}_ACCESS_KEY_ID": credentials.access_key_id,
            f"RCLONE_CONFIG_{REMOTE.upper()}_SECRET_ACCESS_KEY": credentials.secret_access_key,
        }
        if credentials.session_token:
            env[f"RCLONE_CONFIG_{REMOTE.upper()}_SESSION_TOKEN"] = credentials.session_token
        if target.endpoint:
            env[f"RCLONE_CONFIG_{REMOTE.upper()}_PROVIDER"] = "Other"
            env[f"RCLONE_CONFIG_{REMOTE.upper()}_ENDPOINT"] = target.endpoint
            env[f"RCLONE_CONFIG_{REMOTE.upper()}_FORCE_PATH_STYLE"] = "true"
        else:
            env[f"RCLONE_CONFIG_{REMOTE.upper()}_PROVIDER"] = "AWS"
        return env

    def run(self, args, target, credentials, stdin_lines=None):
        """Runs `rclone args...`; returns stdout, raises RcloneError with rclone's last error line."""
        common = ["--retries", "1", "--low-level-retries", "3", "--contimeout", "10s", "--timeout", "60s",
                  "--stats", "0"]
        data = None if stdin_lines is None else "".join(line + "\n" for line in stdin_lines).encode()
        kwargs = {}
        if self.run_as is not None:
            kwargs.update(user=self.run_as[0], group=self.run_as[1], extra_groups=[])
        try:
            process = subprocess.Popen(
                [self.binary] + args + common,
                stdin=subprocess.PIPE if data is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=self.environment(target, credentials), cwd="/", start_new_session=True, **kwargs,
            )
        except OSError as e:
            raise RcloneError(f"cannot start {self.binary}: {e.strerror}") from None
        with self._lock:
            self._current = process
        try:
            out, err = process.communicate(data, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self._kill(process)
            process.communicate()
            raise RcloneError(f"rclone took longer than {int(self.timeout)} s")
        finally:
            with self._lock:
                self._current = None
        if process.returncode != 0:
            raise RcloneError(_summary(err.decode("utf-8", "replace"), process.returncode))
        return out

    def kill_current(self):
        """Stops a running rclone (used when the agent must exit)."""
        with self._lock:
            if self._current is not None:
                self._kill(self._current)

    @staticmethod
    def _kill(process):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def lsjson(self, path, target, credentials, extra=(), stdin_lines=None):
        """Lists the files under `path` (recursively) as {relative path: entry}."""
        out = self.run(["lsjson", "-R", "--files-only", "--no-mimetype", *extra, path], target, credentials, stdin_lines)
        return {e["Path"]: e for e in json.loads(out.decode("utf-8") or "[]")}


def _summary(stderr, code):
    lines = [l.strip() for l in stderr.splitlines() if l.strip()]
    if not lines:
        return f"rclone exited with status {code}"
    line = lines[-1]
    # Drop rclone's timestamp prefix ("2026/01/01 00:00:00 ERROR : ").
    for marker in ("ERROR : ", "NOTICE: ", "CRITICAL: ", "Failed to "):
        if marker in line:
            line = line.split(marker, 1)[1]
    for noise in (", HostID:", ", RequestID:"):
        if noise in line:
            head, _, tail = line.partition(noise)
            rest = tail.split(",", 1)
            line = head + ("," + rest[1] if len(rest) > 1 else "")
    return line[:300]
