"""Resolving the model's paths inside the workspace, refusing any that lead out of it."""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from agent.confine import LeavesWorkspace, confine, open_inside
from agent.tools.errors import ToolError


def resolve(root: Path, path: str, *, for_write: bool = False) -> Path:
    """The absolute real path of `path` (relative to `root`, or absolute inside it).

    Refuses, with a message the model can act on: `..` that climbs out of the workspace,
    absolute paths elsewhere, symlinks (anywhere along the path) that lead outside,
    credentials files (`agent.confine`), and, for writes, anything inside `.git`.
    """
    root = root.resolve()
    raw = path.strip()
    if not raw:
        raise ToolError("path is empty; give a path relative to the repository root")
    if "\0" in raw:
        raise ToolError(f"{path!r} contains a NUL character; paths cannot")
    candidate = Path(raw) if os.path.isabs(raw) else root / raw
    lexical = Path(os.path.normpath(candidate))
    if not _inside(lexical, root):
        where = "an absolute path" if os.path.isabs(raw) else "a path that climbs"
        raise ToolError(
            f"{path!r} is {where} outside the workspace {root}; "
            "use a path relative to the repository root"
        )
    try:
        real = confine(root, os.path.relpath(lexical, root))
    except LeavesWorkspace as refused:
        raise ToolError(_for_the_model(path, refused)) from None
    if for_write and _in_git_dir(real, root):
        raise ToolError(f"{path!r} is inside .git; the repository's metadata is not editable")
    if for_write and _in_agent_dir(real, root):
        raise ToolError(
            f"{path!r} is inside .agent, the agent's own sessions and index; it is not editable"
        )
    return real


def resolve_for_write(ctx, path: str) -> Path:
    """`resolve(ctx.root, path, for_write=True)`, also refusing the folders the sandbox keeps
    read-only (environments the person runs, `.venv` and the like): the agent's own edits
    hold to what its commands may do."""
    real = resolve(ctx.root, path, for_write=True)
    policy = getattr(ctx.sandbox, "policy", None)
    for folder in getattr(policy, "read_only", ()):
        folder = Path(folder).resolve()
        if real == folder or folder in real.parents:
            raise ToolError(
                f"{path!r} is inside {relative(ctx.root, folder)}, an environment "
                "folder kept read-only; change the project's files instead"
            )
    return real


def open_checked(root: Path, real: Path) -> BinaryIO:
    """`real` (from `resolve`) opened for reading, refused if it was swapped for a link
    that leads out since it was resolved."""
    try:
        return open_inside(root, real)
    except LeavesWorkspace as refused:
        raise ToolError(_for_the_model(relative(root, real), refused)) from None


def relative(root: Path, path: Path) -> str:
    """`path` as a repo-relative posix string ("" for the root itself)."""
    rel = path.relative_to(root.resolve()).as_posix()
    return "" if rel == "." else rel


def display(root: Path, path: str) -> str:
    """The repo-relative form of a path the model gave, for messages and footprints.

    Never raises: an unresolvable path is returned normalised but unchecked.
    """
    try:
        return relative(root, resolve(root, path))
    except (ToolError, ValueError):
        return str(PurePosixPath(path))


def matches_glob(name: str, pattern: str) -> bool:
    """Whether repo-relative `name` matches `pattern`: a pattern without "/" matches the
    file name ("*.py"), one with "/" the whole path ("src/**/test_*.py")."""
    if "/" not in pattern:
        return fnmatch.fnmatchcase(name.rsplit("/", 1)[-1], pattern)
    return fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(
        name, pattern.replace("**/", "")
    )


def _for_the_model(path: str, refused: LeavesWorkspace) -> str:
    if refused.secret:
        return (
            f"{path!r} is a credentials file or folder ({refused.secret}); the agent "
            "does not read secrets, even inside the workspace"
        )
    return (
        f"{path!r} leaves the workspace: it goes through a symlink that leads outside "
        "it; refusing to follow it"
    )


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _in_agent_dir(path: Path, root: Path) -> bool:
    rel = path.relative_to(root).parts
    return bool(rel) and rel[0] == ".agent"


def _in_git_dir(path: Path, root: Path) -> bool:
    rel = path.relative_to(root).parts
    return bool(rel) and rel[0] == ".git"
