"""Running git, temporary indexes, and trees written from the working tree byte for byte."""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from agent.errors import UserError
from agent.gitops.pin import git_argv, git_env

AGENT_DIR = ".agent"
SESSION_REFS = "refs/agent/sessions/"  # a session's checkpoints: refs/agent/sessions/ID
SNAPSHOT_REFS = "refs/agent/snapshots/"
# Identity for commits that only live under refs/agent/ (checkpoints, snapshots).
AGENT_IDENTITY = {
    "GIT_AUTHOR_NAME": "agent",
    "GIT_AUTHOR_EMAIL": "agent@localhost",
    "GIT_COMMITTER_NAME": "agent",
    "GIT_COMMITTER_EMAIL": "agent@localhost",
}
GITLINK = "160000"
SYMLINK = "120000"


class GitError(UserError):
    """A git command failed; the message ends with the last lines git wrote to stderr."""


def run_git(
    root: Path,
    *args: str,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
) -> bytes:
    """Run `git -C root ARGS` and return its stdout bytes; raise `GitError` on failure.

    A session's pinned working tree is checked first (`GitTampered` if it changed) and named
    to git explicitly; repository-controlled programs are switched off (see `agent.gitops.pin`).
    """
    proc = subprocess.run(
        [*git_argv(root), *args],
        input=input,
        capture_output=True,
        env=git_env({"GIT_LITERAL_PATHSPECS": "1", **(env or {})}),
        check=False,
    )
    if check and proc.returncode != 0:
        lines = proc.stderr.decode(errors="replace").strip().splitlines() or ["(no message)"]
        command = next((a for a in args if not a.startswith("-") and "=" not in a), "")
        raise GitError(f"git {command} failed: {' '.join(lines[-3:])}")
    return proc.stdout


@contextlib.contextmanager
def temp_index() -> Iterator[dict[str, str]]:
    """An environment pointing GIT_INDEX_FILE at a fresh, empty, private index file."""
    with tempfile.TemporaryDirectory(prefix="agent-index-") as tmp:
        yield {"GIT_INDEX_FILE": str(Path(tmp) / "index")}


def rev(root: Path, name: str) -> str | None:
    """The object id `name` resolves to, or None (e.g. HEAD in a repository without commits)."""
    out = run_git(root, "rev-parse", "-q", "--verify", name, check=False).strip()
    return out.decode() or None


def tree_of(root: Path, commit: str) -> str:
    """The tree id of a commit."""
    return run_git(root, "rev-parse", f"{commit}^{{tree}}").decode().strip()


def commit_tree(
    root: Path,
    tree: str,
    parents: Sequence[str],
    message: str,
    identity: dict[str, str] | None = None,
) -> str:
    """Write a commit object (no ref moves) and return its id."""
    args = ["-c", "commit.gpgSign=false", "commit-tree", tree]
    for parent in parents:
        args += ["-p", parent]
    env = AGENT_IDENTITY if identity is None else identity
    return run_git(root, *args, input=message.encode(), env=env).decode().strip()


def update_ref(root: Path, ref: str, new: str, old: str | None, reason: str) -> None:
    """Move `ref` to `new` only if it still points at `old` (None: only if it does not exist)."""
    run_git(root, "update-ref", "-m", reason, ref, new, old or "")


@dataclass(frozen=True)
class Change:
    """One path that differs between two trees; `mode`/`blob` are the new side (None: deleted)."""

    path: str
    mode: str | None
    blob: str | None
    old_mode: str | None = None
    old_blob: str | None = None


def diff_trees(root: Path, old: str, new: str, paths: Sequence[str] = ()) -> list[Change]:
    """Every path whose entry differs between two trees, renames not detected."""
    out = run_git(root, "diff-tree", "-r", "-z", "--no-renames", old, new, "--", *paths)
    fields = out.split(b"\0")
    changes = []
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        if not meta.startswith(b":"):
            continue
        old_mode, new_mode, old_blob, new_blob, status = meta[1:].decode().split(" ")
        deleted, added = status == "D", status == "A"
        changes.append(
            Change(
                os.fsdecode(path),
                None if deleted else new_mode,
                None if deleted else new_blob,
                None if added else old_mode,
                None if added else old_blob,
            )
        )
    return changes


def read_blobs(root: Path, blobs: Sequence[str]) -> dict[str, bytes]:
    """The contents of many blobs with one `git cat-file --batch`."""
    if not blobs:
        return {}
    unique = list(dict.fromkeys(blobs))
    out = run_git(root, "cat-file", "--batch", input="\n".join(unique).encode() + b"\n")
    contents, pos = {}, 0
    for _ in unique:
        header_end = out.index(b"\n", pos)
        oid, _kind, size = out[pos:header_end].decode().split(" ")
        start = header_end + 1
        contents[oid] = out[start : start + int(size)]
        pos = start + int(size) + 1
    return contents


class TreeWriter:
    """Writes the working tree (tracked + untracked-not-ignored files) as a git tree.

    Blobs are hashed without clean filters (`--no-filters`) so a restore gives back the
    exact bytes, whatever `.gitattributes` says. A stat cache keeps repeated checkpoints
    of one session cheap; files changed within the last two seconds are always re-hashed
    (git's "racily clean" problem).
    """

    def __init__(self, root: Path):
        self.root = root
        self._cache: dict[str, tuple[tuple[int, int, int, int], str]] = {}
        self._last: tuple[dict[str, tuple[str, str]], str] | None = None

    def write(self) -> str:
        """Hash the working tree into the object store and return the tree id."""
        entries = self._entries()
        if self._last is not None and self._last[0] == entries:
            return self._last[1]
        lines = b"".join(
            f"{mode} {oid}\t".encode() + os.fsencode(path) + b"\0"
            for path, (mode, oid) in sorted(entries.items())
        )
        with temp_index() as env:
            run_git(self.root, "update-index", "-z", "--index-info", input=lines, env=env)
            tree = run_git(self.root, "write-tree", env=env).decode().strip()
        self._last = (entries, tree)
        return tree

    def _entries(self) -> dict[str, tuple[str, str]]:
        """path -> (mode, blob id) for every file git would see in the working tree."""
        staged = run_git(self.root, "ls-files", "-z", "--stage").split(b"\0")
        others = run_git(
            self.root,
            "ls-files",
            "-z",
            "--others",
            "--exclude-standard",
            f"--exclude=/{AGENT_DIR}/",
        )
        gitlinks: dict[str, str] = {}
        paths: set[str] = set()
        for record in staged:
            if record:
                meta, path = record.split(b"\t", 1)
                mode, oid, _stage = meta.decode().split(" ")
                name = os.fsdecode(path)
                paths.add(name)
                if mode == GITLINK:
                    gitlinks[name] = oid
        paths.update(os.fsdecode(p) for p in others.split(b"\0") if p and not p.endswith(b"/"))
        entries = {
            name: (GITLINK, oid) for name, oid in gitlinks.items() if (self.root / name).is_dir()
        }
        entries.update(self._hash_files(sorted(paths - set(gitlinks))))
        return entries

    def _hash_files(self, paths: list[str]) -> dict[str, tuple[str, str]]:
        """Blob ids for files, from the stat cache or freshly written with `hash-object`."""
        found: dict[str, tuple[str, str]] = {}
        to_hash: dict[str, tuple[str, tuple[int, int, int, int]]] = {}
        base = str(self.root)
        folders: dict[str, bool] = {}
        for name in paths:
            if name == AGENT_DIR or name.startswith(AGENT_DIR + "/"):
                continue
            if _beyond_link(base, name, folders):
                continue  # as git sees it: a folder made a symlink took its files away
            full = os.path.join(base, name)
            try:
                st = os.lstat(full)
            except (FileNotFoundError, NotADirectoryError):
                continue
            if stat.S_ISLNK(st.st_mode):
                target = os.fsencode(os.readlink(full))
                found[name] = (SYMLINK, self._hash_bytes(target))
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            mode = "100755" if st.st_mode & stat.S_IXUSR else "100644"
            key = (st.st_mtime_ns, st.st_size, st.st_ino, st.st_mode)
            cached = self._cache.get(name)
            if cached and cached[0] == key:
                found[name] = (mode, cached[1])
            else:
                to_hash[name] = (mode, key)
        found.update(self._hash_paths(to_hash))
        return found

    def _hash_paths(
        self, files: dict[str, tuple[str, tuple[int, int, int, int]]]
    ) -> dict[str, tuple[str, str]]:
        names = list(files)
        plain = [n for n in names if "\n" not in n]
        hashed: dict[str, str] = {}
        if plain:
            out = run_git(
                self.root,
                "hash-object",
                "-w",
                "--no-filters",
                "--stdin-paths",
                input=b"".join(os.fsencode(n) + b"\n" for n in plain),
            )
            hashed.update(zip(plain, out.decode().split(), strict=False))
        for name in names:
            if name not in hashed:  # a newline in the name: feed the bytes instead
                hashed[name] = self._hash_bytes((self.root / name).read_bytes())
        settled = time.time_ns() - 2_000_000_000
        result = {}
        for name, (mode, key) in files.items():
            result[name] = (mode, hashed[name])
            if key[0] < settled:
                self._cache[name] = (key, hashed[name])
        return result

    def _hash_bytes(self, data: bytes) -> str:
        return (
            run_git(self.root, "hash-object", "-w", "--no-filters", "--stdin", input=data)
            .decode()
            .strip()
        )


def _beyond_link(base: str, name: str, folders: dict[str, bool]) -> bool:
    """Whether a folder on the way to `name` is a symlink (or not a folder): then the file
    is not in the working tree, and reading it would read wherever the link points."""
    parent = os.path.dirname(name)
    if not parent:
        return False
    if parent not in folders:
        try:
            is_folder = stat.S_ISDIR(os.lstat(os.path.join(base, parent)).st_mode)
        except OSError:
            is_folder = False
        folders[parent] = not is_folder or _beyond_link(base, parent, folders)
    return folders[parent]


def ignored_among(root: Path, paths: list[str]) -> set[str]:
    """The paths among `paths` that git ignores (by the repository's ignore rules)."""
    if not paths:
        return set()
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
    return {os.fsdecode(p) for p in out.split(b"\0") if p}
