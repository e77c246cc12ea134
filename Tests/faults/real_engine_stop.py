"""A real stop of a private dockerd for 30 s, then a start on the same state (not in scripts/test.sh).

Run by real-engine-stop.sh inside a network namespace of its own with a private engine, so no
other test sees it. In Swarm mode a stopping dockerd ends every task, so the sessions cannot
survive; this records what the service does about it: routes during the stop, no crash, and
after the start how the sessions end and how fast the pool is back.
"""
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
from service import Service, eventually  # noqa: E402

D = Path(os.environ["IDE_SWARM_DIR"])
OUTAGE = float(os.environ.get("FAULT_OUTAGE_SECONDS", "30"))
POOL = 2


def dockerd_args():
    return (Path(f"/proc/{pid()}/cmdline").read_bytes().rstrip(b"\0").split(b"\0"))


def pid():
    return int((D / "docker.pid").read_text().strip())


def main():
    with Service("realstop", PRE_WARMED_QUEUE_SIZE=POOL, HEALTH_CHECK_INTERVAL="1s", HEALTH_CHECK_TIMEOUT="1s",
                 RECONCILE_INTERVAL="2s", POOL_CHECK_INTERVAL="1s", POOL_BACKOFF_MAX="2s") as svc:
        eventually("the pool to fill", lambda: svc.queue()["ready"] == POOL, timeout=90)
        sessions = [svc.call("POST", "/api/containers/start", body={"s3Bucket": f"realstop-{n}"})[1]["id"] for n in (1, 2)]
        eventually("the pool to refill", lambda: svc.queue()["ready"] == POOL, timeout=90)
        warm = {c["id"] for c in svc.call("GET", "/api/containers?status=ready")[1]["containers"]}
        args = dockerd_args()
        engine = pid()
        os.kill(engine, 15)
        stop_started = time.monotonic()
        while Path(f"/proc/{engine}").exists() and time.monotonic() - stop_started < 60:
            time.sleep(0.1)
        print(f"dockerd stopped in {time.monotonic() - stop_started:.1f} s", flush=True)
        slowest, calls, codes = 0.0, 0, {}
        ends = stop_started + OUTAGE
        n = 0
        while time.monotonic() < ends:
            for method, path, body in [("GET", "/ready", None), ("GET", "/api/health", None), ("GET", "/api/queue", None),
                                       ("GET", "/api/containers", None), ("POST", "/api/containers/start", {"s3Bucket": f"realstop-during-{n}"})]:
                began = time.monotonic()
                try:
                    status, answer, _ = svc.call(method, path, body=body, timeout=10)
                except Exception as error:  # noqa: BLE001
                    status, answer = None, repr(error)
                slowest, calls = max(slowest, time.monotonic() - began), calls + 1
                code = answer.get("error", {}).get("code", "") if isinstance(answer, dict) else ""
                key = f"{method} {path.split('?')[0]} {status} {code}".strip()
                codes[key] = codes.get(key, 0) + 1
            n += 1
            time.sleep(0.5)
        print(f"{calls} calls while dockerd was stopped, slowest {slowest:.2f} s: {codes}", flush=True)
        subprocess.Popen(["setsid", *[a.decode() for a in args]], stdin=subprocess.DEVNULL,
                         stdout=open(D / "dockerd.log", "ab"), stderr=subprocess.STDOUT)
        back = time.monotonic()
        eventually("/ready 200", lambda: svc.call("GET", "/ready", key=None)[0] == 200, timeout=120)
        print(f"/ready 200 {time.monotonic() - back:.1f} s after dockerd was started again", flush=True)
        def refilled():
            ready = {c["id"] for c in svc.call("GET", "/api/containers?status=ready")[1]["containers"]}
            return len(ready) == POOL and not ready & warm
        eventually("the pool back to its target with new containers", refilled, timeout=180)
        print(f"pool back to {POOL} ready (the warm containers the stop ended replaced) {time.monotonic() - back:.1f} s after dockerd was started again", flush=True)
        eventually("the sessions to be ended", lambda: all(
            svc.call("GET", f"/api/containers/{cid}")[1].get("status") in ("stopped", "failed") for cid in sessions), timeout=60)
        for cid in sessions:
            body = svc.call("GET", f"/api/containers/{cid}")[1]
            body = body.get("summary", body)
            print(f"session {cid}: {body.get('status')} ({body.get('shutdownReason')})", flush=True)
        print(f"records: {svc.queue()['byStatus']}", flush=True)
        print(f"service process alive throughout: {svc.process.poll() is None}", flush=True)


if __name__ == "__main__":
    main()
