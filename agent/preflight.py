"""What is checked before a session starts, so that a refused solve leaves no session behind:
a clean tree (or --allow-dirty / --worktree), a usable --branch name, and a branch to commit on."""

from __future__ import annotations

from agent.errors import UserError
from agent.gitops.plumbing import run_git


def check_before_session(home, options) -> None:
    """Raise a UserError if the session `options` ask for cannot be delivered from `home`."""
    if options.resume:
        return
    if not options.allow_dirty:
        refuse_dirty(home)
    if options.result == "branch" and options.branch:
        check_new_branch(home.root, options.branch)
    if options.result == "commit" and not options.worktree:
        refuse_detached_commit(home.root)


def refuse_dirty(home) -> None:
    """A UserError naming the uncommitted changes, if there are any."""
    dirty = home.dirty_files()
    if not dirty:
        return
    shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
    raise UserError(
        f"the working tree has uncommitted changes ({shown}); commit or stash "
        "them, or pass --allow-dirty (a snapshot is kept first) or --worktree"
    )


def check_new_branch(root, name: str) -> None:
    """A UserError unless `name` is a valid branch name that does not exist yet."""
    checked = run_git(root, "check-ref-format", "--branch", name, check=False)
    if checked.decode(errors="replace").strip() != name:  # invalid, or @{-1} naming another
        raise UserError(
            f"--branch {name!r} is not a valid git branch name "
            "(see `git check-ref-format --help`); try e.g. agent/fix-parser"
        )
    if run_git(root, "rev-parse", "--verify", "-q", f"refs/heads/{name}", check=False).strip():
        raise UserError(
            f"--branch {name!r} already exists; name a new branch "
            "(your branches are never overwritten)"
        )


def refuse_detached_commit(root) -> None:
    """A UserError when HEAD is detached: a commit there would belong to no branch."""
    if not run_git(root, "symbolic-ref", "-q", "HEAD", check=False).strip():
        raise UserError(
            "--commit needs a branch, but HEAD is detached; check out a branch "
            "first, or use --branch NAME to put the change on a new branch"
        )
