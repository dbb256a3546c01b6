"""One session per working tree at a time: a lock file under `.agent/` with its owner.

Two sessions in one tree would checkpoint, diff and commit each other's files. The lock
holds the owner's pid and session id; a lock whose pid is gone (a `kill -9`) is stale and
taken over.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from agent.errors import UserError

LOCK_NAME = "session.lock"


class TreeBusy(UserError):
    """Another live session holds the working tree."""


class TreeLock:
    """The lock on one working tree, held by this process."""

    def __init__(self, root: Path):
        self.path = Path(root) / ".agent" / LOCK_NAME
        self.root = Path(root)

    def acquire(self) -> None:
        """Take the lock, or raise TreeBusy naming the session that holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._written({"pid": os.getpid(), "session": None})
        try:
            for _ in range(2):
                try:
                    os.link(tmp, self.path)  # atomic, and the lock never exists half-written
                    return
                except FileExistsError:
                    owner = _read(self.path)
                    if _alive(owner.get("pid")):
                        raise TreeBusy(_busy_message(self.root, owner)) from None
                    with contextlib.suppress(FileNotFoundError):
                        self.path.unlink()  # stale: its process is gone
            raise TreeBusy(_busy_message(self.root, _read(self.path)))
        finally:
            tmp.unlink()

    def name_session(self, session_id: str) -> None:
        """Record which session holds the lock, once it has an id."""
        os.replace(self._written({"pid": os.getpid(), "session": session_id}), self.path)

    def _written(self, owner: dict) -> Path:
        tmp = self.path.with_name(f".{LOCK_NAME}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(owner))
        return tmp

    def release(self) -> None:
        """Remove the lock if this process still owns it."""
        if _read(self.path).get("pid") == os.getpid():
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()


@contextlib.contextmanager
def locked_tree(root: Path) -> Iterator[TreeLock]:
    """Hold the working tree's lock for the block; released on every way out."""
    lock = TreeLock(root)
    lock.acquire()
    try:
        yield lock
    finally:
        lock.release()


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _busy_message(root: Path, owner: dict) -> str:
    who = f"session {owner['session']}" if owner.get("session") else "a session starting"
    return (
        f"{who} (pid {owner.get('pid', '?')}) is already working in {root}; wait for "
        "it to end, or run this one in its own worktree with --worktree"
    )
