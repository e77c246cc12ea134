"""The planner and the exclude patterns, without I/O."""

from datetime import datetime, timezone

from ide_agent.excludes import Excludes
from ide_agent.plan import conflict_name, make_plan, too_many_deletions

L1, L2 = (1, 100), (2, 200)
R1, R2 = (1, "2026-01-01T00:00:00Z"), (2, "2026-01-01T00:00:01Z")


def test_every_case_of_the_planner():
    manifest = {p: (L1, R1) for p in ("same", "lchg", "rchg", "both", "ldel", "rdel", "gone", "ldel_rchg", "rdel_lchg")}
    local = {"same": L1, "lchg": L2, "rchg": L1, "both": L2, "rdel": L1, "rdel_lchg": L2, "newl": L1, "newboth": L1}
    remote = {"same": R1, "lchg": R1, "rchg": R2, "both": R2, "ldel": R1, "ldel_rchg": R2, "newr": R1, "newboth": R1}
    plan = make_plan(local, remote, manifest)
    assert plan.push == ["lchg", "newl", "rdel_lchg"]
    assert plan.pull == ["ldel_rchg", "newr", "rchg"]
    assert plan.delete_remote == ["ldel"]
    assert plan.delete_local == ["rdel"]
    assert plan.both_changed == ["both", "newboth"]
    assert plan.forget == ["gone"]


def test_a_converged_state_plans_nothing():
    assert make_plan({"a": L1}, {"a": R1}, {"a": (L1, R1)}).empty()


def test_empty_sides_never_plan_deletions_without_a_manifest():
    plan = make_plan({}, {"a": R1}, {})
    assert plan.pull == ["a"] and not plan.delete_remote
    plan = make_plan({"a": L1}, {}, {})
    assert plan.push == ["a"] and not plan.delete_local


def test_guard_counts_more_than_the_percentage():
    assert too_many_deletions(1, 1, 50) and too_many_deletions(5, 8, 50)
    assert not too_many_deletions(1, 2, 50) and not too_many_deletions(0, 0, 50) and not too_many_deletions(4, 8, 50)


def test_conflict_name():
    when = datetime(2026, 12, 6, 3, 4, 5, tzinfo=timezone.utc)
    assert conflict_name("dir/a.txt", when) == "dir/a.txt.conflict-20261206T030405Z"


def test_excludes_follow_rclone_rules():
    ex = Excludes(["node_modules/**", "__pycache__/**", ".cache/**", "*.pyc", "/build/**", "a?.log"])
    assert ex.file("node_modules/x/y.js") and ex.file("app/node_modules/x.js") and ex.directory("app/node_modules")
    assert ex.file("m.pyc") and ex.file("pkg/m.pyc") and not ex.file("m.pyc.txt")
    assert ex.file("build/out") and not ex.file("src/build/out")
    assert ex.file("ab.log") and not ex.file("abc.log") and not ex.file("a/b.log")
    assert ex.any("app/node_modules") and ex.any("x/.cache/y") and not ex.any("src/main.py")
    assert ex.rclone_args()[:2] == ["--exclude", "node_modules/**"]


def test_readme_lists_exactly_the_environment_the_agent_reads():
    import os
    import re
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(here, "ide_agent", "config.py")) as f:
        read = set(re.findall(r'"((?:IDE|RCLONE)_[A-Z_]+)"', f.read()))
    with open(os.path.join(here, "README.md")) as f:
        listed = set(re.findall(r"^\| `([A-Z_]+)` \|", f.read(), re.M))
    assert read == listed


def test_the_walk_skips_links_excludes_and_names_rclone_lists_cannot_carry(tmp_path):
    from ide_agent.watch import walk_files
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_bytes(b"a")
    (tmp_path / "odd\nname").write_bytes(b"x")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "m.js").write_bytes(b"m")
    (tmp_path / "link").symlink_to(tmp_path / "src")
    (tmp_path / "file-link").symlink_to(tmp_path / "src" / "a.py")
    files = walk_files(str(tmp_path), Excludes(["node_modules/**"]))
    assert list(files) == ["src/a.py"] and files["src/a.py"][0] == 1
