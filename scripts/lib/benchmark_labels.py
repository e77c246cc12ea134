#!/usr/bin/env python3
"""What writing an assignment onto a Swarm service's labels costs (issue 23).

Creates one service of the dev IDE image on the engine at DOCKER_HOST (a unix socket), then
updates its labels N times the way the service does (GET the service, merge the labels into
the spec as returned, POST the update), and prints the median, p90 and max in milliseconds,
and whether the task survived every update (a label update must not restart it).

    DOCKER_HOST=unix:///tmp/ide-orchestrator-swarm/docker.sock python3 scripts/lib/benchmark_labels.py [N]
"""
import http.client, json, os, socket, statistics, sys, time, urllib.parse

SOCK = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock").removeprefix("unix://")
IMAGE = os.environ.get("IDE_DEV_IMAGE", "ide-orchestrator/dev-ide:latest")
NAME = "ide-label-bench"


class Conn(http.client.HTTPConnection):
    def __init__(self):
        super().__init__("docker")

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(SOCK)


def call(method, path, body=None):
    c = Conn()
    c.request(method, "/v1.41" + path, body=json.dumps(body) if body is not None else None,
              headers={"Content-Type": "application/json"} if body is not None else {})
    r = c.getresponse()
    data = r.read()
    c.close()
    if r.status >= 300:
        raise SystemExit(f"{method} {path}: {r.status} {data[:200]!r}")
    return json.loads(data) if data else None


def tasks():
    q = urllib.parse.quote(json.dumps({"service": [NAME]}))
    return call("GET", f"/tasks?filters={q}")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    call("POST", "/services/create", {"Name": NAME, "TaskTemplate": {"ContainerSpec": {"Image": IMAGE}}})
    try:
        deadline = time.time() + 30
        while not any(t["Status"]["State"] == "running" for t in tasks()):
            if time.time() > deadline:
                raise SystemExit("the service did not start")
            time.sleep(0.2)
        before = {t["ID"] for t in tasks()}
        times = []
        for i in range(n):
            start = time.perf_counter()
            service = call("GET", f"/services/{NAME}")
            spec = service["Spec"]
            spec.setdefault("Labels", {})["ide-orchestrator.assignment.bucket"] = f"bench-{i}"
            call("POST", f"/services/{NAME}/update?version={service['Version']['Index']}", spec)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        after = {t["ID"] for t in tasks()}
        print(json.dumps({
            "updates": n, "median_ms": round(statistics.median(times), 2), "p90_ms": round(times[int(n * 0.9) - 1], 2),
            "max_ms": round(times[-1], 2), "task_restarted": after != before,
        }))
    finally:
        call("DELETE", f"/services/{NAME}")


if __name__ == "__main__":
    main()
