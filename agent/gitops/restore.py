"""Put files in the working tree back to the bytes and modes stored in git trees.

Only the paths that differ are touched; each file is written to a temporary name and
renamed into place, so a crash leaves either the old or the new file, never half of one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from agent.errors import UserError
from agent.gitops.plumbing import GITLINK, SYMLINK, Change, diff_trees, read_blobs
from agent.tools.textfile import atomic_write


def restore_tree(root: Path, current: str, target: str) -> list[str]:
    """Make the working tree, now described by tree `current`, match tree `target`.

    Returns the paths written or removed. Files outside both trees (ignored files,
    the `.agent/` directory) are never touched.
    """
    changes = diff_trees(root, current, target)
    apply_changes(root, changes)
    return [c.path for c in changes]


def apply_changes(root: Path, changes: Sequence[Change]) -> None:
    """Delete the deleted paths, then write the others from their blobs."""
    changes = [c for c in changes if c.mode != GITLINK and c.old_mode != GITLINK]
    for change in changes:
        if change.mode is None or change.old_mode == SYMLINK or change.mode == SYMLINK:
            _remove(root, change.path)
    for change in changes:
        if change.mode is None:
            _prune_empty_parents(root, change.path)
    written = [c for c in changes if c.mode is not None]
    contents = read_blobs(root, [c.blob for c in written if c.blob])
    for change in written:
        _write(root, root / change.path, contents[change.blob], change.mode)


def _remove(root: Path, name: str) -> None:
    path = root / name
    try:
        if path.is_symlink() or path.is_file():
            path.unlink()
    except FileNotFoundError:
        pass


def _prune_empty_parents(root: Path, name: str) -> None:
    parent = (root / name).parent
    while parent != root and root in parent.parents:
        try:
            parent.rmdir()
        except OSError:  # not empty (or already gone): stop here
            return
        parent = parent.parent


def _write(root: Path, path: Path, data: bytes, mode: str) -> None:
    """Write one file atomically with git's idea of its mode (exec bit, symlink)."""
    _clear_way(root, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode == SYMLINK:
        tmp = path.with_name(f".{path.name}.agent-tmp-{os.getpid()}")
        os.symlink(os.fsdecode(data), tmp)
        os.replace(tmp, path)
        return
    atomic_write(path, data, _permissions(path, executable=mode == "100755"))


def _permissions(path: Path, executable: bool) -> int:
    """Keep the file's current permission bits, setting or clearing only the exec bits."""
    try:
        current = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        current = 0o666 & ~umask
    if executable:
        return current | ((current & 0o444) >> 2)
    return current & ~0o111


def _clear_way(root: Path, path: Path) -> None:
    """Remove an empty directory in the way of a file, or a file in place of its parent dir."""
    for parent in reversed(path.relative_to(root).parents[:-1]):
        parent = root / parent
        if parent.is_file() or parent.is_symlink():
            parent.unlink()
    if path.is_dir() and not path.is_symlink():
        try:
            path.rmdir()
        except OSError as error:
            raise UserError(
                f"cannot restore {path}: a directory with files git does not track is in the way"
            ) from error
