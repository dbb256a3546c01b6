"""Git-ignored files kept at session start, so `undo --to-start` can give them back.

Checkpoints hold only what git sees; a database or log the person keeps git-ignored would be
lost to a command that deletes it. At session start the ignored files (smallest first, up
to a total size cap, outside the read-only environment folders) are hashed into git's
object store and kept under `refs/agent/ignored/<session_id>`: a commit whose tree has
`files/` (the files), `modes` (each file's exact permission bits) and `over_cap` (the
ignored files not kept, with the stat that shows whether they changed since).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from agent.errors import UserError
from agent.gitops.nested import nested_git_dirs
from agent.gitops.plumbing import (
    AGENT_DIR,
    SESSION_REFS,
    SYMLINK,
    commit_tree,
    read_blobs,
    rev,
    run_git,
    temp_index,
    update_ref,
)
from agent.review import inventory

IGNORED_REFS = "refs/agent/ignored/"
DEFAULT_CAP_MB = 50


@dataclass
class IgnoredState:
    """What was kept of the ignored files at session start, and what was too big to keep."""

    kept: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # path: (mode, blob, perm)
    over_cap: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # path: stat key
    # nested `.git` folders at start (None: a session from before they were recorded)
    git_dirs: list[str] | None = None

    def started_with(self, path: str) -> bool:
        """True when `path` was an ignored file at session start (kept or not)."""
        return path in self.kept or path in self.over_cap


def ignored_files(root: Path, start_tree: str, skip: tuple[str, ...] = ()) -> list[str]:
    """The workspace's files git does not see (not in the start checkpoint's tree), outside
    `.git`, `.agent` and the `skip` folders (repo-relative)."""
    seen = {
        os.fsdecode(p)
        for p in run_git(root, "ls-tree", "-r", "-z", "--name-only", start_tree).split(b"\0")
        if p
    }
    prefixes = tuple(f"{folder.rstrip('/')}/" for folder in skip)
    return sorted(
        p
        for p in inventory.take(str(root))
        if p not in seen
        and not inventory.in_git_dir(p)
        and not p.startswith(AGENT_DIR + "/")
        and not p.startswith(prefixes)
        and not _in_other_repository(p, seen)
    )


def _in_other_repository(path: str, seen: set[str]) -> bool:
    """True under a submodule (a tree entry that is a folder) or any nested `.git`: another
    repository's files are not this session's ignored files."""
    parts = path.split("/")
    return ".git" in parts[:-1] or any("/".join(parts[:n]) in seen for n in range(1, len(parts)))


def keep_ignored(
    root: Path, session_id: str, start_tree: str, cap_bytes: int, skip: tuple[str, ...] = ()
) -> IgnoredState:
    """Keep the ignored files, smallest first, while their total stays within `cap_bytes`."""
    sized = []
    for path in ignored_files(root, start_tree, skip):
        try:
            sized.append((os.lstat(root / path), path))
        except OSError:
            continue
    state, total = IgnoredState(), 0
    chosen: list[tuple[str, os.stat_result]] = []
    for st, path in sorted(sized, key=lambda item: (item[0].st_size, item[1])):
        keepable = stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)
        if keepable and total + st.st_size <= cap_bytes:
            chosen.append((path, st))
            total += st.st_size
        else:
            state.over_cap[path] = _change_key(st)
    blobs = _hash(root, [path for path, _ in chosen], write=True)
    for path, st in chosen:
        mode = (
            SYMLINK
            if stat.S_ISLNK(st.st_mode)
            else "100755"
            if st.st_mode & stat.S_IXUSR
            else "100644"
        )
        state.kept[path] = (mode, blobs[path], stat.S_IMODE(st.st_mode))
    state.git_dirs = nested_git_dirs(root)
    _store(root, session_id, state)
    return state


def ignored_state(root: Path, session_id: str) -> IgnoredState | None:
    """What `keep_ignored` kept for the session, or None (a session from before it)."""
    ref = IGNORED_REFS + session_id
    if rev(root, ref) is None:
        return None
    state = IgnoredState()
    listing = run_git(root, "ls-tree", "-r", "-z", f"{ref}:files").split(b"\0")
    modes, over = (
        run_git(root, "cat-file", "blob", f"{ref}:{name}") for name in ("modes", "over_cap")
    )
    perms = dict(_records(modes, 1))
    for record in filter(None, listing):
        meta, path = record.split(b"\t", 1)
        mode, _kind, blob = meta.decode().split(" ")
        name = os.fsdecode(path)
        state.kept[name] = (mode, blob, int(perms.get(name, ["644"])[0], 8))
    for name, values in _records(over, 3):
        state.over_cap[name] = tuple(int(v) for v in values)
    if rev(root, f"{ref}:git_dirs") is not None:
        listed = run_git(root, "cat-file", "blob", f"{ref}:git_dirs")
        state.git_dirs = [os.fsdecode(p) for p in listed.split(b"\0") if p]
    return state


def restore_ignored(root: Path, session_id: str) -> tuple[list[str], list[str]]:
    """Put back the kept ignored files the session deleted or changed, byte for byte and
    with their mode; remove ignored files made since the start. Returns (the paths put
    back or removed, the ignored files over the cap that changed: not restorable)."""
    state = ignored_state(root, session_id)
    if state is None:
        return [], []
    present = {
        p: st
        for p in state.kept
        if _plain_parents(root, p) and (st := _lstat(root / p)) is not None
    }
    current = _hash(root, [p for p in present if stat.S_ISREG(present[p].st_mode)])
    differ = [
        p
        for p, (mode, blob, perm) in state.kept.items()
        if p not in present or _differs(root, p, present[p], current, mode, blob, perm)
    ]
    contents = read_blobs(root, [state.kept[p][1] for p in differ])
    for path in differ:
        mode, blob, perm = state.kept[path]
        _clear_parents(root, path)
        _put_back(root / path, contents[blob], mode, perm)
    skip = tuple(_environment_folders(root))
    made = [p for p in ignored_now(root, session_id, skip) if not state.started_with(p)]
    for path in made:
        (root / path).unlink(missing_ok=True)
        _prune_empty_parents(root, path)
    lost = sorted(
        p
        for p, key in state.over_cap.items()
        if (st := _lstat(root / p)) is None or _change_key(st) != key
    )
    return sorted(differ + made), lost


def ignored_now(root: Path, session_id: str, skip: tuple[str, ...]) -> list[str]:
    """The ignored files in the workspace now, judged against the session's start tree."""
    start = run_git(root, "rev-list", "--max-parents=0", SESSION_REFS + session_id)
    tree = run_git(root, "rev-parse", start.decode().split()[0] + "^{tree}").decode().strip()
    return ignored_files(root, tree, skip)


def _prune_empty_parents(root: Path, path: str) -> None:
    parent = (root / path).parent
    while parent != root:
        try:
            parent.rmdir()
        except OSError:  # not empty: stop here
            return
        parent = parent.parent


def _environment_folders(root: Path) -> list[str]:
    from agent.sandbox.envs import environment_folders

    return [p.relative_to(root).as_posix() for p in environment_folders(root)]


def _differs(
    root: Path,
    path: str,
    st: os.stat_result,
    current: dict[str, str],
    mode: str,
    blob: str,
    perm: int,
) -> bool:
    if mode == SYMLINK:
        return not stat.S_ISLNK(st.st_mode) or _hash_link(root, path) != blob
    return current.get(path) != blob or stat.S_IMODE(st.st_mode) != perm


def _plain_parents(root: Path, path: str) -> bool:
    """True when no folder on the way to `path` is a symlink or a file."""
    parent = (root / path).parent
    return parent == root or (
        parent.is_dir()
        and not any((root / part).is_symlink() for part in Path(path).parents if part != Path("."))
    )


def _clear_parents(root: Path, path: str) -> None:
    """Remove a symlink or file a command put in place of a folder on the way to `path`, so
    the write lands in the workspace and never follows a link out of it."""
    for part in reversed(Path(path).parents[:-1]):
        folder = root / part
        if folder.is_symlink() or folder.is_file():
            folder.unlink()


def _put_back(path: Path, data: bytes, mode: str, perm: int) -> None:
    """Write the file atomically (temp name, then rename) with its exact permission bits."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.agent-tmp-{os.getpid()}")
    if mode == SYMLINK:
        os.symlink(os.fsdecode(data), tmp)
    else:
        with open(tmp, "wb") as out:
            out.write(data)
        os.chmod(tmp, perm)
    if path.is_dir() and not path.is_symlink():
        try:
            path.rmdir()
        except OSError as error:
            tmp.unlink()
            raise UserError(
                f"cannot restore {path}: a folder with files is in its place; "
                "move it away and run the undo again"
            ) from error
    os.replace(tmp, path)


def _store(root: Path, session_id: str, state: IgnoredState) -> None:
    lines = b"".join(
        f"{mode} {blob}\t".encode() + os.fsencode(path) + b"\0"
        for path, (mode, blob, _perm) in sorted(state.kept.items())
    )
    with temp_index() as env:
        run_git(root, "update-index", "-z", "--index-info", input=lines, env=env)
        files = run_git(root, "write-tree", env=env).decode().strip()
    modes = b"".join(
        f"{perm:o}\0".encode() + os.fsencode(p) + b"\0"
        for p, (_m, _b, perm) in sorted(state.kept.items())
    )
    over = b"".join(
        f"{a}\0{b}\0{c}\0".encode() + os.fsencode(p) + b"\0"
        for p, (a, b, c) in sorted(state.over_cap.items())
    )
    blob_of = {
        name: run_git(root, "hash-object", "-w", "--stdin", input=data).decode().strip()
        for name, data in (
            ("modes", modes),
            ("over_cap", over),
            ("git_dirs", _nul_list(state.git_dirs or [])),
        )
    }
    tree = (
        run_git(
            root,
            "mktree",
            "-z",
            input=(
                f"040000 tree {files}\tfiles\x00100644 blob {blob_of['modes']}\tmodes\x00"
                f"100644 blob {blob_of['git_dirs']}\tgit_dirs\x00"
                f"100644 blob {blob_of['over_cap']}\tover_cap\x00"
            ).encode(),
        )
        .decode()
        .strip()
    )
    sha = commit_tree(root, tree, [], f"ignored files at the start of session {session_id}\n")
    update_ref(root, IGNORED_REFS + session_id, sha, None, "agent: keep ignored files")


def _nul_list(paths: list[str]) -> bytes:
    return b"".join(os.fsencode(p) + b"\0" for p in paths)


def _records(data: bytes, width: int) -> list[tuple[str, list[str]]]:
    """Records of `width` values then a path, all NUL-separated: (path, values)."""
    fields = data.split(b"\0")[:-1]
    step = width + 1
    return [
        (os.fsdecode(fields[i + width]), [f.decode() for f in fields[i : i + width]])
        for i in range(0, len(fields) - width, step)
    ]


def _hash(root: Path, paths: list[str], write: bool = False) -> dict[str, str]:
    """Blob ids of files (raw bytes, no filters); symlinks hashed as their target."""
    plain = [p for p in paths if "\n" not in p and not os.path.islink(root / p)]
    found: dict[str, str] = {}
    if plain:
        args = ["hash-object", *(["-w"] if write else []), "--no-filters", "--stdin-paths"]
        out = run_git(root, *args, input=b"".join(os.fsencode(p) + b"\n" for p in plain))
        found.update(zip(plain, out.decode().split(), strict=False))
    for path in paths:
        if path not in found:
            data = (
                os.fsencode(os.readlink(root / path))
                if os.path.islink(root / path)
                else (root / path).read_bytes()
            )
            args = ["hash-object", *(["-w"] if write else []), "--no-filters", "--stdin"]
            found[path] = run_git(root, *args, input=data).decode().strip()
    return found


def _hash_link(root: Path, path: str) -> str:
    return _hash(root, [path])[path]


def _change_key(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
