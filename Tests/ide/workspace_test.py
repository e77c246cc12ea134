"""The reference IDE image from claim to saved file, on the private Swarm through real Traefik, with
moto's S3 checking SigV4: hydrate, push, pull, flush on stop, a new claim, conflicts, the
deletion guards, `docker kill`, adoption after a lost database, and the editor and the desktop in
Chromium (screenshots in the folder it prints). Prints a PASS/FAIL line per check and a summary.
"""
import concurrent.futures
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from jupyter import Jupyter
from stack import Stack, eventually

PREFILLED = {f"notes/file-{n:02d}.txt": f"note {n}\n".encode() for n in range(19)}
PREFILLED["data/big.bin"] = os.urandom(5 * 1024 * 1024)


class Run:
    def __init__(self, stack):
        self.stack, self.service = stack, stack.service
        self.passed, self.failed = 0, 0
        self.shots = Path(tempfile.mkdtemp(prefix="ide-shots-"))

    def check(self, name, step):
        started = time.monotonic()
        try:
            step()
            self.passed += 1
            print(f"PASS {name} ({time.monotonic() - started:.1f} s)", flush=True)
        except Exception:  # noqa: BLE001 - every failure is reported, the run goes on
            self.failed += 1
            print(f"FAIL {name}\n{traceback.format_exc()}", flush=True)

    def start(self, bucket, timeout=150):
        """Claims a container for `bucket` (waiting out BUCKET_BUSY); returns the answer."""
        def attempt():
            status, body, _ = self.service.call("POST", "/api/containers/start", body={"s3Bucket": bucket, "s3Region": "us-east-1"}, timeout=130)
            if status in (200, 201):
                return body
            assert status in (409, 503), f"start {bucket}: {status} {body}"
            return None
        return eventually(f"a container for {bucket}", attempt, timeout=timeout, every=1)

    def launch_urls(self, container_id):
        """Fresh one-time launch links of a running container (the operator's POST .../launch)."""
        status, body, _ = self.service.call("POST", f"/api/containers/{container_id}/launch")
        assert status == 200 and body.get("launchUrls"), f"launch {container_id}: {status} {body}"
        return body["launchUrls"]

    def editor(self, answer):
        return Jupyter(answer["urls"]["codeServer"], self.launch_urls(answer["id"])["codeServer"])

    def detail(self, container_id):
        status, body, _ = self.service.call("GET", f"/api/containers/{container_id}")
        assert status == 200, body
        return body

    def sync_state(self, container_id):
        """The agent's sync state as the container's detail shows it, or None."""
        return ((self.detail(container_id).get("workspace") or {}).get("sync") or {}).get("state")

    def stop(self, container_id):
        status, body, _ = self.service.call("DELETE", f"/api/containers/{container_id}", timeout=90)
        assert status == 200, f"DELETE: {status} {body}"

    def in_bucket(self, bucket, key, content, within):
        started = time.monotonic()
        eventually(f"{key} in {bucket}", lambda: self.stack.objects(bucket).get(key) == content, timeout=within + 5, every=0.2)
        took = time.monotonic() - started
        assert took <= within, f"{key} reached the bucket after {took:.1f} s (at most {within} s)"


def hydrated(editor, files):
    """True once the editor lists every file of `files` with its size."""
    for path, content in files.items():
        directory, _, name = path.rpartition("/")
        listing = editor.listing(directory)
        if not listing or name not in listing or listing[name].get("size") not in (None, len(content)):
            return False
    return True


def main():
    buckets = ["ws-main", "ws-empty", "ws-guard", "ws-adopt"]
    stack = Stack(buckets)
    run = Run(stack)
    s3 = stack.s3
    for key, content in PREFILLED.items():
        s3.put_object(Bucket="ws-main", Key=key, Body=content)
    for n in range(10):
        s3.put_object(Bucket="ws-guard", Key=f"keep-{n}.txt", Body=b"keep")
    state = {}
    try:
        def hydrate():
            eventually("a warm container", lambda: run.service.queue()["ready"] >= 1, timeout=240)
            answer = run.start("ws-main")
            assert answer["isPreWarmed"], answer
            claimed = time.monotonic()
            editor = run.editor(answer)
            eventually("the editor to list the hydrated files", lambda: hydrated(editor, PREFILLED), timeout=60, every=0.2)
            print(f"  hydrated 20 files (5 MB) {time.monotonic() - claimed:.2f} s after the 201", flush=True)
            state.update(answer=answer, editor=editor)
        run.check("a claim hydrates /workspace from the bucket (seen through the editor's contents API via Traefik)", hydrate)

        def push():
            state["editor"].write("written.txt", "from the editor\n")
            run.in_bucket("ws-main", "written.txt", b"from the editor\n", within=5)
        run.check("a file written through the editor reaches the bucket within 5 s", push)

        def pull():
            s3.put_object(Bucket="ws-main", Key="exercise/added.txt", Body=b"new exercise\n")
            started = time.monotonic()
            eventually("the object in the workspace", lambda: state["editor"].read("exercise/added.txt") == "new exercise\n", timeout=40, every=0.5)
            took = time.monotonic() - started
            assert took <= 30, f"the object reached the workspace after {took:.1f} s"
        run.check("an object put into the bucket reaches the workspace within 30 s", pull)

        def conflict():
            editor = state["editor"]
            editor.write("both.txt", "base\n")
            run.in_bucket("ws-main", "both.txt", b"base\n", within=10)
            s3.put_object(Bucket="ws-main", Key="both.txt", Body=b"remote side\n")
            editor.write("both.txt", "local side\n")

            def both_kept():
                versions = {key: body for key, body in stack.objects("ws-main").items() if key.startswith("both.txt")}
                return len(versions) >= 2 and {b"remote side\n", b"local side\n"} <= set(versions.values()) and versions
            versions = eventually("both versions in the bucket", both_kept, timeout=60, every=1)
            print(f"  kept: {sorted(versions)}", flush=True)
        run.check("a conflicting edit on both sides keeps both versions", conflict)

        def flush_on_stop():
            state["editor"].write("last.txt", "written just before the stop\n")
            run.stop(state["answer"]["id"])
            assert stack.objects("ws-main").get("last.txt") == b"written just before the stop\n", "last.txt is not in the bucket after the stop"
        run.check("a file written just before DELETE is in the bucket after the stop", flush_on_stop)

        def reclaim():
            answer = run.start("ws-main")
            assert answer["id"] != state["answer"]["id"], answer
            editor = run.editor(answer)
            expected = {**PREFILLED, "written.txt": b"from the editor\n", "exercise/added.txt": b"new exercise\n",
                        "last.txt": b"written just before the stop\n"}
            eventually("every file in the new workspace", lambda: hydrated(editor, expected), timeout=60, every=0.5)
            state.update(answer=answer, editor=editor)
        run.check("a new claim of the bucket sees every file", reclaim)

        def browser():
            from ide_browser import screenshots
            screenshots(state["answer"], run.shots, expected_name="notes", launch=lambda: run.launch_urls(state["answer"]["id"]))
        run.check("Chromium: the editor lists the hydrated files under /code/<id>/ and the desktop connects under /vnc/<id>/", browser)

        def killed():
            editor, old = state["editor"], state["answer"]["id"]
            editor.write("before-kill.txt", "safe\n")
            run.in_bucket("ws-main", "before-kill.txt", b"safe\n", within=5)
            stack.kill_container(old)
            answer = eventually("a new container after the kill", lambda: (a := run.start("ws-main")) and a["id"] != old and a, timeout=180, every=2)
            editor = run.editor(answer)
            eventually("the new workspace hydrated", lambda: editor.read("before-kill.txt") == "safe\n" and hydrated(editor, PREFILLED), timeout=60, every=0.5)
            state.update(answer=answer, editor=editor)
        run.check("docker kill loses at most the last 5 s of writes and the next claim hydrates", killed)

        def empty_bucket():
            answer = run.start("ws-empty")
            editor = run.editor(answer)
            eventually("the empty workspace listed", lambda: editor.listing("") == {} or (editor.listing("") is not None and not editor.listing("")), timeout=60)
            editor.write("first.txt", "first\n")
            run.in_bucket("ws-empty", "first.txt", b"first\n", within=5)
            run.stop(answer["id"])
            assert stack.objects("ws-empty") == {"first.txt": b"first\n"}
        run.check("an empty bucket hydrates an empty workspace and takes its first file", empty_bucket)

        def emptied_workspace():
            answer = run.start("ws-guard")
            editor = run.editor(answer)
            eventually("the guard bucket hydrated", lambda: len(editor.listing("") or {}) == 10, timeout=60)
            # All at once, as `rm *` does: the guard judges each sync pass, so deletions spread
            # over several passes (a second apart) are the user's, one pass at a time.
            editor._ensure_xsrf()
            with concurrent.futures.ThreadPoolExecutor(10) as pool:
                list(pool.map(lambda n: editor.delete(f"keep-{n}.txt"), range(10)))
            eventually("the agent to refuse the mass deletion", lambda: run.sync_state(answer["id"]) == "error", timeout=30)
            run.stop(answer["id"])
            assert len(stack.objects("ws-guard")) == 10, f"the bucket lost files: {sorted(stack.objects('ws-guard'))}"
        run.check("a workspace the user emptied deletes nothing from the bucket", emptied_workspace)

        def adoption():
            answer = run.start("ws-adopt")
            cid = answer["id"]
            eventually("sync ready", lambda: run.sync_state(cid) == "ready", timeout=60)
            run.service.stop()
            os.remove(run.service.env["DATABASE_PATH"])
            run.service.launch()
            record = eventually("the container adopted", lambda: (d := run.detail(cid)) and d.get("status") == "running" and d, timeout=90, every=1)
            assert record.get("s3Bucket") == "ws-adopt", record
            eventually("its sync state known again", lambda: run.sync_state(cid) == "ready", timeout=60)
        run.check("a restarted service that lost its database adopts the running container with its sync state", adoption)
    finally:
        print(f"screenshots in {run.shots}", flush=True)
        stack.close()
    print(f"{run.passed} passed, {run.failed} failed", flush=True)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
