"""Where a sandbox may write, and the parts of a repository it must not touch."""

from __future__ import annotations

import re
from pathlib import Path

_HOOKS_PATH = re.compile(r"^\s*hookspath\s*=\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)


def find_workspace(start: Path) -> Path:
    """The root of the git repository (or worktree) holding `start`, else `start` itself."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def git_dirs(workspace: Path) -> list[Path]:
    """The workspace's git directory and, for a worktree, its shared common directory."""
    dot_git = workspace / ".git"
    if dot_git.is_dir():
        return [dot_git]
    if not dot_git.is_file():
        return []
    # A worktree's .git is a file: "gitdir: <path>"; that folder's commondir names the
    # repository's main git directory, where hooks and config live.
    text = dot_git.read_text(errors="replace").strip()
    if not text.startswith("gitdir:"):
        return []
    gitdir = (workspace / text.removeprefix("gitdir:").strip()).resolve()
    dirs = [gitdir]
    commondir = gitdir / "commondir"
    if commondir.is_file():
        dirs.append((gitdir / commondir.read_text().strip()).resolve())
    return dirs


def protected_git_paths(workspace: Path) -> list[Path]:
    """Hooks folders and config files that sandboxed code must not change, since git runs
    what they name later, outside the sandbox.

    A missing hooks folder is created (empty) so that it can be mounted read-only; otherwise
    sandboxed code could create it and plant a hook.
    """
    hooks_dirs: list[Path] = []
    files: list[Path] = []
    for gitdir in git_dirs(workspace):
        hooks_dirs.append(gitdir / "hooks")
        files += [gitdir / "config", gitdir / "config.worktree"]
        config = gitdir / "config"
        if config.is_file():
            for match in _HOOKS_PATH.finditer(config.read_text(errors="replace")):
                hooks = Path(match.group(1).strip('"')).expanduser()
                hooks_dirs.append(hooks if hooks.is_absolute() else workspace / hooks)
    for folder in hooks_dirs:
        if not folder.exists() and folder.parent.is_dir():
            folder.mkdir(exist_ok=True)  # another command starting at once may make it
    paths: list[Path] = []
    for path in hooks_dirs + files:
        if path.exists() and path not in paths:
            paths.append(path)
    return paths


# Folders under `.agent/` that sandboxed helpers write their results to (trace and coverage
# artifacts); the rest of `.agent/` (session store, index, hook cache) is the agent's alone.
AGENT_SCRATCH = ("debug", "traces")


def git_dir_mounts(workspace: Path) -> list[Path]:
    """Every git directory of the workspace (a worktree's gitdir and its common dir too),
    and `.git` itself when it is a file: each is bound read-only onto itself, which also
    makes it a mount point that cannot be renamed, replaced or deleted."""
    dot_git = workspace / ".git"
    paths = [dot_git] if dot_git.is_file() and not dot_git.is_symlink() else []
    for gitdir in git_dirs(workspace):
        if gitdir.is_dir() and gitdir not in paths:
            paths.append(gitdir)
    return paths


def agent_dir(workspace: Path) -> Path:
    """The workspace's `.agent/`, created when missing so that it can be hidden."""
    folder = workspace / ".agent"
    if not folder.is_symlink():
        try:
            folder.mkdir(exist_ok=True)
        except OSError:  # a workspace we may not write: nothing in it is ours to hide
            pass
    return folder
