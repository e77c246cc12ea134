"""Exclude patterns with rclone's filter semantics, applied to local paths.

The same patterns go to rclone as `--exclude` for everything it lists or copies, so both sides
of the sync skip the same files. Rules (rclone's): a pattern starting with `/` is anchored at the
workspace root, otherwise it matches at any directory depth; `*` matches within one path
segment, `**` across segments, `?` one character other than `/`; `[...]` is a character class.
"""

import re


def _translate(pattern):
    anchored = pattern.startswith("/")
    body = pattern.lstrip("/")
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if body.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = body.find("]", i + 1)
            if j < 0:
                out.append(re.escape(c))
            else:
                out.append("[" + body[i + 1:j].replace("\\", "\\\\") + "]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    prefix = "^" if anchored else "^(?:.*/)?"
    return re.compile(prefix + "".join(out) + "$", re.DOTALL)


class Excludes:
    """Decides whether a workspace-relative path (with `/` separators) is excluded."""

    def __init__(self, patterns):
        self.patterns = tuple(patterns)
        self._files = [_translate(p) for p in self.patterns]
        # A pattern "dir/**" excludes the directory itself, so the walk does not enter it.
        self._dirs = [_translate(p[:-3]) for p in self.patterns if p.endswith("/**") and len(p) > 3]

    def file(self, path):
        """Whether the file at `path` is excluded."""
        return any(r.match(path) for r in self._files)

    def directory(self, path):
        """Whether everything under the directory `path` is excluded."""
        return any(r.match(path) for r in self._dirs)

    def any(self, path):
        """Whether `path` (a file, or a directory on the way to one) is excluded."""
        parts = path.split("/")
        for i in range(1, len(parts)):
            if self.directory("/".join(parts[:i])):
                return True
        return self.file(path) or self.directory(path)

    def rclone_args(self):
        """The same patterns as rclone flags."""
        args = []
        for p in self.patterns:
            args += ["--exclude", p]
        return args
