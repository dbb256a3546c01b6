"""Which of a command's changes are of the tree a test run sees.

Not git's own folder, nor bytecode and pytest's cache (Python checks a cached module
against its source, so a stale one never changes what runs), nor what .gitignore leaves
out of the tree (a tracked file is of the tree whatever .gitignore says; a changed
.gitignore always is).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from agent.review.inventory import Change, in_git_dir

CACHE_FOLDERS = ("__pycache__", ".pytest_cache")


def tree_writes(root: Path, changes: Iterable[Change]) -> list[str]:
    """The paths among `changes` that are of the workspace's tree (see the module)."""
    from agent.gitops.plumbing import ignored_among

    paths = [c.path for c in changes if not in_git_dir(c.path) and not _cache(c.path)]
    if not paths:
        return []
    ignored = ignored_among(root, paths)
    # A command that rewrote the ignore rules could make its other writes look ignored.
    return [p for p in paths if p not in ignored or p.rsplit("/", 1)[-1] == ".gitignore"]


def _cache(path: str) -> bool:
    parts = path.split("/")
    return path.endswith((".pyc", ".pyo")) or any(p in CACHE_FOLDERS for p in parts)
