"""The two-way sync planner: pure, no I/O.

Inputs are three maps keyed by the workspace-relative path (`/` separators):
  local:    path -> (size, mtime_ns)           what the workspace holds now
  remote:   path -> (size, "RFC3339 time")     what the bucket holds now (server LastModified)
  manifest: path -> (local identity, remote identity) recorded when the path was last in sync
A side "changed" a path when its identity differs from the manifest's (or the manifest has no
entry); it "deleted" it when the manifest has an entry and the side has no file.

Rules (every case; a deletion never beats a change, and nothing is overwritten silently):
  both unchanged                     -> nothing
  only local changed / new           -> push
  only remote changed / new          -> pull
  both changed, or new on both sides -> compare: same size and MD5 -> adopt (record as synced),
                                        otherwise a conflict (the newer keeps the name, the other
                                        is kept as `name.conflict-<UTC time>`)
  local deleted, remote unchanged    -> delete in the bucket
  remote deleted, local unchanged    -> delete in the workspace
  deleted on one side, changed on the other -> the changed file is copied back
  deleted on both sides              -> forget
"""

from dataclasses import dataclass, field


@dataclass
class Plan:
    """What one pass should do."""

    push: list = field(default_factory=list)
    pull: list = field(default_factory=list)
    delete_remote: list = field(default_factory=list)
    delete_local: list = field(default_factory=list)
    both_changed: list = field(default_factory=list)
    forget: list = field(default_factory=list)

    def empty(self):
        """Whether the pass has nothing to do."""
        return not (self.push or self.pull or self.delete_remote or self.delete_local or self.both_changed or self.forget)


def make_plan(local, remote, manifest):
    """Compares both sides with the manifest and returns the Plan."""
    plan = Plan()
    for path in sorted(set(local) | set(remote) | set(manifest)):
        entry = manifest.get(path)
        in_local, in_remote = path in local, path in remote
        local_changed = in_local and (entry is None or tuple(local[path]) != tuple(entry[0]))
        remote_changed = in_remote and (entry is None or tuple(remote[path]) != tuple(entry[1]))
        if not in_local and not in_remote:
            if entry is not None:
                plan.forget.append(path)
        elif in_local and in_remote:
            if local_changed and remote_changed:
                plan.both_changed.append(path)
            elif local_changed:
                plan.push.append(path)
            elif remote_changed:
                plan.pull.append(path)
        elif in_local:
            if entry is None or local_changed:
                plan.push.append(path)
            else:
                plan.delete_local.append(path)
        else:
            if entry is None or remote_changed:
                plan.pull.append(path)
            else:
                plan.delete_remote.append(path)
    return plan


def too_many_deletions(deletions, total, max_percent):
    """Whether deleting `deletions` of `total` files exceeds `max_percent` percent."""
    return deletions > 0 and deletions * 100 > max_percent * total


def conflict_name(path, when):
    """The name the losing version of `path` is kept under (`when` a UTC datetime)."""
    return f"{path}.conflict-{when.strftime('%Y%m%dT%H%M%SZ')}"
