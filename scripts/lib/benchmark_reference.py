"""The reference phase of scripts/lib/benchmark.py: the reference IDE image (images/ide/) with a
moto S3 the containers reach and Traefik in front, brought up by Tests/ide/stack.py (the
end-to-end test's stack, without its service). Measures the image's size, cold start to ready,
warm claims against the dev image's in the same run, claim to workspace hydrated (seen through
the editor's contents API via Traefik), the memory of an idle warm container and the push delay
from a file written through the editor to the object in the bucket.
"""
import os
import statistics
import sys
import time
from pathlib import Path

import benchmark as bench

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "ide"))

HYDRATE_FILES = 20
HYDRATE_BYTES = 10 * 1024 * 1024
MEMORY_UNITS = {"B": 1 / 2**20, "KiB": 1 / 1024, "MiB": 1.0, "GiB": 1024.0, "kB": 1e3 / 2**20, "MB": 1e6 / 2**20, "GB": 1e9 / 2**20}


def poll(what, condition, seconds, every=0.05):
    """Calls `condition` every `every` s until it returns a truthy value; returns it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception:  # noqa: BLE001 - the editor or S3 not answering yet is part of the wait
            pass
        time.sleep(every)
    raise RuntimeError(f"timed out after {seconds} s waiting for {what}")


def create_buckets(stack, names):
    for name in names:
        stack.s3.create_bucket(Bucket=name)


def warm_buckets(prefix, total, pool, clients):
    """The bucket names bench.warm_claims asks for (claims.lua: PREFIX-rROUND-THREAD-N)."""
    rounds = (total + pool - 1) // pool
    return [f"{prefix}-r{r}-{t}-{n}" for r in range(rounds) for t in range(1, clients + 1) for n in range(1, pool + 2)]


def warm_phase(service, stack, sizes, prefix):
    pool, total = sizes["ref_pool"], sizes["ref_warm_claims"]
    create_buckets(stack, warm_buckets(prefix, total, pool, 1))
    summary = bench.summarize_claims(bench.warm_claims(service, pool, total, 1, prefix))
    summary["server"] = bench.percentiles(service.claim_millis())
    return summary


def idle_memory_mb(service):
    """Memory (docker stats: the cgroup's usage less its inactive file cache) of each idle warm container."""
    ids = bench.docker("ps", "-q", "--filter", f"label=ide-orchestrator.instance={service.instance}").split()
    values = []
    for line in bench.docker("stats", "--no-stream", "--format", "{{.MemUsage}}", *ids).splitlines():
        used = line.split("/")[0].strip()
        unit = used.lstrip("0123456789.")
        values.append(float(used[:len(used) - len(unit)]) * MEMORY_UNITS[unit])
    return values


def claim(service, bucket):
    """One start request; returns (milliseconds, answer)."""
    started = time.perf_counter()
    status, answer = service.request("POST", "/api/containers/start", {"s3Bucket": bucket, "s3Region": "us-east-1"})
    elapsed = (time.perf_counter() - started) * 1000
    if status not in (200, 201) or not isinstance(answer, dict):
        raise RuntimeError(f"claim of {bucket}: {status} {answer}")
    return elapsed, answer


def hydrated(editor, files):
    listing = editor.listing("data")
    return bool(listing) and all(name in listing and listing[name].get("size") in (None, size) for name, size in files.items())


def hydrate_and_push(service, stack, sizes, out):
    """Claims of prefilled buckets (each against a full pool): ms from the 201 until the editor
    lists every file; then, on the last one, the push delay of files written through the editor."""
    from jupyter import Jupyter
    size = HYDRATE_BYTES // HYDRATE_FILES
    contents = {f"file-{n:02d}.bin": os.urandom(size) for n in range(HYDRATE_FILES)}
    files = {name: len(body) for name, body in contents.items()}
    delays, pushes, editor, bucket = [], [], None, None
    for i in range(sizes["ref_hydrate"]):
        bucket = f"ref-hydrate-{i}"
        stack.s3.create_bucket(Bucket=bucket)
        for name, body in contents.items():
            stack.s3.put_object(Bucket=bucket, Key=f"data/{name}", Body=body)
        service.wait_ready(sizes["ref_pool"])
        _, answer = claim(service, bucket)
        answered = time.perf_counter()
        if not answer.get("isPreWarmed"):
            raise RuntimeError(f"the claim of {bucket} was not warm")
        editor = Jupyter(answer["urls"]["codeServer"], answer.get("launchUrls", {}).get("codeServer"))
        poll(f"{bucket} hydrated in the editor", lambda: hydrated(editor, files), 120)
        delays.append((time.perf_counter() - answered) * 1000)
        bench.log(f"reference: {bucket} hydrated {delays[-1]:.0f} ms after the 201")
        if i < sizes["ref_hydrate"] - 1:
            bench.stop_running(service)
    for n in range(sizes["ref_pushes"]):
        key, text = f"push-{n:02d}.txt", f"write {n} {time.time()}\n"
        editor.write(key, text)
        written = time.perf_counter()
        poll(f"{key} in {bucket}", lambda: stack.s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(text.encode()), 60)
        pushes.append((time.perf_counter() - written) * 1000)
    bench.stop_running(service)
    out["hydrateMs"] = bench.percentiles(delays)
    out["hydrateMs"].update(files=HYDRATE_FILES, bytes=HYDRATE_BYTES)
    out["pushDelayMs"] = bench.percentiles(pushes)


def phase_reference(binary, sizes, workdir, out):
    os.environ.setdefault("IDE_TEST_DOCKER_HOST", os.environ["DOCKER_HOST"])
    os.environ.setdefault("IDE_TEST_NETWORK", os.environ.get("SWARM_NETWORK", "ide-network"))
    from stack import Stack
    dev_image = os.environ.get("IDE_DEV_IMAGE") or os.environ.get("IDE_CONTAINER_IMAGE") or "ide-orchestrator/dev-ide:latest"
    pool = sizes["ref_pool"]
    stack = Stack([], launch=False)
    ref = out["reference"] = {"image": stack.image, "devImage": dev_image}
    try:
        settings = {**stack.settings, "PRE_WARMED_QUEUE_SIZE": str(pool), "POOL_SPAWN_CONCURRENCY": str(pool)}
        ref["imageSizeMB"] = int(bench.docker("image", "inspect", "--format", "{{.Size}}", stack.image).strip()) / 1e6
        ref["devImageSizeMB"] = int(bench.docker("image", "inspect", "--format", "{{.Size}}", dev_image).strip()) / 1e6

        bench.log(f"reference: {sizes['ref_warm_claims']} warm claims with the dev image ({dev_image}), pool {pool}")
        service = bench.Service(binary, "refdev", {**settings, "IDE_CONTAINER_IMAGE": dev_image}, workdir)
        try:
            service.wait_ready(pool)
            ref["devWarm"] = warm_phase(service, stack, sizes, "refdev")
        finally:
            service.stop()

        service = bench.Service(binary, "ref", settings, workdir)
        try:
            started = time.monotonic()
            service.wait_ready(pool, 600)
            ref["poolFillSeconds"] = time.monotonic() - started
            time.sleep(sizes["ref_settle_seconds"])
            memory = idle_memory_mb(service)
            ref["idleContainerMB"] = {"n": len(memory), "median": statistics.median(memory) if memory else None,
                                      "max": max(memory) if memory else None}
            bench.log(f"reference: {sizes['ref_warm_claims']} warm claims, pool {pool}")
            ref["warm"] = warm_phase(service, stack, sizes, "refwarm")
            bench.log(f"reference: {sizes['ref_hydrate']} claims of {HYDRATE_FILES} files / {HYDRATE_BYTES >> 20} MB, {sizes['ref_pushes']} pushes")
            hydrate_and_push(service, stack, sizes, ref)
        finally:
            service.stop()

        bench.log(f"reference: {sizes['ref_cold']} cold starts, pool empty")
        create_buckets(stack, [f"refcold-{i}" for i in range(sizes["ref_cold"])])
        service = bench.Service(binary, "refcold", {**settings, "PRE_WARMED_QUEUE_SIZE": "0"}, workdir)
        try:
            results = bench.claim_batch(service, sizes["ref_cold"], 1, "refcold")
            ref["cold"] = bench.summarize_claims(results)
            bench.stop_claimed(service, results)
        finally:
            service.stop()
    finally:
        stack.close()
    try:
        ref["warmP50OverDevWarmP50"] = ref["warm"]["p50"] / ref["devWarm"]["p50"]
    except (KeyError, TypeError, ZeroDivisionError):
        pass


def table(ref):
    fmt = bench.fmt
    warm, dev, cold = ref.get("warm") or {}, ref.get("devWarm") or {}, ref.get("cold") or {}
    hydrate, push, memory = ref.get("hydrateMs") or {}, ref.get("pushDelayMs") or {}, ref.get("idleContainerMB") or {}
    return "\n".join([
        f"reference image {ref['image']}: {fmt(ref.get('imageSizeMB'), 0)} MB (dev image {fmt(ref.get('devImageSizeMB'), 0)} MB)",
        f"  cold start to ready       n {cold.get('n', 0):3}  p50 {fmt(cold.get('p50'), 0):>6} ms  max {fmt(cold.get('max'), 0)} ms",
        f"  warm claim                n {warm.get('n', 0):3}  p50 {fmt(warm.get('p50')):>6} ms  p99 {fmt(warm.get('p99'))} ms"
        f"  (dev image p50 {fmt(dev.get('p50'))} p99 {fmt(dev.get('p99'))}; ratio {fmt(ref.get('warmP50OverDevWarmP50'), 2)}, target <= 2)",
        f"  201 -> hydrated (20 files, 10 MB) n {hydrate.get('n', 0)}  p50 {fmt(hydrate.get('p50'), 0)} ms  max {fmt(hydrate.get('max'), 0)} ms (target <= 2000)",
        f"  idle warm container memory n {memory.get('n', 0)}  median {fmt(memory.get('median'))} MB  max {fmt(memory.get('max'))} MB (target <= 200)",
        f"  push delay (editor write -> bucket) n {push.get('n', 0)}  p50 {fmt(push.get('p50'), 0)} ms  p99 {fmt(push.get('p99'), 0)} ms",
    ])


def problems(ref):
    found = []
    for name in ("warm", "devWarm"):
        s = ref.get(name) or {}
        if not s.get("n") or s.get("failed") or s.get("notWarm"):
            found.append(f"reference {name}: {s.get('n')} claims, {s.get('failed')} failed, {s.get('notWarm')} not warm")
    if not (ref.get("cold") or {}).get("n") or (ref.get("cold") or {}).get("failed"):
        found.append("reference: no successful cold start")
    for name in ("hydrateMs", "pushDelayMs", "idleContainerMB"):
        if not (ref.get(name) or {}).get("n"):
            found.append(f"reference: no {name} figure")
    return found
