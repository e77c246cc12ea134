"""Issue 8, item 6: schemathesis against the real binary's /api/openapi.yaml, with the API key.

Starts `ide-orchestrator serve` on the private Swarm (its own INSTANCE_NAME, a pool of one) and
a fake S3 on 127.0.0.1 that knows only the document's example buckets, so generated start
requests are checked (400 S3_BUCKET_NOT_FOUND) and only the examples create containers. Then
runs schemathesis with every check, response validation included, over every operation but
the endless event stream, and fails on any 5xx, any non-conforming answer, or fewer cases than
FUZZ_MIN_CASES. Also sends the bodies schemathesis cannot (over the limit, chunked) to the real
server. Prints the figures: cases, statuses, failures.

FUZZ_MAX_EXAMPLES (per operation and phase) sets the size: the default (100, 1,100 to 1,500 cases)
keeps the run well under two minutes; FUZZ_MAX_EXAMPLES=500 FUZZ_MIN_CASES=2000 is the full run.
"""
import collections
import http.client
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
from service import Service, eventually  # noqa: E402

KNOWN_BUCKETS = {"test-bucket", "student-1234-workspace"}
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "100"))
MIN_CASES = int(os.environ.get("FUZZ_MIN_CASES", "1000"))
SEED = os.environ.get("FUZZ_SEED", "8")
VENV = Path(os.environ.get("IDE_FUZZ_VENV", Path.home() / ".cache/ide-orchestrator/fuzz-venv"))


class FakeS3(http.server.BaseHTTPRequestHandler):
    """GET /<bucket>?location=: 200 for the known buckets, 404 NoSuchBucket for any other."""

    def do_GET(self):  # noqa: N802 - http.server's name
        bucket = self.path.split("?", 1)[0].strip("/")
        if bucket in KNOWN_BUCKETS:
            body, status = b'<?xml version="1.0"?><LocationConstraint/>', 200
        else:
            body, status = b"<Error><Code>NoSuchBucket</Code></Error>", 404
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def raw(service, request_bytes, read_timeout=10):
    """Sends raw bytes, returns the status line's code (or None if the server closed first)."""
    with socket.create_connection(("127.0.0.1", service.port), timeout=read_timeout) as s:
        try:
            s.sendall(request_bytes)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        try:
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except ConnectionResetError:
            pass
    match = re.match(rb"HTTP/1\.1 (\d{3})", data)
    return int(match.group(1)) if match else None


def bounded_input_checks(service):
    """What schemathesis does not send: oversized, chunked and mistyped bodies, to the real server."""
    auth = f"Authorization: Bearer {service.key}\r\n".encode()
    big = b"x" * (200 * 1024)
    declared = b"POST /api/containers/start HTTP/1.1\r\nHost: x\r\n" + auth + b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(big)
    assert raw(service, declared) == 413, "a declared oversized body is not refused with 413"
    chunks = b"".join(b"%x\r\n" % 4096 + b"x" * 4096 + b"\r\n" for _ in range(50)) + b"0\r\n\r\n"
    chunked = b"POST /api/containers/start HTTP/1.1\r\nHost: x\r\n" + auth + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks
    assert raw(service, chunked) == 413, "a streamed oversized body is not refused with 413"
    status, body, _ = service.call("POST", "/api/containers/start", body=None)
    assert status == 400, (status, body)
    connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=10)
    connection.request("POST", "/api/containers/start", body=b"s3Bucket=test-bucket",
                       headers={"Authorization": f"Bearer {service.key}", "Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    assert response.status == 415, response.status
    print("fuzz: bounded input on the real server: 413 declared, 413 chunked, 400 empty, 415 form body")


def main():
    s3 = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeS3)
    threading.Thread(target=s3.serve_forever, daemon=True).start()
    report = Path(tempfile.mkdtemp(prefix="fuzz-report-"))
    with Service("fuzz", PRE_WARMED_QUEUE_SIZE="1", S3_ENDPOINT=f"http://127.0.0.1:{s3.server_address[1]}",
                 AWS_ACCESS_KEY_ID="AKIAFUZZ", AWS_SECRET_ACCESS_KEY="fuzz-secret", PUBLIC_RATE_LIMIT_PER_MINUTE="0",
                 COLD_START_TIMEOUT="30s", MAX_CONCURRENT_COLD_STARTS="1", HEALTH_CHECK_INTERVAL="5s") as service:
        eventually("a warm container", lambda: service.queue()["ready"] >= 1, timeout=90)
        bounded_input_checks(service)
        started = time.monotonic()
        command = [
            str(VENV / "bin/schemathesis"), "--config-file", str(Path(__file__).with_name("schemathesis.toml")), "run", f"{service.base}/api/openapi.yaml", "--url", service.base,
            "-H", f"Authorization: Bearer {service.key}", "--checks", "all",
            "--exclude-operation-id", "streamEvents", "--max-examples", str(MAX_EXAMPLES), "--seed", SEED,
            "--request-timeout", "40", "--workers", "1", "--no-shrink", "--suppress-health-check", "all",
            "--report", "har,junit", "--report-dir", str(report), "--output-sanitize", "true",
        ]
        print("fuzz: " + " ".join(c.replace(service.key, "<key>") for c in command), flush=True)
        # In the report directory, so schemathesis' cache (it replays earlier failures) stays out of the tree.
        result = subprocess.run(command, capture_output=True, text=True, cwd=report, env={**os.environ, "NO_COLOR": "1"})
        elapsed = time.monotonic() - started
        output = result.stdout + result.stderr
        print(output)
        statuses, cases = summarize(report)
        generated = re.search(r"Test cases:\s*\n?\s*(\d+) generated", output) or re.search(r"(\d+) generated", output)
        generated = int(generated.group(1)) if generated else cases
        server_errors = {s: n for s, n in statuses.items() if s >= 500}
        print(f"fuzz: {generated} cases generated, {cases} requests in {elapsed:.0f} s; statuses {dict(sorted(statuses.items()))}")
        log = service.log_path.read_text(errors="replace")
        assert service.process.poll() is None, "the service died during the run"
        assert service.key not in output, "the API key appears in the report"
        assert not server_errors, f"5xx answers: {server_errors}"
        assert result.returncode == 0, f"schemathesis found failures (exit {result.returncode})"
        assert generated >= MIN_CASES, f"only {generated} cases (at least {MIN_CASES} wanted)"
        assert "Unhandled error" not in log, "an unhandled error was logged"
    shutil.rmtree(report, ignore_errors=True)
    print("fuzz: passed")


def summarize(report):
    """Statuses of every request in the HAR report, and how many there were."""
    statuses = collections.Counter()
    for har in report.glob("har-*.json"):
        for entry in json.loads(har.read_text())["log"]["entries"]:
            statuses[entry["response"]["status"]] += 1
    return statuses, sum(statuses.values())


if __name__ == "__main__":
    main()
