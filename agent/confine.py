"""The one rule for the agent's own reads and writes of workspace content on the host: a
path is used only when its real path (every symlink followed) stays inside the workspace
and it is not a credentials file.

A sandboxed command can plant a symlink anywhere in the workspace; the sandbox cannot read
what it points to, and neither may the agent on the sandbox's behalf. Hard links cannot be
told from ordinary files cheaply and are not detected (a sandboxed command can only link
files it can already see, on the workspace's own file system).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from agent.sandbox.secrets import secret_in


class LeavesWorkspace(Exception):
    """A path that leads outside the workspace, or (`secret` set) to a credentials file
    or folder inside it."""

    def __init__(self, message: str, secret: str | None = None) -> None:
        super().__init__(message)
        self.secret = secret


def confine(root: Path | str, path: Path | str) -> Path:
    """The real path of `path` (relative to `root`, or absolute), or `LeavesWorkspace`.

    Refuses a real path outside `root` and any credentials file or folder (`.ssh`,
    `.npmrc`, `.codex/auth.json`, ...) inside it, at any depth.
    """
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(real_root, path))
    shown = str(path)
    if real != real_root and not real.startswith(real_root + os.sep):
        raise LeavesWorkspace(
            f"{shown} leaves the workspace: its real path is outside {real_root} "
            "(a symlink points out of it); refusing to use it"
        )
    given = os.path.normpath(str(path))
    secret = secret_in(real[len(real_root) + 1 :]) or (
        None if os.path.isabs(given) else secret_in(given.replace(os.sep, "/"))
    )
    if secret:
        raise LeavesWorkspace(
            f"{shown} is a credentials file or folder ({secret}); the agent does not read "
            "secrets, even inside the workspace",
            secret,
        )
    return Path(real)


def confined(root: Path | str, path: Path | str) -> Path | None:
    """`confine`, but None instead of raising."""
    try:
        return confine(root, path)
    except LeavesWorkspace:
        return None


def exists_inside(root: Path | str, path: Path | str) -> bool:
    """Whether `path` is a file or folder of the workspace; one outside it (or a credentials
    file) does not exist as far as the model is told: a test id must not probe the host."""
    real = confined(root, path)
    return real is not None and real.exists()


def open_inside(root: Path | str, path: Path | str) -> BinaryIO:
    """`path` opened for reading in binary, checked again once open: a link swapped in
    between the check and the open is caught by asking the kernel what was opened."""
    real = confine(root, path)
    # O_NONBLOCK: a FIFO a command planted must not hang the agent in open() or read().
    fd = os.open(
        real,
        os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0),
    )
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file", str(real))
    os.set_blocking(fd, True)
    try:
        opened = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:  # no /proc: the check before the open stands alone
        opened = str(real)
    try:
        confine(root, opened)
    except LeavesWorkspace:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def read_bytes_inside(root: Path | str, path: Path | str, limit: int = -1) -> bytes:
    """The bytes of a workspace file (at most `limit`), or `LeavesWorkspace` / OSError."""
    with open_inside(root, path) as handle:
        return handle.read(limit)


def read_text_inside(root: Path | str, path: Path | str, errors: str = "strict") -> str:
    """The UTF-8 text of a workspace file, or `LeavesWorkspace` / OSError /
    UnicodeDecodeError (with errors="strict")."""
    return read_bytes_inside(root, path).decode("utf-8", errors=errors)


class WorkspaceFilter:
    """Tells, for many repo-relative paths under one root, which stay inside: each folder
    is checked once, each file with one lstat (`allows`) or none (`folder_allows`, for a
    caller that lstats the file itself); only a link costs a real-path check."""

    def __init__(self, root: Path | str) -> None:
        self.root = os.path.realpath(root)
        self._folders: dict[str, bool] = {"": True}

    def allows(self, relative_path: str) -> bool:
        """Whether `relative_path` is inside the workspace and not a credentials file."""
        return self.folder_allows(relative_path) and (
            not os.path.islink(os.path.join(self.root, relative_path))
            or confined(self.root, relative_path) is not None
        )

    def folder_allows(self, relative_path: str) -> bool:
        """`allows`, except that the file itself may still be a link out."""
        if secret_in(relative_path):
            return False
        if relative_path.startswith("/") or ".." in relative_path.split("/"):
            return confined(self.root, relative_path) is not None
        return self._folder_inside(relative_path.rpartition("/")[0])

    def _folder_inside(self, folder: str) -> bool:
        known = self._folders.get(folder)
        if known is None:
            known = self._folder_inside(folder.rpartition("/")[0]) and (
                not os.path.islink(os.path.join(self.root, folder))
                or confined(self.root, folder) is not None
            )
            self._folders[folder] = known
        return known


ALLOW_HOME_FLAG = "--allow-home"


def refuse_home_workspace(root: Path | str, allowed: bool = False) -> None:
    """A UserError when the workspace is `/`, a home folder, or a folder holding one,
    unless the person passed ALLOW_HOME_FLAG: everything in it (keys, mail, other
    projects) would be the sandbox's to read and change, and the index's to send."""
    from agent.errors import UserError
    from agent.sandbox.mounts import hidden_homes

    if allowed:
        return
    real = Path(os.path.realpath(root))
    if real == Path("/"):
        what = "the root of the file system"
    else:
        home = next((h for h in hidden_homes() if h == real or h.is_relative_to(real)), None)
        if home is None:
            return
        what = "your home folder" if home == real else f"a folder holding your home {home}"
    raise UserError(
        f"the workspace {real} is {what}; run the agent in a project folder, "
        f"or pass {ALLOW_HOME_FLAG} to use it anyway"
    )
