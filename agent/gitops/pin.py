"""The git directory a session works on, pinned at its start, and git run safely on the host.

A sandboxed command can write the workspace, so anything there that git would read on the
host (a swapped `.git`, a `commondir`, a config include naming `core.fsmonitor`) could make
the agent's own git calls run a program outside the sandbox. While a session runs, its
working tree is pinned: the git directory and common directory by device and inode, and the
bytes of the files that say where they are and how git behaves. Every host git call checks
the pin first, names the pinned directories explicitly, and switches off the config keys
that run programs.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from agent.errors import SessionEnding, UserError

# Command-line config wins over every config file (includes too). A submodule's git runs
# on a git directory the workspace's `sub/.git` file names, out of the pin's reach, so git
# is kept out of submodules: no recursion, and `status` (the one command here that would
# look inside) is given --ignore-submodules=dirty by its callers, which .gitmodules cannot
# override as it can this default.
SAFE_OPTIONS = (
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "core.pager=cat",
    "-c",
    "core.quotepath=off",
    "-c",
    "submodule.recurse=false",
    "-c",
    "diff.ignoreSubmodules=dirty",
    "--no-pager",
)
# For `git status`: look at a submodule's checked-out commit, never run git inside it.
STATUS_SAFE = "--ignore-submodules=dirty"
SAFE_ENV = {
    "GIT_PAGER": "cat",
    "PAGER": "cat",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_TERMINAL_PROMPT": "0",
}
_UNSET_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_COMMON_DIR",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_EXTERNAL_DIFF",
    "GIT_CONFIG",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
)


class GitTampered(SessionEnding):
    """The git directory is no longer the one pinned at session start."""


@dataclass
class GitPin:
    """One working tree's git directories and what they looked like when pinned."""

    work_tree: Path
    git_dir: Path
    common_dir: Path
    seen: dict[str, object]
    broken: str | None = None

    def check(self) -> None:
        """Raise GitTampered if anything pinned changed (and from then on, always)."""
        if self.broken is None:
            now = fingerprint(self.work_tree, self.git_dir, self.common_dir)
            changed = [name for name, value in self.seen.items() if now.get(name) != value]
            if changed:
                self.broken = (
                    f"the git directory of {self.work_tree} was changed during the "
                    f"session ({', '.join(changed)}); stopped so no git runs on it. "
                    "Inspect it before using git here"
                )
        if self.broken is not None:
            raise GitTampered(self.broken)

    def argv(self) -> list[str]:
        """The git options naming the pinned directories explicitly."""
        return [f"--git-dir={self.git_dir}", f"--work-tree={self.work_tree}"]


def fingerprint(work_tree: Path, git_dir: Path, common_dir: Path) -> dict[str, object]:
    """What a pin compares: identities of the directories and bytes of the files that
    decide where git looks and what it runs."""
    seen: dict[str, object] = {
        ".git": _identity(work_tree / ".git", follow=False),
        "git dir": _identity(git_dir),
        "common dir": _identity(common_dir),
    }
    folders = {common_dir: "common dir", git_dir: "git dir"}  # one entry when they are one
    for folder, label in folders.items():
        for name in ("config", "config.worktree", "commondir", "gitdir"):
            data = seen[f"{label}/{name}"] = _contents(folder / name)
            if name.startswith("config") and data and b"path" in data:
                _pin_includes(folder / name, data, seen)
    seen[".git file"] = _contents(work_tree / ".git")
    return seen


_INCLUDE_PATH = re.compile(rb"^\s*path\s*=\s*(.+?)\s*$", re.MULTILINE | re.IGNORECASE)


def _pin_includes(config: Path, data: bytes, seen: dict[str, object], depth: int = 0) -> None:
    """The bytes of files a config includes: one inside the workspace is writable there."""
    for match in _INCLUDE_PATH.finditer(data):
        name = os.fsdecode(match.group(1).strip(b'"'))
        target = config.parent / Path(name).expanduser()
        key = f"included {target}"
        if key not in seen:
            included = seen[key] = _contents(target)
            if included and depth < 3:
                _pin_includes(target, included, seen, depth + 1)


def _identity(path: Path, follow: bool = True) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path, follow_symlinks=follow)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_mode


def _contents(path: Path) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read(1 << 20)
    except (IsADirectoryError, NotADirectoryError, FileNotFoundError):
        return None
    except OSError as error:
        return f"unreadable: {error.errno}".encode()


_PINS: dict[Path, GitPin] = {}


def pin_work_tree(work_tree: Path) -> GitPin:
    """Pin `work_tree`'s git directories as they are now (git itself says where they are)."""
    work_tree = Path(work_tree)
    proc = subprocess.run(
        [
            "git",
            *SAFE_OPTIONS,
            "-C",
            str(work_tree),
            "rev-parse",
            "--absolute-git-dir",
            "--git-common-dir",
        ],
        capture_output=True,
        env=git_env(),
        check=False,
    )
    lines = proc.stdout.decode(errors="surrogateescape").splitlines()
    if proc.returncode != 0 or len(lines) < 2:
        raise UserError(f"{work_tree} is not a git working tree (git rev-parse failed)")
    git_dir = Path(lines[0])
    common_dir = (git_dir / lines[1]) if not os.path.isabs(lines[1]) else Path(lines[1])
    common_dir = common_dir.resolve()
    pin = GitPin(work_tree, git_dir, common_dir, fingerprint(work_tree, git_dir, common_dir))
    _PINS[work_tree] = pin
    return pin


def unpin(work_tree: Path) -> None:
    """Forget the pin of `work_tree` (the session that took it ended)."""
    _PINS.pop(Path(work_tree), None)


@contextlib.contextmanager
def pinned(work_tree: Path) -> Iterator[GitPin]:
    """Pin `work_tree` for the duration of the block."""
    pin = pin_work_tree(work_tree)
    try:
        yield pin
    finally:
        if _PINS.get(Path(work_tree)) is pin:
            unpin(work_tree)


def pinned_now(work_tree: Path) -> GitPin | None:
    """The pin held on `work_tree`, if a session holds one."""
    return _PINS.get(Path(work_tree))


def git_argv(root: Path) -> list[str]:
    """`git` with the safe options for `root`: the pinned directories (checked first) when a
    session pinned it, else `-C root`."""
    pin = _PINS.get(Path(root))
    if pin is None:
        return ["git", *SAFE_OPTIONS, "-C", str(root)]
    pin.check()
    return ["git", *SAFE_OPTIONS, *pin.argv(), "-C", str(root)]


def git_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a host git call: ours, minus what would redirect git."""
    env = {k: v for k, v in os.environ.items() if k not in _UNSET_ENV}
    env.update(SAFE_ENV)
    env.update(extra or {})
    return env


def configured_hooks_dir(root: Path) -> str:
    """`rev-parse --git-path hooks` as the repository configures it (core.hooksPath
    honoured): installing a hook must see it, and rev-parse runs no hook."""
    argv = git_argv(root)
    at = argv.index("core.hooksPath=/dev/null")
    proc = subprocess.run(
        [*argv[: at - 1], *argv[at + 1 :], "rev-parse", "--git-path", "hooks"],
        capture_output=True,
        env=git_env(),
        check=False,
    )
    if proc.returncode != 0:
        raise UserError(f"git rev-parse failed in {root}: {proc.stderr.decode().strip()}")
    return proc.stdout.decode().strip()
