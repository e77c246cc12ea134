"""The real `ide-orchestrator serve` binary on the private Swarm, for the browser and stream tests.

Each run gets its own port, database and INSTANCE_NAME; every Swarm service it made is removed
when the test ends.
"""
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def eventually(what, condition, timeout=60.0, every=0.2):
    """Polls `condition` until it returns a truthy value or the deadline passes."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as error:  # noqa: BLE001 - reported on timeout
            last_error = error
        time.sleep(every)
    raise TimeoutError(f"timed out waiting for {what}" + (f" (last error: {last_error})" if last_error else ""))


class Service:
    def __init__(self, name, **overrides):
        docker_host = os.environ.get("IDE_TEST_DOCKER_HOST")
        if not docker_host:
            raise SystemExit("IDE_TEST_DOCKER_HOST is not set; run through scripts/test.sh")
        self.binary = os.environ.get("IDE_ORCHESTRATOR_BINARY", str(ROOT / ".build/debug/ide-orchestrator"))
        self.port = free_port()
        self.key = f"browser-key-{uuid.uuid4().hex[:12]}"
        self.instance = f"{name}-{uuid.uuid4().hex[:8]}"
        self.directory = Path(tempfile.mkdtemp(prefix=f"{self.instance}-"))
        self.docker_host = docker_host
        self.env = {
            "PATH": "/usr/bin:/bin",
            "DOCKER_HOST": docker_host,
            "IDE_CONTAINER_IMAGE": os.environ.get("IDE_TEST_IMAGE", "ide-orchestrator/dev-ide:latest"),
            "SWARM_NETWORK": os.environ.get("IDE_TEST_NETWORK", "ide-network"),
            "CONTAINER_MEMORY_LIMIT": "128MB",
            "CONTAINER_CPU_LIMIT": "0.25",
            "POOL_CHECK_INTERVAL": "1s",
            "RATE_LIMIT_PER_MINUTE": "0",
            "MAX_CPU_PERCENT": "100",
            "MAX_MEMORY_PERCENT": "100",
            "HEALTH_CHECK_INTERVAL": "2s",
            "EVENT_STREAM_POLL_INTERVAL": "200ms",
            "EVENT_STREAM_HEARTBEAT_INTERVAL": "2s",
            "PUBLIC_DIR": str(ROOT / "Public"),
            "LOG_LEVEL": "info",
            # Loopback only, unless a test needs Traefik's task to reach the check listener.
            "HOST": "127.0.0.1",
            **{k: str(v) for k, v in overrides.items()},
            "API_KEY": self.key,
            "PORT": str(self.port),
            # The check listener gets a free port of its own (PORT + 1 may be another run's).
            "IDE_AUTH_PORT": str(overrides.get("IDE_AUTH_PORT", free_port())),
            "INSTANCE_NAME": self.instance,
            "DATABASE_PATH": str(self.directory / "containers.db"),
        }
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.log_path = self.directory / "service.log"

    def __enter__(self):
        self.launch()
        return self

    def __exit__(self, *exc):
        self.tear_down()

    def launch(self):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([self.binary, "serve"], env=self.env, stdout=log, stderr=log)
        eventually("the service to answer /live", self._live, timeout=30)

    def _live(self):
        if self.process.poll() is not None:
            raise RuntimeError(f"service exited: {self.log_tail()}")
        return self.call("GET", "/live", key=None)[0] == 200

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Sends `sig` and waits for the exit; returns the seconds it took."""
        started = time.monotonic()
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=timeout)
        return time.monotonic() - started

    def tear_down(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        env = {**os.environ, "DOCKER_HOST": self.docker_host}
        ids = subprocess.run(["docker", "service", "ls", "-q", "--filter", f"label=ide-orchestrator.instance={self.instance}"],
                             env=env, capture_output=True, text=True).stdout.split()
        if ids:
            subprocess.run(["docker", "service", "rm", *ids], env=env, capture_output=True)
        # Their agent-token secrets go once no service uses them.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            secrets = subprocess.run(["docker", "secret", "ls", "-q", "--filter", f"label=ide-orchestrator.instance={self.instance}"],
                                     env=env, capture_output=True, text=True).stdout.split()
            if not secrets:
                break
            subprocess.run(["docker", "secret", "rm", *secrets], env=env, capture_output=True)
            time.sleep(0.2)

    def call(self, method, path, key="", body=None, timeout=60):
        """One request; `key` defaults to the service's key, None sends no Authorization."""
        headers = {"Content-Type": "application/json"}
        bearer = self.key if key == "" else key
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                text = response.read().decode()
                return response.status, (json.loads(text) if text.startswith(("{", "[")) else text), dict(response.headers)
        except urllib.error.HTTPError as error:
            text = error.read().decode()
            return error.code, (json.loads(text) if text.startswith("{") else text), dict(error.headers)

    def queue(self):
        status, body, _ = self.call("GET", "/api/queue")
        assert status == 200, body
        return body

    def log_tail(self):
        try:
            return self.log_path.read_text(errors="replace")[-3000:]
        except OSError:
            return ""
