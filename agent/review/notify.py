"""A faster inventory on Linux: inotify names the paths a command may have touched.

Every folder of the workspace is watched. After a command only the paths its events name,
and files with more than one hard link (a write through another name reports there), are
stat-ed again; a new folder is listed whole. Whatever inotify cannot describe exactly (the
queue overflowed, a folder was renamed or removed, a watch could not be added) makes the
next inventory a full walk, after which the watches are set up anew. Events only say where
to look: the verdict is always the stat key, as in the full walk.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import stat
import struct

from agent.review import inventory
from agent.review.inventory import Inventory

IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE = 0x2, 0x4, 0x8
IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x40, 0x80, 0x100, 0x200
IN_DELETE_SELF, IN_MOVE_SELF, IN_Q_OVERFLOW, IN_IGNORED = 0x400, 0x800, 0x4000, 0x8000
IN_ONLYDIR, IN_DONT_FOLLOW, IN_ISDIR = 0x01000000, 0x02000000, 0x40000000
IN_NONBLOCK, IN_CLOEXEC = 0o4000, 0o2000000
WATCHED = (
    IN_MODIFY
    | IN_ATTRIB
    | IN_CLOSE_WRITE
    | IN_MOVED_FROM
    | IN_MOVED_TO
    | IN_CREATE
    | IN_DELETE
    | IN_DELETE_SELF
    | IN_MOVE_SELF
    | IN_ONLYDIR
    | IN_DONT_FOLLOW
)
# Events after which the watches no longer match the folders: start over with a full walk.
RESTRUCTURED = IN_Q_OVERFLOW | IN_DELETE_SELF | IN_MOVE_SELF
HEADER = struct.Struct("iIII")


def _libc():
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name, use_errno=True) if name else None
    return libc if libc is not None and hasattr(libc, "inotify_init1") else None


class NotifyTracker:
    """`inventory.Tracker`'s interface, with inotify deciding what to look at again."""

    def __init__(self, root: str) -> None:
        self.root = root.rstrip("/")
        self.full = inventory.Tracker(root)
        self._libc = _libc()
        self._fd = -1
        self._paths: dict[int, str] = {}  # watch -> relative folder ("" or "a/b/")
        self._last: Inventory | None = None
        self._linked: set[str] = set()  # files with other hard links: always stat-ed

    def take(self) -> Inventory:
        """The workspace's inventory, equal to what a full walk would give now."""
        if self._last is None or self._fd < 0:
            return self._full_walk()
        events = self._drain()
        if events is None:
            return self._full_walk()
        found = dict(self._last)
        made = self._new_folders(events)
        for rel in made:
            inventory.walk_tree(f"{self.root}/{rel}", rel, found)
        for path in events[0] | self._linked:
            key = inventory.file_key(f"{self.root}/{path}")
            if key is None or stat.S_ISDIR(key[4]):
                found.pop(path, None)
            else:
                found[path] = key
        fresh = events[0] | {p for p in found if p.startswith(tuple(made))} if made else events[0]
        self._linked = {p for p in self._linked | fresh if p in found and found[p][5] > 1}
        self._other_names(found, fresh)
        for path in [p for p in found if inventory.in_git_dir(p)]:
            del found[path]
        found.update(inventory.take_git(self.root))
        self._last = found
        return dict(found)

    def _other_names(self, found: Inventory, touched: set[str]) -> None:
        """A new hard link changes the old name's inode too, and inotify tells only the new
        name's folder: stat the other names of every newly linked inode."""
        inodes = {found[p][3] for p in touched if p in found and found[p][5] > 1}
        if not inodes:
            return
        for path, key in list(found.items()):
            if key[3] in inodes and path not in touched:
                now = inventory.file_key(f"{self.root}/{path}")
                if now is not None:
                    found[path] = now
                    self._linked.add(path)

    def _full_walk(self) -> Inventory:
        self._close()
        self._open()
        found = self.full.take()
        self._last = None if self._fd < 0 else dict(found)
        self._linked = {p for p, key in found.items() if key[5] > 1}
        return found

    def _open(self) -> None:
        if self._libc is None:
            return
        self._fd = self._libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self._fd >= 0 and not self._watch_tree(""):
            self._close()
        if self._fd < 0:
            self._libc = None  # out of watches or instances: full walks from now on

    def _watch_tree(self, rel: str) -> bool:
        """Watch `rel` and every folder under it (before listing them, so nothing is missed)."""
        stack = [rel]
        while stack:
            folder = stack.pop()
            wd = self._libc.inotify_add_watch(
                self._fd, os.fsencode(f"{self.root}/{folder}"), WATCHED
            )
            if wd < 0:
                return False
            self._paths[wd] = folder
            subdirs, _ = inventory.listing(f"{self.root}/{folder}", top=not folder)
            stack += [f"{folder}{sub}/" for sub in subdirs]
        return True

    def _drain(self) -> tuple[set[str], set[str]] | None:
        """(paths of files named by events, new folders), or None when a full walk is due."""
        files: set[str] = set()
        folders: set[str] = set()
        while True:
            try:
                data = os.read(self._fd, 1 << 16)
            except BlockingIOError:
                return files, folders
            at = 0
            while at < len(data):
                wd, mask, _cookie, size = HEADER.unpack_from(data, at)
                name = data[at + HEADER.size : at + HEADER.size + size].rstrip(b"\0")
                at += HEADER.size + size
                if mask & RESTRUCTURED or (mask & IN_ISDIR and mask & (IN_MOVED_FROM | IN_DELETE)):
                    return None
                if mask & IN_IGNORED or wd not in self._paths:
                    continue
                path = self._paths[wd] + os.fsdecode(name)
                if mask & IN_ISDIR:
                    folders.add(path + "/")
                elif name:
                    files.add(path)

    def _new_folders(self, events: tuple[set[str], set[str]]) -> list[str]:
        """Watch the folders made (or moved in) during the command; they are walked whole."""
        made = sorted(
            f for f in events[1] if f.rstrip("/") not in (inventory.GIT_DIR, inventory.AGENT_DIR)
        )
        for folder in made:
            if not self._watch_tree(folder):
                self._close()
                self._last = None
        return made

    def _close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
        self._fd, self._paths = -1, {}

    def close(self) -> None:
        """Stop watching."""
        self._close()
        self._last = None

    def __del__(self) -> None:
        self._close()
