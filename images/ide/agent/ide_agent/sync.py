"""The sync engine: one worker thread that hydrates the workspace, then runs two-way passes.

Passes run one at a time. Each is a full comparison of the workspace, the bucket and the
manifest of the last synced state (kept in this process's memory, outside /workspace; see
plan.py for the rules). A pass starts when:
  - file events arrived and the workspace has been quiet for `debounce` seconds (at most
    `debounce_max` after the first event, so continuous writes still sync);
  - `poll_interval` passed since the last pass (remote changes, missed events);
  - a flush asks for one (POST /flush, SIGTERM), or a pass asks for a follow-up (conflicts).
"""

import os
import threading
import time
from datetime import datetime, timezone

from .plan import conflict_name, make_plan, too_many_deletions
from .rclone import RcloneError
from .watch import syncable, walk_files


class PassError(Exception):
    """A pass or hydrate failed; the message is one sentence for sync.error."""


def utcnow():
    return datetime.now(timezone.utc)


def _remote_time(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class SyncEngine(threading.Thread):
    """Owns the sync state reported in /health and the one worker that changes it."""

    def __init__(self, config, rclone, excludes, log, on_state_change, on_activity):
        super().__init__(name="sync", daemon=True)
        self.config = config
        self.rclone = rclone
        self.excludes = excludes
        self.log = log
        self.on_state_change = on_state_change
        self.on_activity = on_activity
        self.cond = threading.Condition()
        self.target = None
        self.credentials = None
        self.state = "idle"
        self.hydrated = False
        self.error = None
        self.last_push_at = None
        self.last_pull_at = None
        self.conflicts = 0
        self.dirty = set()
        self.inflight = set()
        self.first_event = None
        self.last_event = None
        self.next_poll = 0.0
        self.rerun = False
        self.flush_requested = False
        self.started_passes = 0
        self.finished_passes = 0
        self.last_result = None
        self.manifest = {}
        self.applying = False
        self.ignore = set()
        self.ignore_until = 0.0

    # ------------------------------------------------------------------ public API

    def assign(self, target, credentials):
        """Starts hydrating `target` (called once, under the agent's assignment lock)."""
        with self.cond:
            self.target = target
            self.credentials = credentials
            self._set_state("hydrating")
            self.next_poll = 0.0
            self.cond.notify_all()

    def set_credentials(self, credentials):
        """Replaces the keys; the next rclone run uses them (and runs soon if the last one failed)."""
        with self.cond:
            self.credentials = credentials
            if self.state == "error":
                self.next_poll = 0.0
            self.cond.notify_all()

    def snapshot(self):
        """The `sync` object of /health."""
        with self.cond:
            return {
                "state": self.state,
                "lastPushAt": _fmt(self.last_push_at),
                "lastPullAt": _fmt(self.last_pull_at),
                "pendingChanges": len(self.dirty | self.inflight),
                "conflicts": self.conflicts,
                "error": self.error,
            }

    def flush(self, timeout=None):
        """Runs a pass that starts after this call; returns ("flushed", lastPushAt) or an outcome."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.cond:
            if self.target is None:
                return ("nothing_to_flush", None)
            if not self.hydrated:
                return ("not_hydrated", None)
            wanted = self.started_passes + 1
            self.flush_requested = True
            self.cond.notify_all()
            while self.finished_passes < wanted:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return ("timeout", "the flush did not finish in time")
                self.cond.wait(remaining)
            ok, message = self.last_result
            if ok:
                return ("flushed", _fmt(self.last_push_at))
            return ("failed", message)

    def file_changed(self, rel):
        """Called by the watcher for every changed path."""
        now = time.monotonic()
        with self.cond:
            if self.target is None or not self.hydrated:
                return
            if rel and (self.applying or now < self.ignore_until) and (rel in self.ignore or rel.endswith(".partial")):
                return
            if rel:
                self.dirty.add(rel)
            self.last_event = now
            if self.first_event is None:
                self.first_event = now
            self.cond.notify_all()
        if rel:
            self.on_activity()

    # ------------------------------------------------------------------ worker

    def run(self):
        while True:
            with self.cond:
                while not self._due():
                    self.cond.wait(self._wait_time())
                self.started_passes += 1
                index = self.started_passes
                self.flush_requested = False
                self.rerun = False
                self.inflight |= self.dirty
                self.dirty = set()
                self.first_event = self.last_event = None
                hydrated = self.hydrated
            try:
                if hydrated:
                    self._pass()
                else:
                    self._hydrate()
                result = (True, None)
            except PassError as e:
                result = (False, str(e))
            except Exception as e:  # a bug must not stop syncing for good
                result = (False, f"internal error: {e}")
            with self.cond:
                ok, message = result
                if ok:
                    self.inflight = set()
                    self.error = None
                    self._set_state("ready")
                else:
                    if message != self.error:
                        self.log(f"sync failed: {message}")
                    self.error = message
                    self._set_state("error")
                self.last_result = result
                self.finished_passes = index
                self.next_poll = time.monotonic() + self.config.poll_interval
                self.cond.notify_all()

    def _due(self):
        if self.target is None:
            return False
        now = time.monotonic()
        if not self.hydrated:
            return now >= self.next_poll
        if self.flush_requested or self.rerun or now >= self.next_poll:
            return True
        if self.last_event is not None:
            return now - self.last_event >= self.config.debounce or now - self.first_event >= self.config.debounce_max
        return False

    def _wait_time(self):
        if self.target is None:
            return None
        now = time.monotonic()
        wait = self.next_poll - now
        if self.last_event is not None:
            wait = min(wait, self.last_event + self.config.debounce - now, self.first_event + self.config.debounce_max - now)
        return max(0.01, wait)

    def _set_state(self, state):
        changed = state != self.state
        self.state = state
        if changed:
            self.on_state_change(self.state, self.hydrated)

    # ------------------------------------------------------------------ steps

    def _current(self):
        with self.cond:
            target, credentials = self.target, self.credentials
        if credentials.expires_at is not None and utcnow() >= credentials.expires_at:
            raise PassError(f"the S3 credentials expired at {_fmt(credentials.expires_at)} and were not refreshed")
        return target, credentials

    def _latest(self, credentials):
        # Every rclone run signs with the newest keys, even in a pass that started before POST /credentials.
        with self.cond:
            return self.credentials or credentials

    def _rclone(self, args, target, credentials, what, stdin_lines=None):
        try:
            return self.rclone.run(args, target, self._latest(credentials), stdin_lines)
        except RcloneError as e:
            raise PassError(f"{what} failed: {e}") from None

    def _list_remote(self, target, credentials):
        try:
            entries = self.rclone.lsjson(target.path(), target, self._latest(credentials),
                                         ["--fast-list", "--use-server-modtime", *self.excludes.rclone_args()])
        except RcloneError as e:
            raise PassError(f"listing the bucket failed: {e}") from None
        except ValueError:
            raise PassError("listing the bucket failed: rclone printed no valid JSON") from None
        return {path: (e["Size"], e["ModTime"]) for path, e in entries.items() if syncable(path)}

    def _transfer_flags(self, listed=False):
        # A --files-from-raw list is already filtered, and rclone refuses other filters with it.
        n = str(self.config.transfers)
        return ["--transfers", n, "--checkers", n] + ([] if listed else self.excludes.rclone_args())

    def _begin_apply(self, paths):
        # Events on these paths (and the directories rclone creates for them) are the agent's own.
        ignore = set()
        for path in paths:
            ignore.add(path)
            parent = os.path.dirname(path)
            while parent and parent not in ignore:
                ignore.add(parent)
                parent = os.path.dirname(parent)
        with self.cond:
            self.applying = True
            self.ignore = ignore

    def _end_apply(self):
        with self.cond:
            self.applying = False
            self.ignore_until = time.monotonic() + 1.0

    def _hydrate(self):
        target, credentials = self._current()
        started = time.monotonic()
        remote = self._list_remote(target, credentials)
        workspace = self.config.workspace
        self._begin_apply(remote.keys())
        try:
            if remote:
                self._rclone(["copy", "--fast-list", "--use-server-modtime", *self._transfer_flags(),
                              target.path(), workspace], target, credentials, "hydrating the workspace")
        finally:
            self._end_apply()
        local = walk_files(workspace, self.excludes)
        with self.cond:
            self.manifest = {p: (local[p], remote[p]) for p in remote if p in local}
            self.hydrated = True
            self.last_pull_at = utcnow()
            self.rerun = True  # the first pass pushes files the workspace had before
            self._set_state("ready")
        self.log(f"workspace hydrated: {len(remote)} files in {time.monotonic() - started:.2f} s")

    def _pass(self):
        target, credentials = self._current()
        workspace = self.config.workspace
        remote = self._list_remote(target, credentials)
        local = walk_files(workspace, self.excludes)
        with self.cond:
            manifest = dict(self.manifest)
        plan = make_plan(local, remote, manifest)
        errors = []
        updates = {}  # path -> manifest entry, or None to drop it

        local_wins, remote_wins = [], []
        if plan.both_changed:
            same_size = [p for p in plan.both_changed if local[p][0] == remote[p][0]]
            remote_md5 = self._remote_md5(same_size, target, credentials) if same_size else {}
            local_md5 = self._local_md5([p for p in same_size if p in remote_md5], target, credentials)
            for p in plan.both_changed:
                if p in remote_md5 and remote_md5[p] == local_md5.get(p):
                    updates[p] = (local[p], remote[p])
                elif local[p][1] >= _remote_time(remote[p][1]).timestamp() * 1e9:
                    local_wins.append(p)
                else:
                    remote_wins.append(p)

        delete_remote, delete_local = plan.delete_remote, plan.delete_local
        pct = self.config.max_delete_percent
        if too_many_deletions(len(delete_remote), len(remote), pct):
            errors.append(f"refusing to delete {len(delete_remote)} of the bucket's {len(remote)} files in one pass "
                          f"(more than {pct}%); nothing was deleted")
            delete_remote = []
        if too_many_deletions(len(delete_local), len(local), pct):
            errors.append(f"refusing to delete {len(delete_local)} of the workspace's {len(local)} files in one pass "
                          f"(more than {pct}%); nothing was deleted")
            delete_local = []

        when = utcnow()
        push = list(plan.push)
        pull = list(plan.pull)
        conflict_paths = [conflict_name(p, when) for p in local_wins + remote_wins]
        self._begin_apply(set(pull) | set(remote_wins) | set(delete_local) | set(conflict_paths) | set(local_wins))
        pushed, pulled, deleted_remote, deleted_local = [], [], [], []
        try:
            for p in remote_wins:
                # The bucket's version is newer: the workspace's version moves aside, then the pull.
                try:
                    self._rclone(["moveto", os.path.join(workspace, p), os.path.join(workspace, conflict_name(p, when))],
                                 target, credentials, "keeping the workspace's version of a conflicting file")
                    pull.append(p)
                    push.append(conflict_name(p, when))
                    self._count_conflict(p)
                except PassError as e:
                    errors.append(str(e))
            for p in local_wins:
                # The workspace's version is newer: the bucket's version is saved beside it first.
                try:
                    self._rclone(["copyto", "--use-server-modtime", f"{target.path()}/{p}",
                                  os.path.join(workspace, conflict_name(p, when))], target, credentials,
                                 "keeping the bucket's version of a conflicting file")
                    push += [p, conflict_name(p, when)]
                    self._count_conflict(p)
                except PassError as e:
                    errors.append(str(e))
            if push:
                try:
                    self._rclone(["copy", "--files-from-raw", "-", "--no-traverse", "--no-check-dest", *self._transfer_flags(True),
                                  workspace, target.path()], target, credentials, "pushing changes", push)
                    pushed = push
                except PassError as e:
                    errors.append(str(e))
            pull = [p for p in pull if p not in local or p in remote_wins or self._unchanged(p, local[p])]
            if pull:
                try:
                    self._rclone(["copy", "--files-from-raw", "-", "--no-traverse", "--no-check-dest", "--use-server-modtime",
                                  *self._transfer_flags(True), target.path(), workspace], target, credentials,
                                 "pulling changes", pull)
                    pulled = pull
                except PassError as e:
                    errors.append(str(e))
            if delete_remote:
                try:
                    self._rclone(["delete", "--files-from-raw", "-", "--fast-list", target.path()],
                                 target, credentials, "deleting in the bucket", delete_remote)
                    deleted_remote = delete_remote
                except PassError as e:
                    errors.append(str(e))
            unchanged = [p for p in delete_local if self._unchanged(p, local[p])]
            if unchanged:
                try:
                    self._rclone(["delete", "--files-from-raw", "-", workspace], target, credentials,
                                 "deleting in the workspace", unchanged)
                    deleted_local = unchanged
                except PassError as e:
                    errors.append(str(e))
        finally:
            self._end_apply()

        if pushed:
            try:
                after = self._list_remote(target, credentials)
            except PassError as e:
                errors.append(str(e))
                after = {}
            for p in pushed:
                identity = local.get(p) or self._identity(p)  # kept conflict versions were not listed
                updates[p] = (identity, after[p]) if p in after and identity else None
        for p in pulled:
            identity = self._identity(p)
            updates[p] = (identity, remote[p]) if identity else None
        updates.update({p: None for p in plan.forget + deleted_remote + deleted_local})

        with self.cond:
            for p, entry in updates.items():
                if entry is None:
                    self.manifest.pop(p, None)
                else:
                    self.manifest[p] = entry
            if not errors:
                now = utcnow()
                self.last_push_at = now
                self.last_pull_at = now
        if pushed or pulled or deleted_remote or deleted_local:
            self.log(f"sync pass: {len(pushed)} pushed, {len(pulled)} pulled, {len(deleted_remote)} deleted in the bucket, "
                     f"{len(deleted_local)} deleted in the workspace, {len(local_wins) + len(remote_wins)} conflicts")
        if errors:
            raise PassError(errors[0])

    def _remote_md5(self, paths, target, credentials):
        try:
            entries = self.rclone.lsjson(target.path(), target, self._latest(credentials),
                                         ["--hash", "--hash-type", "md5", "--files-from-raw", "-"],
                                         stdin_lines=paths) if paths else {}
        except (RcloneError, ValueError):
            return {}
        result = {}
        for path, e in entries.items():
            hashes = {k.lower(): v for k, v in (e.get("Hashes") or {}).items()}
            if hashes.get("md5"):
                result[path] = hashes["md5"].lower()
        return result

    def _local_md5(self, paths, target, credentials):
        # Through rclone as the workspace user: the agent (root) never opens workspace files.
        if not paths:
            return {}
        try:
            out = self._rclone(["md5sum", "--files-from-raw", "-", self.config.workspace], target, credentials,
                               "hashing workspace files", paths)
        except PassError:
            return {}
        result = {}
        for line in out.decode("utf-8", "replace").splitlines():
            digest, _, path = line.partition("  ")
            if path:
                result[path] = digest.lower()
        return result

    def _count_conflict(self, path):
        with self.cond:
            self.conflicts += 1
        self.log(f"conflict: both sides changed {path}; both versions kept")

    def _identity(self, rel):
        try:
            st = os.lstat(os.path.join(self.config.workspace, rel))
        except OSError:
            return None
        return (st.st_size, st.st_mtime_ns)

    def _unchanged(self, rel, identity):
        return self._identity(rel) == tuple(identity)


def _fmt(when):
    return None if when is None else when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
