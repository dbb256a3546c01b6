"""Which of a command's changes are of the tree a test run sees.

Not git's own folder, nor bytecode and pytest's cache (Python checks a cached module
against its source, so a stale one never changes what runs), nor what .gitignore leaves
out of the tree (a tracked file is of the tree whatever .gitignore says).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from agent.review.inventory import Change, in_git_dir

CACHE_FOLDERS = ("__pycache__", ".pytest_cache")


def tree_writes(root: Path, changes: Iterable[Change]) -> list[str]:
    """The paths among `changes` that are of the workspace's tree (see the module)."""
    from agent.gitops.plumbing import run_git

    paths = [c.path for c in changes if not in_git_dir(c.path) and not _cache(c.path)]
    if not paths:
        return []
    # check-ignore refuses literal pathspecs, which run_git turns on for every command.
    out = run_git(
        root,
        "check-ignore",
        "-z",
        "--stdin",
        check=False,
        input=b"".join(os.fsencode(p) + b"\0" for p in paths),
        env={"GIT_LITERAL_PATHSPECS": "0"},
    )
    ignored = {os.fsdecode(p) for p in out.split(b"\0") if p}
    return [p for p in paths if p not in ignored]


def _cache(path: str) -> bool:
    parts = path.split("/")
    return path.endswith((".pyc", ".pyo")) or any(p in CACHE_FOLDERS for p in parts)
