"""Figures for protected IDE routes (docs/benchmarks.md): the check listener's throughput with wrk
(a valid session cookie on every request, as for every editor asset) and the latency the
forwardAuth check adds per asset through the real Traefik (p50 and p95 of sequential GETs of one
container's code route, with the check and then with the router's auth middleware removed).

    Tests/routes/bench.sh [--quick]     (needs the private Swarm: see scripts/test.sh)
"""
import hashlib
import hmac
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from routes_test import Traefik, request  # noqa: E402
from service import Service, eventually, free_port  # noqa: E402


def main():
    quick = "--quick" in sys.argv
    seconds, connections, samples = (2, 8, 200) if quick else (10, 64, 2000)
    auth_port = free_port()
    traefik = Traefik(auth_port)
    service = None
    try:
        service = Service("routes-bench", IDE_CONTAINER_IMAGE=traefik.env["IDE_CONTAINER_IMAGE"], TRAEFIK_NETWORK=traefik.stack["TRAEFIK_NETWORK"],
                          HTTP_PORT=str(traefik.port), TRAEFIK_PROBE_URL=traefik.stack["TRAEFIK_PROBE_URL"], HOST="0.0.0.0",
                          IDE_AUTH_PORT=str(auth_port), IDE_AUTH_URL=traefik.stack["IDE_AUTH_URL"], PRE_WARMED_QUEUE_SIZE="1",
                          AWS_ACCESS_KEY_ID="routes-bench", AWS_SECRET_ACCESS_KEY="routes-bench-secret", LOG_LEVEL="warning")
        service.launch()
        answer = eventually("a claim", lambda: (lambda r: r[1] if r[0] in (200, 201) else None)(service.call("POST", "/api/containers/start", body={"s3Bucket": "bench-bucket"})), timeout=120)
        cid, code = answer["id"], answer["urls"]["codeServer"]
        _, headers, _ = request(traefik.port, answer["launchUrls"]["codeServer"])
        cookie = headers["set-cookie"].split(";", 1)[0]

        # 1. The check listener alone, as Traefik calls it.
        script = service.directory / "check.lua"
        uri = "/code/" + cid + "/static/app.js"
        script.write_text(f'wrk.headers["Cookie"] = "{cookie}"\nwrk.headers["X-Forwarded-Uri"] = "{uri}"\n'
                          f'wrk.headers["X-Forwarded-Host"] = "localhost"\nwrk.headers["X-Forwarded-Proto"] = "http"\n')
        out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
                              f"http://127.0.0.1:{auth_port}/check/code/{cid}"], capture_output=True, text=True).stdout
        rate = float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec")))
        non2xx = next((line for line in out.splitlines() if "Non-2xx" in line), None)
        assert non2xx is None, f"the check refused the cookie: {non2xx}"
        p50 = next(line.split()[1] for line in out.splitlines() if line.strip().startswith("50%"))

        # 2. Through Traefik, per asset: with the check, then without (the router's auth middleware removed).
        def timings():
            values = []
            for _ in range(samples):
                started = time.perf_counter()
                status, _, _ = request(traefik.port, code + "static/app.js", cookie=cookie)
                values.append((time.perf_counter() - started) * 1000)
                assert status == 200, status
            values.sort()
            return statistics.median(values), values[int(len(values) * 0.95)]
        with_check = timings()
        router = f"traefik.http.routers.ide-{cid}-code.middlewares"
        subprocess.run(["docker", "service", "update", "--detach", "--quiet", "--label-add", f"{router}=ide-{cid}-code-headers,ide-{cid}-code-strip", f"ide-{cid}"],
                       env=traefik.env, check=True, capture_output=True)
        eventually("Traefik to drop the check from the route", lambda: request(traefik.port, code)[0] == 200, timeout=30)
        without = timings()
        figures = {
            "checkListenerRequestsPerSecond": round(rate), "checkListenerP50": p50, "wrkConnections": connections, "wrkSeconds": seconds,
            "assetP50WithCheckMs": round(with_check[0], 3), "assetP50WithoutCheckMs": round(without[0], 3),
            "addedP50Ms": round(with_check[0] - without[0], 3), "assetP95WithCheckMs": round(with_check[1], 3),
            "assetP95WithoutCheckMs": round(without[1], 3), "samples": samples,
        }
        print(json.dumps(figures, indent=2))
    finally:
        if service:
            service.tear_down()
        traefik.close()


if __name__ == "__main__":
    main()
