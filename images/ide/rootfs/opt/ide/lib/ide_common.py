"""Shared by the editor's server extension and the desktop proxy of the reference IDE image.

Two files under /run/ide connect the user-facing processes with the agent:
- sync-state.json, written by the agent: {"state": ..., "hydrated": bool}. Until "hydrated"
  is true the editor and the desktop answer a "Preparing your workspace" page.
- activity, created by the start script and owned by the user: its mtime is the user's last
  activity; the agent reads it. It is touched at most once per ACTIVITY_INTERVAL seconds.
"""
import json
import os
import time

STATE_FILE = os.environ.get("IDE_SYNC_STATE_FILE", "/run/ide/sync-state.json")
ACTIVITY_FILE = os.environ.get("IDE_ACTIVITY_FILE", "/run/ide/activity")
ACTIVITY_INTERVAL = 5.0
STATE_INTERVAL = 0.5
PROBE_HEADER = "X-IDE-Health-Probe"


class Hydration:
    """Whether the workspace is hydrated, read from STATE_FILE at most every STATE_INTERVAL s.

    Once hydrated it stays hydrated for the life of the process (a later sync error does
    not take the workspace away from the user), so after hydration the check is one
    attribute read per request.
    """

    def __init__(self, path=STATE_FILE, required=None):
        self.path = path
        if required is None:
            required = os.environ.get("IDE_REQUIRE_HYDRATION", "1") != "0"
        self.done = not required
        self.state = "ready" if self.done else "idle"
        self._checked = 0.0

    def __call__(self):
        if self.done:
            return True
        now = time.monotonic()
        if now - self._checked >= STATE_INTERVAL:
            self._checked = now
            try:
                with open(self.path, "rb") as f:
                    data = json.loads(f.read(65536) or b"{}")
                self.state = str(data.get("state") or "idle")
                self.done = data.get("hydrated") is True
            except (OSError, ValueError, AttributeError):
                pass
        return self.done


class Activity:
    """Touches ACTIVITY_FILE, at most once per ACTIVITY_INTERVAL seconds.

    The throttle compares with the file's own mtime as well, so several processes (the
    desktop proxy forks one per connection) together touch it at most that often.
    """

    def __init__(self, path=ACTIVITY_FILE, interval=ACTIVITY_INTERVAL):
        self.path = path
        self.interval = interval
        self._last = 0.0

    def touch(self):
        now = time.time()
        if now - self._last < self.interval:
            return
        self._last = now
        try:
            if now - os.stat(self.path).st_mtime < self.interval:
                return
            os.utime(self.path, None)
        except OSError:
            pass


PREPARING_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="2">
<title>Preparing your workspace…</title>
<style>
 body {{ font-family: system-ui, sans-serif; background: #f5f6f8; color: #222;
        display: flex; align-items: center; justify-content: center; height: 100vh; margin: 0; }}
 .box {{ text-align: center; }}
 .spin {{ width: 36px; height: 36px; margin: 0 auto 16px; border: 4px solid #ccd;
         border-top-color: #3b6fd8; border-radius: 50%; animation: s 1s linear infinite; }}
 @keyframes s {{ to {{ transform: rotate(360deg); }} }}
 small {{ color: #666; }}
</style></head>
<body><div class="box"><div class="spin"></div>
<h1>Preparing your workspace…</h1>
<p>Your files are being copied in. This page reloads by itself.</p>
<small>{what} · sync state: {state}</small></div></body></html>
"""


def preparing_page(what, state):
    """The HTML of the preparing page (HTTP 200)."""
    return PREPARING_HTML.format(what=what, state=state).encode("utf-8")
