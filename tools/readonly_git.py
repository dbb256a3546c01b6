"""Running git on the host for the read-only tools, without letting the repo run commands."""

from __future__ import annotations

import subprocess
from pathlib import Path

from agent.confine import WorkspaceFilter
from agent.gitops.pin import git_argv, git_env
from agent.tools.errors import ToolError

# A repository's own config could name a program to run (fsmonitor, pager, textconv);
# the workspace may be written by the model, so `git_argv` switches those off and checks the
# session's pin. --no-optional-locks keeps `git status` from rewriting the user's index.
_SAFE = ["--no-optional-locks"]


def git(root: Path, *args: str, ok_codes: tuple[int, ...] = (0,)) -> bytes:
    """Run `git ARGS` in `root` and return stdout; a failure becomes a ToolError."""
    try:
        proc = subprocess.run(
            [*git_argv(root), *_SAFE, *args],
            cwd=root,
            capture_output=True,
            env=git_env(),
            check=False,
        )
    except FileNotFoundError as error:
        raise ToolError("git is not installed; this tool needs it") from error
    if proc.returncode not in ok_codes:
        message = proc.stderr.decode(errors="replace").strip().splitlines()
        raise ToolError(f"git {args[0]} failed: {message[-1] if message else proc.returncode}")
    return proc.stdout


def workspace_files(root: Path, under: str = "") -> list[str]:
    """Tracked and untracked, not ignored, existing files (repo-relative, sorted)."""
    return _listed(root, ["-co"], under)


def untracked_files(root: Path) -> list[str]:
    """Untracked, not ignored files (repo-relative, sorted)."""
    return _listed(root, ["-o"], "")


def _listed(root: Path, which: list[str], under: str) -> list[str]:
    args = ["ls-files", "-z", *which, "--exclude-standard"]
    if under:
        args += ["--", under]
    names = git(root, *args).decode("utf-8", errors="surrogateescape").split("\0")
    inside = WorkspaceFilter(root)  # links out of the workspace and secrets are not listed
    return sorted({n for n in names if n and inside.allows(n) and (root / n).is_file()})
