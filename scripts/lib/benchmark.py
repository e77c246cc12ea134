#!/usr/bin/env python3
"""The benchmark of scripts/benchmark.sh: runs ide-orchestrator against the Swarm at DOCKER_HOST
and measures claims (warm and cold, by concurrency), a burst against a small pool, the HTTP
routes with wrk, resident memory by store size, and a pass and idle CPU with 200 containers.

Every run of the service gets its own INSTANCE_NAME, database and port; its Swarm services are
removed when the run ends. Prints a table and writes results.json (and the chart, when
matplotlib is available) into --out. Asserts nothing about timing.
"""
import argparse
import http.client
import json
import os
import random
import re
import shutil
import select
import signal
import sqlite3
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone

# Full and quick sizes. Quick only proves the benchmark works (scripts/test.sh runs it).
SIZES = {
    "full": dict(warm_pool=40, warm_claims=200, concurrency=[1, 8, 32], cold=[(1, 20), (8, 24)],
                 burst=(50, 10), wrk_seconds=10, wrk_connections=32, small_records=100, record_steps=[1000, 10000],
                 records_rounds=5, scale=200, idle_seconds=60, reconcile_interval=None,
                 ref_pool=4, ref_warm_claims=40, ref_cold=3, ref_hydrate=5, ref_pushes=20, ref_settle_seconds=20),
    "quick": dict(warm_pool=2, warm_claims=2, concurrency=[1, 2], cold=[(1, 1)],
                  burst=(3, 1), wrk_seconds=1, wrk_connections=4, small_records=100, record_steps=[200],
                  records_rounds=1, scale=3, idle_seconds=5, reconcile_interval="2s",
                  ref_pool=1, ref_warm_claims=2, ref_cold=1, ref_hydrate=1, ref_pushes=2, ref_settle_seconds=3),
}


def log(message):
    print(f"benchmark: {message}", file=sys.stderr, flush=True)


def percentiles(values):
    """p50, p90, p99 and max of a list of milliseconds (nearest rank)."""
    if not values:
        return None
    ordered = sorted(values)

    def rank(p):
        return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))]
    return {"n": len(ordered), "p50": rank(50), "p90": rank(90), "p99": rank(99), "max": ordered[-1],
            "mean": statistics.fmean(ordered)}


def random_suffix(n=6):
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(n))


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def docker(*args, check=True):
    return subprocess.run(["docker", *args], check=check, capture_output=True, text=True).stdout


def settle(db):
    """Copies the benchmark's own bulk writes from the write-ahead log into the database file,
    so the rounds after them measure a store at rest (records that piled up over weeks were
    checkpointed long ago), not the service checkpointing megabytes it never wrote."""
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


class Service:
    """One run of ide-orchestrator with its own instance name, database and port."""

    def __init__(self, binary, name, settings, workdir):
        self.name = name
        self.instance = f"bench-{random_suffix()}-{name}"
        self.key = "bench-" + random_suffix(24)
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix=f"{name}-", dir=workdir)
        self.database = os.path.join(self.dir, "containers.db")
        self.log_path = os.path.join(self.dir, "service.log")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("API_KEY", "AWS_", "S3_"))}
        env.update({
            "API_KEY": self.key, "HOST": "127.0.0.1", "PORT": str(self.port), "IDE_AUTH_PORT": str(free_port()), "DATABASE_PATH": self.database,
            "INSTANCE_NAME": self.instance, "LOG_FORMAT": "json", "LOG_LEVEL": "info", "RATE_LIMIT_PER_MINUTE": "0", "PUBLIC_RATE_LIMIT_PER_MINUTE": "0",
            "MAX_CPU_PERCENT": "100", "MAX_MEMORY_PERCENT": "100", "CONTAINER_CPU_LIMIT": "0.25",
            "CONTAINER_MEMORY_LIMIT": "64MB", "POOL_CHECK_INTERVAL": "1s", "WARM_CONTAINER_TTL_SECONDS": "0",
            "PUBLIC_DIR": os.path.join(self.dir, "no-dashboard"),
        })
        env.update(settings)
        self.settings = settings
        self.log_file = open(self.log_path, "w")
        # The working directory holds no .env, so only this environment counts.
        self.process = subprocess.Popen([binary, "serve"], env=env, cwd=self.dir, stdout=self.log_file, stderr=subprocess.STDOUT)
        self.wait_until(lambda: self.get("/live")[0] == 200, 60, "the service to answer /live")

    # ---- HTTP
    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def request(self, method, path, body=None, connection=None):
        own = connection is None
        connection = connection or self.connection()
        headers = {"Authorization": f"Bearer {self.key}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = connection.getresponse()
            data = response.read()
            return response.status, (json.loads(data) if data[:1] in (b"{", b"[") else data.decode(errors="replace"))
        except (OSError, http.client.HTTPException) as error:
            return 0, str(error)
        finally:
            if own:
                connection.close()

    def get(self, path):
        return self.request("GET", path)

    def queue(self):
        status, body = self.get("/api/queue")
        return body if status == 200 else None

    def ready(self):
        q = self.queue()
        return q["ready"] if q else -1

    def wait_until(self, predicate, seconds, what):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the service exited ({self.process.returncode}) waiting for {what}; log: {self.log_path}")
            try:
                if predicate():
                    return
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"timed out after {seconds} s waiting for {what}; log: {self.log_path}")

    def wait_ready(self, n, seconds=300):
        self.wait_until(lambda: self.ready() >= n, seconds, f"{n} ready containers")

    # ---- process figures
    def rss_mb(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return None

    def cpu_seconds(self):
        with open(f"/proc/{self.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def metric(self, name):
        status, body = self.get("/metrics")
        if status != 200:
            return None
        for line in body.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{}"):
                return float(line.split()[-1])
        return None

    def claim_millis(self):
        """The service's own claim times (from the request's arrival), from its JSON log."""
        values = []
        with open(self.log_path) as f:
            for line in f:
                if '"Container assigned"' not in line:
                    continue
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                meta = entry.get("metadata", entry)
                if "claim.ms" in meta and str(meta.get("prewarmed")) == "true":
                    values.append(float(meta["claim.ms"]))
        return values

    # ---- records
    def insert_records(self, total):
        """Fills the store with stopped records (two events each) up to `total` records."""
        db = sqlite3.connect(self.database, timeout=30)
        have = db.execute("SELECT COUNT(*) FROM container").fetchone()[0]
        now = datetime.now(timezone.utc)
        columns = [row[1] for row in db.execute("PRAGMA table_info(container)")]
        rows, events = [], []
        for i in range(max(0, total - have)):
            cid = "".join(random.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(16))
            created = (now - timedelta(minutes=random.randint(1, 1440))).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
            record = {"id": cid, "serviceName": f"ide-{cid}", "status": "stopped", "s3Bucket": f"bench-bucket-{i}",
                      "s3Region": "us-east-1", "isPreWarmed": 1, "createdAt": created, "readyAt": created, "assignedAt": created,
                      "stoppedAt": created, "shutdownReason": "inactivity", "cpuLimit": 0.25, "memoryLimitBytes": 64 << 20,
                      "codeUrl": f"http://localhost/code/{cid}", "vncUrl": f"http://localhost/vnc/{cid}",
                      "webUrl": f"http://localhost/web/{cid}", "healthStatus": "unknown", "consecutiveHealthFailures": 0,
                      "activityTracked": 0, "statusSince": created}
            rows.append(tuple(record[c] for c in columns if c in record))
            events.append((cid, created, "created", None, "creating", "bench"))
            events.append((cid, created, "stopped", "running", "stopped", "inactivity: bench"))
        used = [c for c in columns if c in record] if rows else []
        with db:
            if rows:
                db.executemany(f"INSERT INTO container ({', '.join(used)}) VALUES ({', '.join('?' * len(used))})", rows)
            db.executemany("INSERT INTO containerEvent (containerId, at, kind, fromStatus, toStatus, reason) VALUES (?,?,?,?,?,?)", events)
        settle(db)
        db.close()

    def record_count(self):
        db = sqlite3.connect(self.database, timeout=30)
        count = db.execute("SELECT COUNT(*) FROM container").fetchone()[0]
        db.close()
        return count

    def remove_bench_records(self):
        """Deletes the records `insert_records` wrote (and their events)."""
        db = sqlite3.connect(self.database, timeout=30)
        with db:
            db.execute("DELETE FROM containerEvent WHERE containerId IN (SELECT id FROM container WHERE s3Bucket LIKE 'bench-bucket-%')")
            db.execute("DELETE FROM container WHERE s3Bucket LIKE 'bench-bucket-%'")
        settle(db)
        db.close()

    # ---- end
    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()
        remove_services(self.instance)


def remove_services(instance):
    ids = docker("service", "ls", "-q", "--filter", f"label=ide-orchestrator.instance={instance}", check=False).split()
    for start in range(0, len(ids), 50):
        docker("service", "rm", *ids[start:start + 50], check=False)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        left = docker("ps", "-aq", "--filter", f"label=ide-orchestrator.instance={instance}", check=False).split()
        if not left:
            return
        time.sleep(0.5)
    log(f"warning: containers of {instance} still present after 120 s")


# ---------------------------------------------------------------- claims

def claim_batch(service, count, clients, prefix):
    """`count` start requests for distinct buckets from `clients` threads, each back to back on
    its own keep-alive connection. Returns one dict per request."""
    results, lock, next_index = [], threading.Lock(), [0]
    barrier = threading.Barrier(clients)

    def worker():
        connection = service.connection()
        barrier.wait()
        while True:
            with lock:
                index = next_index[0]
                if index >= count:
                    break
                next_index[0] += 1
            body = {"s3Bucket": f"{prefix}-{index}", "s3Region": "us-east-1"}
            started = time.perf_counter()
            status, answer = service.request("POST", "/api/containers/start", body, connection)
            elapsed = (time.perf_counter() - started) * 1000
            if status == 0:
                connection.close()
                connection = service.connection()
            ok = status in (200, 201) and isinstance(answer, dict)
            with lock:
                results.append({"ms": elapsed, "status": status, "warm": ok and answer.get("isPreWarmed"),
                                "id": answer.get("id") if ok else None, "end": time.perf_counter()})
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def stop_claimed(service, results):
    ids = [r["id"] for r in results if r["id"]]

    def worker(chunk):
        connection = service.connection()
        for cid in chunk:
            service.request("DELETE", f"/api/containers/{cid}", connection=connection)
        connection.close()
    threads = [threading.Thread(target=worker, args=(ids[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def wrk_claims(service, count, clients, prefix):
    """`count` start requests from `clients` wrk connections (rounded down to a multiple of
    them), each sending its share back to back (scripts/lib/claims.lua). wrk, not Python
    threads, so that the client's own CPU (and the GIL) stays out of the figures. Returns
    {"ms": [...], "failed": n, "notWarm": n}."""
    threads = max(1, min(clients, count))
    per_thread = max(1, count // threads)
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "claims.lua")
    fifo = os.path.join(tempfile.mkdtemp(prefix="claims-"), "done")
    os.mkfifo(fifo)
    command = ["wrk", f"-t{threads}", f"-c{threads}", "-d300s", "--timeout", "120s", "-s", script,
               f"http://127.0.0.1:{service.port}/api/containers/start", "--", prefix, str(per_thread), service.key, fifo]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    # Waits (without spinning) until every wrk thread has written its line, or wrk exits;
    # opened read-write so the FIFO never reads as closed between writers.
    finished, pending = 0, b""
    done = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
    try:
        while finished < threads and process.poll() is None:
            if select.select([done], [], [], 1.0)[0]:
                pending += os.read(done, 4096)
                finished = pending.count(b"\n")
    finally:
        os.close(done)
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=60)[0]
    shutil.rmtree(os.path.dirname(fifo), ignore_errors=True)
    line = next((l for l in output.splitlines() if l.startswith("CLAIMS ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no CLAIMS line: {output[-500:]}")
    answer = json.loads(line[len("CLAIMS "):])
    return {"ms": answer["ms"], "failed": answer["failed"], "notWarm": answer["answered"] - answer["warm"] - answer["failed"]}


def stop_running(service):
    """Stops every container the service has handed out."""
    status, body = service.get("/api/containers?status=running&limit=500")
    ids = [c["id"] for c in body.get("containers", [])] if status == 200 and isinstance(body, dict) else []
    stop_claimed(service, [{"id": cid} for cid in ids])


def warm_claims(service, pool, total, clients, prefix):
    """`total` warm claims in rounds of at most `pool`, each round against a full pool; the
    claimed containers are stopped between rounds."""
    results = {"ms": [], "failed": 0, "notWarm": 0}
    round_number = 0
    while len(results["ms"]) < total:
        service.wait_ready(pool)
        batch = wrk_claims(service, min(pool, total - len(results["ms"])), clients, f"{prefix}-r{round_number}")
        round_number += 1
        if not batch["ms"]:
            raise RuntimeError(f"a round of claims at {clients} clients produced no answers")
        for key in ("ms", "failed", "notWarm"):
            results[key] += batch[key]
        stop_running(service)
    return results


def summarize_claims(results):
    if isinstance(results, dict):  # from wrk: latencies and counts
        summary = percentiles(results["ms"]) or {"n": 0}
        summary["failed"], summary["notWarm"] = results["failed"], results["notWarm"]
        return summary
    ok = [r for r in results if r["status"] in (200, 201)]
    summary = percentiles([r["ms"] for r in ok]) or {"n": 0}
    summary["failed"] = len(results) - len(ok)
    summary["notWarm"] = sum(1 for r in ok if not r["warm"])
    return summary


# ---------------------------------------------------------------- wrk

WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(service, path, seconds, connections, authorized):
    threads = min(2, connections)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if authorized:
        command += ["-H", f"Authorization: Bearer {service.key}"]
    command.append(f"http://127.0.0.1:{service.port}{path}")
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    figures = {"path": path, "connections": connections, "seconds": seconds}
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    figures["rps"] = float(rate.group(1)) if rate else None
    for p in ("50", "90", "99"):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        figures[f"p{p}"] = float(m.group(1)) * WRK_UNITS[m.group(2)] if m else None
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    figures["non2xx"] = int(non2xx.group(1)) if non2xx else 0
    errors = re.search(r"Socket errors:.*", output)
    figures["socketErrors"] = errors.group(0) if errors else None
    return figures


# ---------------------------------------------------------------- phases

def phase_warm(binary, sizes, workdir, out):
    pool = sizes["warm_pool"]
    service = Service(binary, "warm", {"PRE_WARMED_QUEUE_SIZE": str(pool), "POOL_SPAWN_CONCURRENCY": "8"}, workdir)
    try:
        service.wait_ready(pool)
        out["memory"]["idleWarmPoolMB"] = service.rss_mb()
        out["warm"] = {}
        server_seen = 0
        for clients in sizes["concurrency"]:
            log(f"warm claims: {sizes['warm_claims']} at {clients} clients, pool {pool}")
            results = warm_claims(service, pool, sizes["warm_claims"], clients, f"warm-c{clients}")
            summary = summarize_claims(results)
            server = service.claim_millis()
            summary["server"] = percentiles(server[server_seen:])
            server_seen = len(server)
            out["warm"][str(clients)] = summary
        out["memory"]["afterWarmRunsMB"] = service.rss_mb()
        compare_store_sizes(service, sizes, out)
    finally:
        service.stop()


def compare_store_sizes(service, sizes, out):
    """Warm claims at 8 clients with a small and a large store, in alternating rounds (the
    benchmark's own records are written and removed straight in SQLite between them), so drift
    of the machine falls on both sides alike."""
    pool, large_size = sizes["warm_pool"], sizes["record_steps"][-1]
    clients = min(8, pool)
    small, large = {"ms": [], "failed": 0, "notWarm": 0}, {"ms": [], "failed": 0, "notWarm": 0}
    counts = {"small": [], "large": []}
    for round_number in range(sizes["records_rounds"]):
        for results, label in ((small, "small"), (large, "large")):
            # Small: only the records the service made itself (the runs above leave hundreds).
            service.remove_bench_records()
            if label == "large":
                service.insert_records(large_size)
            counts[label].append(service.record_count())
            log(f"claims at {clients} clients with {counts[label][-1]} records (round {round_number + 1} of {sizes['records_rounds']})")
            batch = warm_claims(service, pool, pool, clients, f"{label}-{round_number}")
            for key in ("ms", "failed", "notWarm"):
                results[key] += batch[key]
    service.remove_bench_records()
    out["records"] = {"small": max(counts["small"]), "large": min(counts["large"]), "clients": clients, "rounds": sizes["records_rounds"],
                      "claimsSmall": summarize_claims(small), "claimsLarge": summarize_claims(large)}


def phase_cold(binary, sizes, workdir, out):
    service = Service(binary, "cold", {"PRE_WARMED_QUEUE_SIZE": "0", "MAX_CONCURRENT_COLD_STARTS": "8"}, workdir)
    try:
        out["cold"] = {}
        for clients, count in sizes["cold"]:
            log(f"cold starts: {count} at {clients} clients, pool empty")
            results = claim_batch(service, count, clients, f"cold-c{clients}")
            out["cold"][str(clients)] = summarize_claims(results)
            stop_claimed(service, results)
    finally:
        service.stop()


def phase_pool10(binary, sizes, workdir, out):
    """Pool of 10 (of `burst[1]`): memory idle and by store size, HTTP throughput, claims with
    a large store, the burst, memory after."""
    burst, pool = sizes["burst"]
    service = Service(binary, "pool", {"PRE_WARMED_QUEUE_SIZE": str(pool), "POOL_SPAWN_CONCURRENCY": str(max(pool, 3)),
                                       "MAX_CONCURRENT_COLD_STARTS": str(burst)}, workdir)
    try:
        service.wait_ready(pool)
        time.sleep(2)
        memory = out["memory"]
        memory["idleMB"] = service.rss_mb()
        service.insert_records(sizes["small_records"])
        log(f"HTTP: wrk on /api/health, /api/containers ({sizes['small_records']} records), /live")
        out["http"] = {
            "health": wrk(service, "/api/health", sizes["wrk_seconds"], sizes["wrk_connections"], False),
            "containers": wrk(service, "/api/containers", sizes["wrk_seconds"], sizes["wrk_connections"], True),
            "live": wrk(service, "/live", sizes["wrk_seconds"], sizes["wrk_connections"], False),
        }
        for total in sizes["record_steps"]:
            service.insert_records(total)
            # Read them the ways the dashboard does, so memory reflects a used store.
            service.get("/api/containers?limit=500")
            service.get("/api/queue")
            time.sleep(1)
            memory[f"records{total}MB"] = service.rss_mb()

        log(f"burst: {burst} claims at once against a pool of {pool}")
        service.wait_ready(pool)
        time.sleep(1)
        seen, watching = [], [True]

        def watch():
            while watching[0]:
                seen.append((time.perf_counter(), service.ready()))
                time.sleep(0.05)
        started = time.perf_counter()
        watcher = threading.Thread(target=watch)
        watcher.start()
        results = claim_batch(service, burst, burst, "burst")
        served = max(r["end"] for r in results) - started
        service.wait_ready(pool, 300)
        refilled_at = time.perf_counter()
        watching[0] = False
        watcher.join()
        # The first moment after the last request was served from which the pool stayed full.
        back = refilled_at
        for at, ready in reversed(seen):
            if ready < pool:
                break
            back = at
        summary = summarize_claims(results)
        out["burst"] = {"requests": burst, "pool": pool, "allServedSeconds": served,
                        "poolBackSecondsAfterBurst": max(0.0, back - (started + served)),
                        "poolBackSecondsFromStart": back - started, "claims": summary}
        stop_claimed(service, results)
        memory["afterRunsMB"] = service.rss_mb()
    finally:
        service.stop()


def phase_scale(binary, sizes, workdir, out):
    count = sizes["scale"]
    settings = {"PRE_WARMED_QUEUE_SIZE": str(count), "POOL_SPAWN_CONCURRENCY": "16"}
    if sizes["reconcile_interval"]:  # the full run keeps the default (30 s), as an operator would
        settings["RECONCILE_INTERVAL"] = sizes["reconcile_interval"]
    service = Service(binary, "scale", settings, workdir)
    try:
        log(f"scale: waiting for {count} ready containers")
        started = time.monotonic()
        service.wait_ready(count, 900)
        fill = time.monotonic() - started
        time.sleep(min(10, sizes["idle_seconds"]))
        passes0 = service.metric("ide_orchestrator_reconcile_passes_total")
        sum0 = service.metric("ide_orchestrator_reconcile_duration_seconds_sum")
        cpu0, t0 = service.cpu_seconds(), time.monotonic()
        log(f"scale: idle for {sizes['idle_seconds']} s")
        time.sleep(sizes["idle_seconds"])
        cpu1, t1 = service.cpu_seconds(), time.monotonic()
        passes1 = service.metric("ide_orchestrator_reconcile_passes_total")
        sum1 = service.metric("ide_orchestrator_reconcile_duration_seconds_sum")
        passes = (passes1 or 0) - (passes0 or 0)
        out["scale"] = {
            "containers": count, "fillSeconds": fill, "idleSeconds": t1 - t0,
            "idleCpuPercent": 100 * (cpu1 - cpu0) / (t1 - t0),
            "reconcilePasses": passes,
            "reconcilePassSeconds": ((sum1 - sum0) / passes) if passes and sum0 is not None else None,
            "rssMB": service.rss_mb(),
        }
    finally:
        service.stop()


def phase_reference(binary, sizes, workdir, out):
    """The reference IDE image with S3 and Traefik (scripts/lib/benchmark_reference.py)."""
    import benchmark_reference
    benchmark_reference.phase_reference(binary, sizes, workdir, out)


# ---------------------------------------------------------------- report

def ratios(out):
    r = {}
    try:
        r["coldOverWarmP50"] = out["cold"]["1"]["p50"] / out["warm"]["1"]["p50"]
    except (KeyError, TypeError, ZeroDivisionError):
        pass
    try:
        r["claimP50OverHealthP50"] = out["warm"]["1"]["p50"] / out["http"]["health"]["p50"]
    except (KeyError, TypeError, ZeroDivisionError):
        pass
    try:
        cold = out["cold"]["1"]["p50"] / 1000
        r["burstServedInColdStarts"] = out["burst"]["allServedSeconds"] / cold
        r["burstPoolBackInColdStarts"] = out["burst"]["poolBackSecondsAfterBurst"] / cold
    except (KeyError, TypeError, ZeroDivisionError):
        pass
    try:
        r["largeStoreClaimP50Change"] = out["records"]["claimsLarge"]["p50"] / out["records"]["claimsSmall"]["p50"] - 1
    except (KeyError, TypeError, ZeroDivisionError):
        pass
    return r


def fmt(value, digits=1):
    return "-" if value is None else f"{value:.{digits}f}"


def table(out):
    lines = ["", "claims (client-side ms)         n    p50    p90    p99    max   server p50/p99"]
    for kind in ("warm", "cold"):
        for clients, s in out.get(kind, {}).items():
            server = s.get("server") or {}
            lines.append(f"  {kind:4} {clients:>3} clients       {s.get('n', 0):4} {fmt(s.get('p50')):>6} {fmt(s.get('p90')):>6} "
                         f"{fmt(s.get('p99')):>6} {fmt(s.get('max')):>6}   {fmt(server.get('p50'))}/{fmt(server.get('p99'))}"
                         f"{'  failed ' + str(s['failed']) if s.get('failed') else ''}{'  not warm ' + str(s['notWarm']) if s.get('notWarm') else ''}")
    if "records" in out:
        rec = out["records"]
        for label, key in (("small", "claimsSmall"), ("large", "claimsLarge")):
            s = rec[key]
            lines.append(f"  warm {rec.get('clients', 8):>3} clients, {rec[label]:>5} rec {s.get('n', 0):4} {fmt(s.get('p50')):>6} {fmt(s.get('p90')):>6} {fmt(s.get('p99')):>6} {fmt(s.get('max')):>6}")
    if "burst" in out:
        b = out["burst"]
        lines.append(f"burst {b['requests']} vs pool {b['pool']}: all served {b['allServedSeconds']:.2f} s, pool back {b['poolBackSecondsAfterBurst']:.2f} s after")
    if "http" in out:
        lines.append("HTTP (wrk)                 req/s     p50 ms  p90 ms  p99 ms")
        for name, h in out["http"].items():
            lines.append(f"  {h['path']:22} {fmt(h['rps'], 0):>8}   {fmt(h['p50'], 2):>6}  {fmt(h['p90'], 2):>6}  {fmt(h['p99'], 2):>6}"
                         f"{'  non-2xx ' + str(h['non2xx']) if h['non2xx'] else ''}")
    lines.append("memory (RSS MB): " + ", ".join(f"{k} {v:.1f}" for k, v in out.get("memory", {}).items() if v is not None))
    if "scale" in out:
        s = out["scale"]
        lines.append(f"scale {s['containers']} containers: reconcile pass {fmt(s['reconcilePassSeconds'] and s['reconcilePassSeconds'] * 1000)} ms "
                     f"({fmt(s['reconcilePasses'], 0)} passes), idle CPU {s['idleCpuPercent']:.2f} % of a core, RSS {fmt(s['rssMB'])} MB, filled in {s['fillSeconds']:.0f} s")
    if "reference" in out:
        import benchmark_reference
        lines.append(benchmark_reference.table(out["reference"]))
    lines.append("ratios: " + ", ".join(f"{k} {v:.2f}" for k, v in out.get("ratios", {}).items()))
    return "\n".join(lines)


def problems(out, phases):
    """What a run failed to produce (never a timing): the quick mode fails on any."""
    found = []

    def claims(name, s, warm):
        if not s or not s.get("n"):
            found.append(f"{name}: no successful claim")
        elif s.get("failed"):
            found.append(f"{name}: {s['failed']} claims failed")
        elif warm and s.get("notWarm"):
            found.append(f"{name}: {s['notWarm']} claims were not warm")
    if "warm" in phases:
        claims("claims with a small store", out.get("records", {}).get("claimsSmall"), True)
        claims("claims with a large store", out.get("records", {}).get("claimsLarge"), True)
        for clients, s in out.get("warm", {}).items():
            claims(f"warm at {clients} clients", s, True)
            if not (s.get("server") or {}).get("n"):
                found.append(f"warm at {clients} clients: the service logged no claim time")
    if "cold" in phases:
        for clients, s in out.get("cold", {}).items():
            claims(f"cold at {clients} clients", s, False)
    if "pool10" in phases:
        for name, h in out.get("http", {}).items():
            if not h.get("rps") or h.get("non2xx"):
                found.append(f"wrk {h['path']}: {h.get('rps')} req/s, {h.get('non2xx')} non-2xx")
        claims("burst", out.get("burst", {}).get("claims"), False)
        if not out["memory"].get("idleMB"):
            found.append("no idle memory figure")
    if "scale" in phases and not out.get("scale", {}).get("reconcilePasses"):
        found.append("no reconcile pass during the idle window")
    if "reference" in phases:
        import benchmark_reference
        found += benchmark_reference.problems(out.get("reference", {}))
    return found


def machine():
    info = {"cores": os.cpu_count(), "time": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), None)
        with open("/proc/meminfo") as f:
            info["memoryMB"] = int(f.readline().split()[1]) // 1024
        info["loadAverageAtStart"] = os.getloadavg()
    except OSError:
        pass
    return info


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--phases", default=None, help="default: warm,cold,pool10,scale,reference (--quick: without reference)")
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    sizes = SIZES["quick" if args.quick else "full"]
    os.makedirs(args.out, exist_ok=True)
    out = {"mode": "quick" if args.quick else "full", "label": args.label, "machine": machine(), "sizes": sizes, "memory": {}}
    workdir = tempfile.mkdtemp(prefix="ide-bench-")
    phases = {"warm": phase_warm, "cold": phase_cold, "pool10": phase_pool10, "scale": phase_scale, "reference": phase_reference}
    # The reference image's phase takes minutes even with tiny counts, so --quick leaves it out
    # unless asked for.
    args.phases = args.phases or ("warm,cold,pool10,scale" if args.quick else "warm,cold,pool10,scale,reference")
    for name in args.phases.split(","):
        started = time.monotonic()
        phases[name](os.path.abspath(args.binary), sizes, workdir, out)
        log(f"phase {name} took {time.monotonic() - started:.0f} s")
    out["ratios"] = ratios(out)
    out["machine"]["loadAverageAtEnd"] = os.getloadavg()
    path = os.path.join(args.out, "results.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=2)
    print(table(out))
    print(f"\nwrote {path}")
    missing = problems(out, args.phases.split(","))
    for problem in missing:
        log(f"FAIL {problem}")
    if missing:
        sys.exit(1)


if __name__ == "__main__":
    main()
