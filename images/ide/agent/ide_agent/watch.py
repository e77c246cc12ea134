"""Notices file changes in the workspace: inotify through ctypes, else polling every second.

The watcher only reports *that* a path changed (for the debounce, activity and pendingChanges);
the sync pass itself always compares full listings, so a missed event delays a change until the
next periodic pass but never loses it.
"""

import ctypes
import ctypes.util
import errno
import os
import select
import struct
import threading
import time

IN_MODIFY = 0x00000002
IN_ATTRIB = 0x00000004
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_ISDIR = 0x40000000
IN_ONLYDIR = 0x01000000
IN_DONT_FOLLOW = 0x02000000
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
MASK = (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
        | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW)
EVENT = struct.Struct("iIII")


def syncable(rel):
    """Whether a path can go through rclone's line-based file lists (no line breaks in it)."""
    return "\n" not in rel and "\r" not in rel


def walk_files(root, excludes):
    """Regular files under root (symlinks and excluded paths skipped): {relpath: (size, mtime_ns)}."""
    files = {}
    root = root.rstrip("/") or "/"
    for directory, dirs, names in os.walk(root):
        rel_dir = os.path.relpath(directory, root)
        rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/")
        kept = []
        for d in dirs:
            rel = f"{rel_dir}/{d}" if rel_dir else d
            if not excludes.directory(rel) and not os.path.islink(os.path.join(directory, d)):
                kept.append(d)
        dirs[:] = kept
        for name in names:
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if excludes.file(rel) or not syncable(rel):
                continue
            try:
                st = os.lstat(os.path.join(directory, name))
            except OSError:
                continue
            if (st.st_mode & 0o170000) == 0o100000:
                files[rel] = (st.st_size, st.st_mtime_ns)
    return files


class Watcher(threading.Thread):
    """Calls on_change(relpath) for every change under root; on_tick() about once a second."""

    def __init__(self, root, excludes, mode, on_change, on_tick, log):
        super().__init__(name="watcher", daemon=True)
        self.root = root.rstrip("/") or "/"
        self.excludes = excludes
        self.on_change = on_change
        self.on_tick = on_tick
        self.log = log
        self.mode = mode
        self._fd = None
        self._wds = {}
        self._libc = None
        self._snapshot = None

    def run(self):
        if self.mode in ("auto", "inotify"):
            try:
                self._start_inotify()
            except OSError as e:
                self.log(f"inotify unavailable ({e.strerror or e}); polling the workspace every second")
                self._stop_inotify()
        if self._fd is None:
            self.mode = "poll"
        while True:
            try:
                if self._fd is not None:
                    self._inotify_round()
                else:
                    self._poll_round()
                self.on_tick()
            except Exception as e:  # the watcher must never die
                self.log(f"watcher error: {e}")
                time.sleep(1)

    # -- inotify

    def _start_inotify(self):
        name = ctypes.util.find_library("c") or "libc.so.6"
        self._libc = ctypes.CDLL(name, use_errno=True)
        fd = self._libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if fd < 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
        self._fd = fd
        self.mode = "inotify"
        self._add_tree(self.root, "")

    def _stop_inotify(self):
        if self._fd is not None:
            os.close(self._fd)
        self._fd = None
        self._wds = {}

    def _add_watch(self, path, rel):
        wd = self._libc.inotify_add_watch(self._fd, os.fsencode(path), MASK)
        if wd < 0:
            err = ctypes.get_errno()
            if err in (errno.ENOENT, errno.ENOTDIR, errno.EACCES):
                return
            raise OSError(err, os.strerror(err))
        self._wds[wd] = rel

    def _add_tree(self, path, rel):
        if rel and self.excludes.directory(rel):
            return
        self._add_watch(path, rel)
        try:
            entries = list(os.scandir(path))
        except OSError:
            return
        for entry in entries:
            child = f"{rel}/{entry.name}" if rel else entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    self._add_tree(entry.path, child)
                elif rel:
                    # Files that appeared before the watch existed count as changes.
                    self._changed(child)
            except OSError:
                continue

    def _inotify_round(self):
        ready, _, _ = select.select([self._fd], [], [], 1.0)
        if not ready:
            return
        try:
            data = os.read(self._fd, 256 * 1024)
        except BlockingIOError:
            return
        offset = 0
        while offset + EVENT.size <= len(data):
            wd, mask, _cookie, length = EVENT.unpack_from(data, offset)
            name = data[offset + EVENT.size: offset + EVENT.size + length].split(b"\0", 1)[0]
            offset += EVENT.size + length
            if mask & IN_Q_OVERFLOW:
                self._changed("")
                continue
            base = self._wds.get(wd)
            if base is None:
                continue
            if mask & IN_IGNORED:
                self._wds.pop(wd, None)
                continue
            rel = base
            if name:
                n = os.fsdecode(name)
                rel = f"{base}/{n}" if base else n
            if mask & IN_ISDIR:
                if mask & (IN_CREATE | IN_MOVED_TO):
                    try:
                        self._add_tree(os.path.join(self.root, rel), rel)
                    except OSError as e:
                        self.log(f"inotify watch failed ({e.strerror or e}); polling the workspace every second")
                        self._stop_inotify()
                        self.mode = "poll"
                        return
                self._changed(rel)
            elif name:
                self._changed(rel)

    # -- polling

    def _poll_round(self):
        time.sleep(1.0)
        current = walk_files(self.root, self.excludes)
        if self._snapshot is not None:
            for path in set(current) | set(self._snapshot):
                if current.get(path) != self._snapshot.get(path):
                    self._changed(path)
        self._snapshot = current

    def _changed(self, rel):
        if rel and self.excludes.any(rel):
            return
        self.on_change(rel)
