"""Handing a session's work to the user: a commit, a new branch, or a separate worktree."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from agent.errors import UserError
from agent.gitops.plumbing import (
    AGENT_DIR,
    AGENT_IDENTITY,
    Change,
    commit_tree,
    diff_trees,
    rev,
    run_git,
    temp_index,
    tree_of,
    update_ref,
)
from agent.gitops.restore import apply_changes, restore_tree

NO_HOOKS = ("-c", "core.hooksPath=/dev/null")


def commit(root: Path, paths: Sequence[str], message: str) -> str:
    """Commit exactly `paths` as they are in the working tree on top of HEAD; moves HEAD.

    Only those paths' entries in the user's index are reset to the new commit, so
    anything else the user staged stays staged.
    """
    head = rev(root, "HEAD")
    sha = _commit_paths(root, head, paths, message)
    update_ref(root, "HEAD", sha, head, "agent: commit")
    run_git(
        root,
        "reset",
        "-q",
        "--pathspec-from-file=-",
        "--pathspec-file-nul",
        input=_nul_joined(paths),
    )
    return sha


def branch(root: Path, paths: Sequence[str], name: str, message: str) -> str:
    """Create branch `name` at HEAD plus one commit of `paths`; HEAD and the index stay put."""
    checked = run_git(root, "check-ref-format", "--branch", name, check=False).decode().strip()
    if not checked:
        raise UserError(f"{name!r} is not a valid branch name")
    if rev(root, f"refs/heads/{checked}") is not None:
        raise UserError(f"branch {checked!r} already exists; choose another name")
    sha = _commit_paths(root, rev(root, "HEAD"), paths, message)
    update_ref(root, f"refs/heads/{checked}", sha, None, "agent: branch")
    return sha


def _commit_paths(root: Path, head: str | None, paths: Sequence[str], message: str) -> str:
    """A commit of HEAD's tree with `paths` taken from the working tree (clean filters apply)."""
    if not paths:
        raise UserError("the session changed no files; there is nothing to commit")
    with temp_index() as env:
        if head:
            run_git(root, "read-tree", head, env=env)
        run_git(
            root,
            "update-index",
            "--add",
            "--remove",
            "-z",
            "--stdin",
            input=_nul_joined(paths),
            env=env,
        )
        tree = run_git(root, "write-tree", env=env).decode().strip()
    configured = run_git(root, "var", "GIT_COMMITTER_IDENT", check=False).strip()
    identity = {} if configured else AGENT_IDENTITY
    return commit_tree(root, tree, [head] if head else [], message, identity=identity)


def add_worktree(root: Path, session_id: str, tree: str | None) -> Path:
    """A detached worktree at HEAD in `.agent/worktrees/<session_id>`, then `tree` copied in."""
    head = rev(root, "HEAD")
    if head is None:
        raise UserError("a worktree needs a commit to start from; make a first commit")
    path = root / AGENT_DIR / "worktrees" / session_id
    if path.exists():
        raise UserError(f"{path} already exists; remove it or use another session")
    path.parent.mkdir(parents=True, exist_ok=True)
    run_git(root, *NO_HOOKS, "worktree", "add", "--detach", str(path), head)
    if tree is not None:
        restore_tree(path, tree_of(root, head), tree)
    return path


def apply_changes_here(
    root: Path, changes: Sequence[Change], start: str, current: str
) -> list[str]:
    """Apply `changes` (made from tree `start`) to this tree, now `current`.

    Refuses, touching nothing, when a path was changed here differently since `start`.
    """
    here = {c.path: c for c in diff_trees(root, start, current)}
    clashes = [
        c.path
        for c in changes
        if c.path in here and (here[c.path].mode, here[c.path].blob) != (c.mode, c.blob)
    ]
    if clashes:
        raise UserError(
            f"files changed both here and in the worktree: {', '.join(sorted(clashes))}; "
            "nothing was applied"
        )
    apply_changes(root, changes)
    return [c.path for c in changes]


def remove_worktree(root: Path, path: Path) -> None:
    """Delete a worktree (even with changes in it) and prune git's record of it."""
    run_git(root, "worktree", "remove", "--force", str(path))
    run_git(root, "worktree", "prune")


def atomic_write_text(path: Path, text: str) -> None:
    """Replace a text file in one rename, keeping its mode."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _nul_joined(paths: Sequence[str]) -> bytes:
    return b"".join(os.fsencode(p) + b"\0" for p in paths)
