"""Handing results over: commit, branch and worktree on real repositories."""

from __future__ import annotations

import pytest

from agent.errors import UserError
from agent.gitops.checkpoints import Workspace
from tests.test_git import files_state, git, make_repo


def session_edits(root):
    """A session's typical work: change one file, add one, delete one."""
    (root / "app.py").write_text("def add(a, b):\n    return a + b\n")
    (root / "test_app.py").write_text(
        "from app import add\n\n\ndef test_add():\n    assert add(2, 2) == 4\n"
    )
    (root / "run.sh").unlink()


def test_commit_takes_only_the_sessions_files_and_keeps_other_staged_work_staged(tmp_path):
    root = make_repo(tmp_path)
    workspace = Workspace.open(root)
    head = workspace.head()
    workspace.checkpoint("c", "start")
    session_edits(root)

    sha = workspace.commit("c", "Fix add")

    assert git(root, "rev-parse", "HEAD").strip() == sha
    assert git(root, "rev-parse", "HEAD^").strip() == head
    assert git(root, "symbolic-ref", "--short", "HEAD").strip() == "main"
    committed = git(root, "show", "--name-status", "--format=%s", "HEAD").split("\n")
    assert committed[0] == "Fix add"
    assert sorted(line for line in committed[1:] if line) == [
        "A\ttest_app.py",
        "D\trun.sh",
        "M\tapp.py",
    ]
    assert git(root, "diff", "--cached", "--name-only") == "staged.txt\n"
    status = git(root, "status", "--porcelain")
    assert "app.py" not in status and "run.sh" not in status and "test_app.py" not in status
    assert "?? notes.txt" in status


def test_commit_with_no_changes_is_a_clear_error(tmp_path):
    root = make_repo(tmp_path)
    workspace = Workspace.open(root)
    workspace.checkpoint("c", "start")
    with pytest.raises(UserError, match="nothing to commit"):
        workspace.commit("c", "nothing")


def test_branch_holds_the_changes_while_the_user_stays_put_with_a_clean_tree(tmp_path):
    root = make_repo(tmp_path)
    workspace = Workspace.open(root)
    before_files = files_state(root)
    head, index = workspace.head(), git(root, "ls-files", "-s")
    workspace.checkpoint("b", "start")
    session_edits(root)

    sha = workspace.branch("b", "agent/fix-add", "Fix add")

    assert git(root, "rev-parse", "agent/fix-add").strip() == sha
    assert git(root, "rev-parse", "agent/fix-add^").strip() == head
    assert git(root, "show", "agent/fix-add:app.py").endswith("return a + b\n")
    assert "staged.txt" not in git(root, "show", "--name-only", "--format=", sha)
    assert git(root, "symbolic-ref", "--short", "HEAD").strip() == "main"
    assert workspace.head() == head and git(root, "ls-files", "-s") == index
    assert files_state(root) == before_files
    # the changes can still be brought back into this tree, the way any undo can
    workspace.restore("b", workspace.checkpoints("b")[1].sha)
    assert (root / "test_app.py").exists()


def test_branch_names_are_checked(tmp_path):
    root = make_repo(tmp_path)
    workspace = Workspace.open(root)
    workspace.checkpoint("b", "start")
    session_edits(root)
    with pytest.raises(UserError, match="not a valid branch name"):
        workspace.branch("b", "bad..name", "x")
    with pytest.raises(UserError, match="already exists"):
        workspace.branch("b", "main", "x")
    assert (root / "test_app.py").exists()  # a refused branch leaves the work where it was


def test_worktree_copies_dirty_state_and_changes_come_back_only_when_asked(tmp_path):
    root = make_repo(tmp_path)
    main = Workspace.open(root)
    before = files_state(root)
    path = main.worktree("w", allow_dirty=True)

    assert path == root / ".agent" / "worktrees" / "w"
    assert (path / "notes.txt").read_text() == "untracked notes\n"
    assert (path / "staged.txt").read_text() == "v2 staged\n"
    assert (path / "crlf.txt").read_bytes() == b"one\r\ntwo\r\n"
    assert (path / "run.sh").stat().st_mode & 0o100
    other = Workspace.open(path)
    assert other.root == path.resolve()
    other.checkpoint("w", "start")
    session_edits(path)
    other.checkpoint("w", "edit")
    assert files_state(root) == before  # the user's tree never moved
    assert ".agent" not in git(root, "status", "--porcelain")

    applied = main.apply_worktree_changes(path, "w")

    assert sorted(applied) == ["app.py", "run.sh", "test_app.py"]
    assert (root / "app.py").read_text().endswith("return a + b\n")
    assert not (root / "run.sh").exists()
    assert (root / "notes.txt").read_text() == "untracked notes\n"
    assert git(root, "diff", "--cached", "--name-only") == "staged.txt\n"
    main.remove_worktree(path)
    assert not path.exists()
    assert len(git(root, "worktree", "list").splitlines()) == 1


def test_worktree_changes_refuse_to_overwrite_edits_made_meanwhile(tmp_path):
    root = make_repo(tmp_path)
    main = Workspace.open(root)
    path = main.worktree("w")
    assert not (path / "notes.txt").exists()  # without allow_dirty: HEAD only
    other = Workspace.open(path)
    other.checkpoint("w", "start")
    (path / "app.py").write_text("worktree version\n")
    (root / "app.py").write_text("the user's own edit\n")
    with pytest.raises(UserError, match="app.py"):
        main.apply_worktree_changes(path, "w")
    assert (root / "app.py").read_text() == "the user's own edit\n"


def test_worktree_needs_a_commit(tmp_path):
    git(tmp_path, "init", "-q")
    with pytest.raises(UserError, match="first commit"):
        Workspace.open(tmp_path).worktree("w")
