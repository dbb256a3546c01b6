"""Checkpoints and undo on real git repositories: exact bytes and modes, user state untouched."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from agent.errors import UserError
from agent.gitops.checkpoints import Workspace, exclude_agent_dir

BINARY = bytes(range(256)) * 4


def git(root: Path, *args: str) -> str:
    """Run git in `root` and return stdout (raises on failure)."""
    return subprocess.run(
        ["git", "-C", str(root), *args], check=True, capture_output=True, text=True
    ).stdout


def make_repo(tmp_path: Path) -> Path:
    """A repository with a commit, a staged change, a stash entry, untracked and ignored files."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Tester")
    git(root, "config", "user.email", "tester@example.com")
    (root / ".gitignore").write_text("build/\n")
    (root / ".gitattributes").write_text("* text=auto\n")
    (root / "app.py").write_text("def add(a, b):\n    return a - b\n")
    (root / "crlf.txt").write_bytes(b"one\r\ntwo\r\n")
    (root / "data.bin").write_bytes(BINARY)
    (root / "run.sh").write_text("#!/bin/sh\necho hi\n")
    (root / "run.sh").chmod(0o755)
    (root / "staged.txt").write_text("v1\n")
    os.symlink("app.py", root / "link.py")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    (root / "stashed.txt").write_text("stash me\n")
    git(root, "add", "stashed.txt")
    git(root, "stash", "-q")
    (root / "staged.txt").write_text("v2 staged\n")
    git(root, "add", "staged.txt")
    (root / "notes.txt").write_text("untracked notes\n")
    (root / "build").mkdir()
    (root / "build" / "out.o").write_bytes(b"\x7fELF ignored")
    return root


def files_state(root: Path) -> dict[str, tuple[str, bytes, int]]:
    """Every file under root outside .git and .agent: kind, bytes (or link target), mode."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in (".git", ".agent")]
        for name in filenames + [d for d in dirnames if (Path(dirpath) / d).is_symlink()]:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                state[rel] = ("link", os.readlink(path).encode(), 0)
            else:
                state[rel] = ("file", path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
    return state


def user_state(root: Path) -> tuple[str, ...]:
    """HEAD, branch, index entries, staged diff and stash list: what we must never change."""
    return (
        git(root, "rev-parse", "HEAD"),
        git(root, "symbolic-ref", "HEAD"),
        git(root, "ls-files", "-s"),
        git(root, "diff", "--cached"),
        git(root, "stash", "list"),
    )


def edit_like_a_session(root: Path) -> None:
    """Change, create, delete, chmod, retype and write binary, as an agent session might."""
    (root / "app.py").write_text("def add(a, b):\n    return a + b\n")
    (root / "notes.txt").unlink()
    (root / "data.bin").unlink()
    (root / "new" / "deep").mkdir(parents=True)
    (root / "new" / "deep" / "mod.py").write_bytes(b"\x00\x01 new binary\r\n")
    (root / "run.sh").chmod(0o644)
    (root / "crlf.txt").write_bytes(b"one\ntwo\nthree\n")
    (root / "link.py").unlink()
    (root / "link.py").write_text("no longer a link\n")
    (root / "build" / "out.o").write_bytes(b"rebuilt by the session")
    (root / "build" / "extra.o").write_bytes(b"also ignored")


def test_undo_to_start_restores_exact_bytes_modes_and_untracked_files(tmp_path):
    root = make_repo(tmp_path)
    before_files, before_user = files_state(root), user_state(root)
    workspace = Workspace.open(root)
    session = "s1"
    workspace.checkpoint(session, "start")
    edit_like_a_session(root)
    workspace.checkpoint(session, "edit 1")
    (root / "app.py").write_text("uncheckpointed edit\n")

    restored = workspace.undo_to_start(session)

    after = files_state(root)
    ignored = {"build/out.o", "build/extra.o"}
    assert {k: v for k, v in after.items() if k not in ignored} == {
        k: v for k, v in before_files.items() if k not in ignored
    }
    # ignored files are never touched, in either direction
    assert after["build/out.o"][1] == b"rebuilt by the session"
    assert after["build/extra.o"][1] == b"also ignored"
    assert not (root / "new").exists()
    assert user_state(root) == before_user
    assert "new/deep/mod.py" in restored.paths and "notes.txt" in restored.paths


def test_undo_steps_back_one_checkpoint_at_a_time_and_can_be_undone(tmp_path):
    root = make_repo(tmp_path)
    workspace, session = Workspace.open(root), "steps"
    user = user_state(root)
    workspace.checkpoint(session, "start")
    for n in (1, 2, 3):
        (root / "app.py").write_text(f"version {n}\n")
        workspace.checkpoint(session, f"edit {n}")

    assert workspace.undo(session).target.label == "edit 2"
    assert (root / "app.py").read_text() == "version 2\n"
    undone = workspace.undo(session)
    assert (root / "app.py").read_text() == "version 1\n"
    assert undone.target.label == "edit 1"

    workspace.restore(session, undone.saved[:10])  # the undo of an undo
    assert (root / "app.py").read_text() == "version 2\n"

    (root / "app.py").write_text("not yet checkpointed\n")
    workspace.undo(session, steps=2)  # the loose edit counts as one step
    assert (root / "app.py").read_text() == "version 1\n"
    with pytest.raises(UserError, match="only 1 step"):
        workspace.undo(session, steps=5)
    assert user_state(root) == user


def test_checkpoint_skips_unchanged_states_and_uses_a_private_ref(tmp_path):
    root = make_repo(tmp_path)
    workspace = Workspace.open(root)
    first = workspace.checkpoint("s", "start")
    assert workspace.checkpoint("s", "nothing changed") == first
    (root / "app.py").write_text("x\n")
    second = workspace.checkpoint("s", "edit")
    assert git(root, "rev-parse", "refs/agent/sessions/s").strip() == second
    assert git(root, "rev-parse", f"{second}^").strip() == first
    assert [c.label for c in workspace.checkpoints("s")] == ["edit", "start"]
    # the untracked file at the start is part of the starting state
    assert "notes.txt" in git(root, "ls-tree", "-r", "--name-only", first)
    assert "build/out.o" not in git(root, "ls-tree", "-r", "--name-only", first)
    assert git(root, "branch", "--list").split() == ["*", "main"]


def test_diff_and_changed_files_include_new_and_deleted_files(tmp_path):
    root = make_repo(tmp_path)
    workspace = Workspace.open(root)
    workspace.checkpoint("d", "start")
    edit_like_a_session(root)
    text = workspace.diff("d")
    assert "+    return a + b" in text and "-    return a - b" in text
    assert "deleted file mode 100644" in text and "--- a/notes.txt" in text
    assert "new file mode 100644" in text and "b/new/deep/mod.py" in text
    assert "old mode 100755\nnew mode 100644" in text
    assert sorted(workspace.changed_files("d")) == [
        "app.py",
        "crlf.txt",
        "data.bin",
        "link.py",
        "new/deep/mod.py",
        "notes.txt",
        "run.sh",
    ]
    workspace.checkpoint("d", "edited")
    assert workspace.diff("d", against="last") == ""


def test_works_in_a_repository_without_commits(tmp_path):
    root = tmp_path / "fresh"
    root.mkdir()
    git(root, "init", "-q")
    (root / "a.txt").write_text("first\n")
    workspace = Workspace.open(root)
    assert workspace.head() is None and workspace.dirty_files() == ["a.txt"]
    workspace.checkpoint("s", "start")
    (root / "a.txt").write_text("changed\n")
    (root / "b.txt").write_text("new\n")
    workspace.undo_to_start("s")
    assert (root / "a.txt").read_text() == "first\n" and not (root / "b.txt").exists()
    assert git(root, "status", "--porcelain") == "?? a.txt\n"


def test_open_refuses_a_directory_outside_git(tmp_path):
    with pytest.raises(UserError, match="not inside a git repository"):
        Workspace.open(tmp_path)


def test_dirty_files_and_snapshot(tmp_path):
    root = make_repo(tmp_path)
    workspace = Workspace.open(root / "build")  # any directory inside finds the root
    assert workspace.root == root.resolve()
    assert workspace.is_dirty()
    assert sorted(workspace.dirty_files()) == ["notes.txt", "staged.txt"]
    exclude_agent_dir(root)
    (root / ".agent").mkdir()
    (root / ".agent" / "sessions.sqlite").write_text("x")
    assert ".agent/sessions.sqlite" not in workspace.dirty_files()
    sha = workspace.snapshot("before the session")
    assert "notes.txt" in git(root, "ls-tree", "-r", "--name-only", sha)
    refs = git(root, "for-each-ref", "--format=%(objectname)", "refs/agent/snapshots/")
    assert refs.strip() == sha
    assert git(root, "show", f"{sha}:staged.txt") == "v2 staged\n"
    git(root, "commit", "-q", "-m", "clean up")
    git(root, "clean", "-fdq")
    assert not Workspace.open(root).is_dirty()


def test_exclude_agent_dir_writes_info_exclude_once_never_gitignore(tmp_path):
    root = make_repo(tmp_path)
    exclude_agent_dir(root)
    exclude_agent_dir(root)
    assert (root / ".git" / "info" / "exclude").read_text().count(".agent/") == 1
    assert ".agent" not in (root / ".gitignore").read_text()


def test_a_file_that_became_a_directory_and_back(tmp_path):
    root = make_repo(tmp_path)
    before = files_state(root)
    workspace = Workspace.open(root)
    workspace.checkpoint("t", "start")
    (root / "notes.txt").unlink()
    (root / "notes.txt").mkdir()
    (root / "notes.txt" / "inner.md").write_text("now a directory\n")
    workspace.checkpoint("t", "directory")
    undone = workspace.undo("t")
    assert files_state(root) == before
    with pytest.raises(UserError, match="only 0 step"):
        workspace.undo("t")
    workspace.restore("t", undone.saved)
    assert (root / "notes.txt" / "inner.md").read_text() == "now a directory\n"
