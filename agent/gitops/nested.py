"""Git repositories a session made inside the workspace.

A checkpoint cannot hold another repository (git leaves a nested `.git` folder out), so a
command that runs `git init` in a subfolder, with a config that names programs to run,
would survive `undo --to-start`. The nested git directories found at session start are
kept under the session's ignored-files ref; undo removes the ones made since.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from agent.gitops.plumbing import AGENT_DIR

GIT_DIR = ".git"


def nested_git_dirs(root: Path) -> list[str]:
    """Repo-relative paths of every `.git` (folder or file) below the top level, not inside
    another `.git` or `.agent/`, without following links."""
    found: list[str] = []
    for folder, subfolders, files in os.walk(root):
        rel = os.path.relpath(folder, root)
        if rel == ".":
            subfolders[:] = [d for d in subfolders if d not in (GIT_DIR, AGENT_DIR)]
            continue
        if GIT_DIR in subfolders or GIT_DIR in files:
            found.append(Path(rel, GIT_DIR).as_posix())
        subfolders[:] = [d for d in subfolders if d != GIT_DIR]
    return sorted(found)


def remove_new_git_dirs(root: Path, at_start: list[str]) -> list[str]:
    """Remove the nested `.git` folders and files that were not there at session start;
    returns their paths. A folder on the way that is now a link is left alone: removing
    through it would reach outside the workspace."""
    removed = []
    for rel in nested_git_dirs(root):
        if rel in at_start:
            continue
        path = root / rel
        if os.path.realpath(path.parent) != str(root.resolve() / Path(rel).parent):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
        removed.append(rel)
    return removed
