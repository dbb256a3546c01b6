"""A cheap inventory of every file in the workspace, and what changed between two of them.

An inventory maps each repo-relative path (tracked, untracked or ignored) to a stat key;
two inventories differ on a path when it appeared, vanished or its key changed. The key
holds the inode change time, which a process cannot set (`touch -r` can fake mtime, not
ctime), so an edit that keeps size and mtime is still seen.

`.agent/` (the agent's own store) is not walked. Of `.git/` only what cannot change in a
session without someone meaning it is looked at: its top-level entries (a new, replaced or
changed `config`, `HEAD`, `commondir`, ...) and the small folders that run or hide things
(`hooks/`, `info/`); object and ref folders change with every checkpoint.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass

AGENT_DIR = ".agent"
GIT_DIR = ".git"
GIT_WATCHED_FOLDERS = ("hooks", "info")
# Folders git and the agent change on their own; only whether they exist is watched.
GIT_BUSY_FOLDERS = ("objects", "refs", "logs", "worktrees", "lfs", "modules", "rr-cache")

Key = tuple[int, int, int, int, int, int]  # (mtime_ns, ctime_ns, size, inode, mode, links)
Inventory = dict[str, Key]

CREATED, CHANGED, DELETED = "created", "changed", "deleted"


@dataclass(frozen=True)
class Change:
    """One path that differs between two inventories: created, changed or deleted."""

    path: str
    change: str


def stat_key(st: os.stat_result) -> Key:
    """The parts of a stat result that change when a file is written, replaced or chmod-ed."""
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, st.st_mode, st.st_nlink)


def in_git_dir(path: str) -> bool:
    """True for `.git` itself and anything under it."""
    return path == GIT_DIR or path.startswith(GIT_DIR + "/")


def take(root: str) -> Inventory:
    """Every file and symlink under `root` (not following links), plus the watched `.git`."""
    found: Inventory = {}
    walk_tree(root, "", found, top=True)
    found.update(take_git(root))
    return found


def take_git(root: str) -> Inventory:
    """The watched part of `root/.git`: top-level entries, and `hooks/` and `info/` in full.

    A `.git` file (a worktree's pointer) is itself an entry.
    """
    found: Inventory = {}
    top = os.path.join(root, GIT_DIR)
    try:
        found[GIT_DIR] = _folder_key(os.lstat(top))
        entries = list(os.scandir(top))
    except FileNotFoundError:
        found.pop(GIT_DIR, None)
        return found
    except NotADirectoryError:
        found[GIT_DIR] = stat_key(os.lstat(top))
        return found
    for entry in entries:
        name = f"{GIT_DIR}/{entry.name}"
        st = entry.stat(follow_symlinks=False)
        if stat.S_ISDIR(st.st_mode):
            found[name + "/"] = _folder_key(st)
            if entry.name in GIT_WATCHED_FOLDERS:
                walk_tree(entry.path, name + "/", found)
        elif entry.name not in GIT_BUSY_FOLDERS:
            found[name] = stat_key(st)
    return found


def _folder_key(st: os.stat_result) -> Key:
    """A folder's identity only: its times change whenever git adds an entry."""
    return (0, 0, 0, st.st_ino, st.st_mode, 0)


def walk_tree(folder: str, prefix: str, found: Inventory, top: bool = False) -> None:
    """Add every non-directory under `folder` to `found`, named `prefix` + relative path."""
    stack = [(folder, prefix)]
    while stack:
        path, rel = stack.pop()
        subdirs, files = listing(path, top=top and path == folder)
        for name in files:
            key = file_key(os.path.join(path, name))
            if key is not None:
                found[rel + name] = key
        stack.extend((os.path.join(path, sub), f"{rel}{sub}/") for sub in subdirs)


def listing(path: str, top: bool = False) -> tuple[list[str], list[str]]:
    """The folder's subfolders and other entries (`.git` and `.agent` left out at the top)."""
    subdirs, files = [], []
    try:
        with os.scandir(path) as entries:
            for entry in entries:
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    continue
                if not is_dir:
                    files.append(entry.name)
                elif not (top and entry.name in (GIT_DIR, AGENT_DIR)):
                    subdirs.append(entry.name)
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        pass
    return subdirs, files


def file_key(path: str) -> Key | None:
    """The stat key of the file at `path`, or None when it is gone."""
    try:
        return stat_key(os.lstat(path))
    except (FileNotFoundError, NotADirectoryError):  # gone between listing and stat
        return None


class Tracker:
    """Takes the workspace's inventory again and again, listing only folders that changed.

    A folder's ctime moves whenever an entry is added, removed or renamed in it, so a
    folder whose stat key is unchanged still has the names it had: only its files are
    stat-ed again (their contents can change without the folder noticing). A folder
    changed within RACY_NS of a walk is listed anew next time, since a change in the same
    clock tick would leave its ctime as it was.
    """

    RACY_NS = 100_000_000

    def __init__(self, root: str) -> None:
        self.root = root
        # relative folder ("" or "a/b/") -> (its key, its subfolders, its other entries)
        self._folders: dict[str, tuple[Key, list[str], list[str]]] = {}

    def take(self) -> Inventory:
        """Every file under the root (as `take()` gives), reusing unchanged folder listings."""
        found: Inventory = {}
        folders: dict[str, tuple[Key, list[str], list[str]]] = {}
        trusted_before = time.time_ns() - self.RACY_NS
        lstat, base = os.lstat, self.root.rstrip("/") + "/"
        stack = [""]
        while stack:
            rel = stack.pop()
            try:
                st = lstat(base + rel)
            except (FileNotFoundError, NotADirectoryError):
                continue
            if not stat.S_ISDIR(st.st_mode):
                continue  # a folder replaced by a file: its parent was listed anew
            key = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, st.st_mode, 0)
            kept = self._folders.get(rel)
            if kept is not None and kept[0] == key:
                subdirs, files = kept[1], kept[2]
            else:
                subdirs, files = listing(base + rel, top=not rel)
                files = [rel + name for name in files]
                subdirs = [f"{rel}{sub}/" for sub in subdirs]
            for name in files:
                try:
                    f = lstat(base + name)
                except (FileNotFoundError, NotADirectoryError):
                    continue
                found[name] = (
                    f.st_mtime_ns,
                    f.st_ctime_ns,
                    f.st_size,
                    f.st_ino,
                    f.st_mode,
                    f.st_nlink,
                )
            stack += subdirs
            if st.st_ctime_ns < trusted_before:
                folders[rel] = (key, subdirs, files)
        self._folders = folders
        found.update(take_git(self.root))
        return found


def compare(before: Inventory, after: Inventory) -> list[Change]:
    """The paths created, changed or deleted from `before` to `after`, sorted by path."""
    changes = [
        Change(path, CHANGED)
        for path, key in after.items()
        if path in before and before[path] != key
    ]
    changes += [Change(path, CREATED) for path in after.keys() - before.keys()]
    changes += [Change(path, DELETED) for path in before.keys() - after.keys()]
    return sorted(changes, key=lambda c: c.path)


def refresh(root: str, inventory: Inventory, paths: Iterable[str]) -> list[Change]:
    """Bring `inventory` up to date for `paths` (e.g. the agent's own edits); what changed."""
    changes = []
    for path in paths:
        try:
            key: Key | None = stat_key(os.lstat(os.path.join(root, path)))
        except (FileNotFoundError, NotADirectoryError):
            key = None
        old = inventory.get(path)
        if key is not None and stat.S_ISDIR(key[4]):
            continue
        if key == old:
            continue
        if key is None:
            del inventory[path]
            changes.append(Change(path, DELETED))
        else:
            inventory[path] = key
            changes.append(Change(path, CREATED if old is None else CHANGED))
    return changes
