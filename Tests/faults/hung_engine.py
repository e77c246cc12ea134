"""Measures the routes while the engine hangs (accepts connections, answers nothing), as dockerd
under SIGSTOP would. Not part of scripts/test.sh: it reports, it does not judge; the figures
are in docs/reliability.md ("Not covered"). Run: python3 Tests/faults/hung_engine.py with
IDE_TEST_DOCKER_HOST and IDE_ORCHESTRATOR_BINARY set as scripts/test.sh sets them.
"""
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
from service import Service, eventually  # noqa: E402
from engine_outage import EngineRelay  # noqa: E402


def main():
    workdir = Path(tempfile.mkdtemp(prefix="iof-hung-"))
    relay = EngineRelay(os.environ["IDE_TEST_DOCKER_HOST"].removeprefix("unix://"), str(workdir / "engine.sock"))
    relay.up()
    with Service("hung", PRE_WARMED_QUEUE_SIZE=1, POOL_CHECK_INTERVAL="1s", RECONCILE_INTERVAL="2s", DOCKER_HOST=relay.docker_host) as svc:
        eventually("the pool to fill", lambda: svc.queue()["ready"] == 1, timeout=60)
        relay.freeze()
        results = {}

        def hit(method, path, body=None):
            began = time.monotonic()
            try:
                status, answer, _ = svc.call(method, path, body=body, timeout=45)
            except Exception as error:  # noqa: BLE001
                status, answer = None, repr(error)
            code = answer.get("error", {}).get("code", "") if isinstance(answer, dict) else ""
            results[f"{method} {path} {(body or {}).get('s3Bucket', '')}".strip()] = f"{status} {code} in {time.monotonic() - began:.2f} s"

        calls = [("GET", "/live"), ("GET", "/ready"), ("GET", "/api/health"), ("GET", "/api/queue"), ("GET", "/api/nodes"),
                 ("GET", "/api/containers"), ("GET", "/metrics"),
                 ("POST", "/api/containers/start", {"s3Bucket": "hung-warm"}), ("POST", "/api/containers/start", {"s3Bucket": "hung-cold"})]
        threads = [threading.Thread(target=hit, args=call) for call in calls]
        for thread in threads:
            thread.start()
            time.sleep(0.2)
        for thread in threads:
            thread.join(60)
        relay.thaw()
        for call, result in results.items():
            print(f"{call}: {result}", flush=True)


if __name__ == "__main__":
    main()
