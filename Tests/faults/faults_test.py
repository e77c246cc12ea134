"""Item 4 of issue 8: engine faults and an unopenable store, against the real service binary.

1. Store: a DATABASE_PATH under a regular file, a directory, and a file that is not SQLite:
   `serve` exits non-zero within seconds, naming DATABASE_PATH and the reason.
2. Engine outage: the service talks to the engine through EngineRelay; with sessions running and
   the pool full, the engine goes away for OUTAGE_SECONDS (default 30). Meanwhile every route is
   called over and over and must answer within ROUTE_DEADLINE; /ready and /api/health are 503; a
   start that needs the engine is 503 ENGINE_UNAVAILABLE with Retry-After (a start the warm pool
   can serve without the engine is served); no record fails or stops. Afterwards, without help:
   /ready is 200, the pool is back to its target, every session handed out (before or during
   the outage) is running with its bucket and its Swarm service, a session deleted during the
   outage (answered `stopping`) ends stopped with its service removed, and a new start works.
"""
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
from service import ROOT, Service, eventually  # noqa: E402
from engine_outage import EngineRelay  # noqa: E402

OUTAGE_SECONDS = float(os.environ.get("FAULT_OUTAGE_SECONDS", "30"))
ROUTE_DEADLINE = 5.0  # seconds: what a client waits for any route during the outage
ENGINE_SAMPLE_AGE = 4.5  # seconds: the service's engine sample is at most 4 s old
POOL = 2
FAST = {
    "PRE_WARMED_QUEUE_SIZE": POOL, "HEALTH_CHECK_INTERVAL": "1s", "HEALTH_CHECK_TIMEOUT": "1s",
    "HEALTH_CHECK_RETRIES": "2", "RECONCILE_INTERVAL": "2s", "HOUSEKEEPING_INTERVAL": "1s",
    "POOL_CHECK_INTERVAL": "1s", "POOL_BACKOFF_MAX": "2s", "COLD_START_TIMEOUT": "30s",
}
failures = []


def check(ok, what):
    print(("PASS " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def store_faults(binary):
    base = Path(tempfile.mkdtemp(prefix="iof-store-"))
    (base / "plain-file").write_text("not a directory\n")
    (base / "a-directory.db").mkdir()
    (base / "junk.db").write_bytes(os.urandom(8192))
    cases = {
        "under a regular file": base / "plain-file" / "sub" / "containers.db",
        "a directory": base / "a-directory.db",
        "not a database": base / "junk.db",
    }
    for name, path in cases.items():
        env = {"PATH": "/usr/bin:/bin", "API_KEY": "store-fault-key", "DATABASE_PATH": str(path), "HOST": "127.0.0.1",
               "PORT": "1", "DOCKER_HOST": "unix:///nonexistent/docker.sock", "INSTANCE_NAME": "iof-store-fault"}
        started = time.monotonic()
        try:
            done = subprocess.run([binary, "serve"], env=env, capture_output=True, text=True, timeout=20)
        except subprocess.TimeoutExpired:
            check(False, f"store {name}: serve exits at start (still running after 20 s)")
            continue
        message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
        clear = "DATABASE_PATH" in message and str(path) in message
        check(done.returncode != 0 and clear,
              f"store {name}: exit {done.returncode} in {time.monotonic() - started:.1f} s, message: {message!r}")


def db_rows(svc, sql, args=()):
    with sqlite3.connect(f"file:{svc.directory / 'containers.db'}?mode=ro", uri=True, timeout=10) as db:
        return db.execute(sql, args).fetchall()


def timed_call(svc, method, path, body=None):
    started = time.monotonic()
    try:
        status, answer, headers = svc.call(method, path, body=body, timeout=ROUTE_DEADLINE)
    except Exception as error:  # noqa: BLE001 - a timeout or reset is the finding
        return None, repr(error), {}, time.monotonic() - started
    return status, answer, headers, time.monotonic() - started


def engine_outage():
    workdir = Path(tempfile.mkdtemp(prefix="iof-relay-"))
    upstream = os.environ["IDE_TEST_DOCKER_HOST"].removeprefix("unix://")
    relay = EngineRelay(upstream, str(workdir / "engine.sock"))
    relay.up()
    with Service("faults", **FAST, DOCKER_HOST=relay.docker_host) as svc:
        eventually("the pool to fill", lambda: svc.queue()["ready"] == POOL, timeout=90)
        sessions = {}
        for bucket in ("fault-before-a", "fault-before-b"):
            status, body, _ = svc.call("POST", "/api/containers/start", body={"s3Bucket": bucket})
            check(status == 201, f"start {bucket} before the outage: {status}")
            sessions[body["id"]] = bucket
        # Cut the engine while the pool refills: its launches are warming (service made, agent
        # not answering yet), the moment an outage could fail a container that is fine.
        def refilling():
            counts = db_rows(svc, "SELECT status, COUNT(*) FROM container GROUP BY status")
            counts = dict(counts)
            return counts.get("warming", 0) > 0 and counts.get("creating", 0) == 0
        try:
            eventually("a launch to be warming", refilling, timeout=20, every=0.02)
            warming_at_cut = [row[0] for row in db_rows(svc, "SELECT id FROM container WHERE status = 'warming'")]
        except TimeoutError:
            warming_at_cut = []
        before = {row[0]: row[1] for row in db_rows(svc, "SELECT id, status FROM container")}
        last_event = db_rows(svc, "SELECT COALESCE(MAX(id), 0) FROM containerEvent")[0][0]
        some_id = next(iter(sessions))

        cut = relay.down()
        cut_at = time.monotonic()
        print(f"engine away for {OUTAGE_SECONDS:.0f} s ({cut} open connections cut, {len(warming_at_cut)} launch(es) warming)", flush=True)
        routes = [("GET", "/live", 200), ("GET", "/ready", 503), ("GET", "/api/health", 503), ("GET", "/api/queue", 200),
                  ("GET", "/api/containers?limit=50", 200), ("GET", f"/api/containers/{some_id}", 200), ("GET", "/api/nodes", None),
                  ("GET", "/api/events/recent?limit=20", 200), ("GET", "/metrics", 200), ("GET", "/api/openapi.yaml", 200),
                  ("GET", "/dashboard/", 200)]
        calls, slowest, answers, n = 0, 0.0, {}, 0
        ends = time.monotonic() + OUTAGE_SECONDS
        # A user ends a session during the outage: answered at once, its service removed later.
        deleted = list(sessions)[1]
        status, body, _, took = timed_call(svc, "DELETE", f"/api/containers/{deleted}")
        check(status == 200 and took < ROUTE_DEADLINE and body.get("status") == "stopping",
              f"during the outage DELETE a session: {status} in {took:.2f} s, stopping until its service is removed: {str(body)[:160]}")
        del sessions[deleted]
        while time.monotonic() < ends:
            for method, path, expected in routes:
                status, body, _, took = timed_call(svc, method, path)
                calls += 1
                slowest = max(slowest, took)
                if expected == 503 and status == 200 and time.monotonic() - cut_at < ENGINE_SAMPLE_AGE:
                    continue  # the engine's sampled state has not seen the outage yet
                if status is None or (expected is not None and status != expected) or status >= 500 and expected != 503 and path != "/api/nodes":
                    check(False, f"during the outage {method} {path}: {status} in {took:.2f} s: {str(body)[:200]}")
            n += 1
            status, body, headers, took = timed_call(svc, "POST", "/api/containers/start", {"s3Bucket": f"fault-during-{n}"})
            calls += 1
            slowest = max(slowest, took)
            code = body.get("error", {}).get("code") if isinstance(body, dict) else None
            key = f"{status} {code or ''}".strip()
            answers[key] = answers.get(key, 0) + 1
            if status == 201 and time.monotonic() - cut_at < ENGINE_SAMPLE_AGE:
                # The engine is sampled every 2 s (a sample counts for 4 s): only a start that
                # came before the service could know of the outage may still be served.
                sessions[body["id"]] = f"fault-during-{n}"
                answers["201 before the outage was seen"] = answers.pop(key)
            elif not (status == 503 and code == "ENGINE_UNAVAILABLE" and headers.get("Retry-After")):
                check(False, f"during the outage POST start: {status} in {took:.2f} s: {str(body)[:200]}")
            time.sleep(0.5)
        check(slowest < ROUTE_DEADLINE, f"{calls} calls during the outage, slowest {slowest:.2f} s (deadline {ROUTE_DEADLINE} s)")
        check(answers.get("503 ENGINE_UNAVAILABLE", 0) > 0 and set(answers) <= {"201 before the outage was seen", "503 ENGINE_UNAVAILABLE"},
              f"starts during the outage: {answers} (503 once the outage is seen)")
        destroyed = db_rows(svc, "SELECT containerId, kind, toStatus, reason FROM containerEvent WHERE id > ? AND containerId != ? AND toStatus IN ('failed', 'stopped', 'stopping')", (last_event, deleted))
        check(not destroyed, f"no record failed or stopped during the outage: {destroyed[:5]}")

        relay.up()
        recovered = time.monotonic()
        eventually("/ready to answer 200", lambda: svc.call("GET", "/ready", key=None)[0] == 200, timeout=30)
        print(f"ready again {time.monotonic() - recovered:.1f} s after the engine came back", flush=True)
        eventually("the pool back to its target", lambda: svc.queue()["ready"] == POOL, timeout=90)
        print(f"pool back to {POOL} ready {time.monotonic() - recovered:.1f} s after the engine came back", flush=True)
        services = set(subprocess.run(
            ["docker", "service", "ls", "--format", "{{.Name}}", "--filter", f"label=ide-orchestrator.instance={svc.instance}"],
            env={**os.environ, "DOCKER_HOST": svc.docker_host}, capture_output=True, text=True, check=True).stdout.split())
        for cid, bucket in sessions.items():
            status, body, _ = svc.call("GET", f"/api/containers/{cid}")
            summary = body.get("summary", body) if isinstance(body, dict) else {}
            check(status == 200 and summary.get("status") == "running" and summary.get("s3Bucket") == bucket and f"ide-{cid}" in services,
                  f"session {cid} ({bucket}) still running with its bucket and service: {summary.get('status')}, {summary.get('s3Bucket')}")
        for cid in warming_at_cut:
            check(db_rows(svc, "SELECT status FROM container WHERE id = ?", (cid,))[0][0] in ("ready", "assigning", "running"),
                  f"launch {cid}, warming when the engine went away, became ready")
        def deleted_is_gone():
            status, body, _ = svc.call("GET", f"/api/containers/{deleted}")
            summary = body.get("summary", body)
            return summary.get("status") == "stopped" and summary.get("shutdownReason") == "manual" and f"ide-{deleted}" not in set(subprocess.run(
                ["docker", "service", "ls", "--format", "{{.Name}}", "--filter", f"label=ide-orchestrator.instance={svc.instance}"],
                env={**os.environ, "DOCKER_HOST": svc.docker_host}, capture_output=True, text=True, check=True).stdout.split())
        try:
            eventually("the session deleted during the outage to be stopped with its service gone", deleted_is_gone, timeout=60)
            check(True, f"session {deleted}, deleted during the outage: stopped (manual), service removed {time.monotonic() - recovered:.1f} s after the engine came back")
        except TimeoutError as error:
            check(False, str(error))
        lost = [cid for cid, status in before.items() if cid != deleted and status in ("warming", "ready", "running")
                and db_rows(svc, "SELECT status FROM container WHERE id = ?", (cid,))[0][0] in ("failed", "stopped", "stopping")]
        check(not lost, f"no container live before the outage ended because of it: {lost}")
        status, body, _ = svc.call("POST", "/api/containers/start", body={"s3Bucket": "fault-after"})
        check(status == 201, f"start after the outage: {status}")


def main():
    binary = os.environ.get("IDE_ORCHESTRATOR_BINARY", str(ROOT / ".build/debug/ide-orchestrator"))
    store_faults(binary)
    engine_outage()
    if failures:
        print(f"faults: {len(failures)} check(s) failed", flush=True)
        sys.exit(1)
    print("faults: all checks passed", flush=True)


if __name__ == "__main__":
    main()
