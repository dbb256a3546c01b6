"""Git safety for a session: checkpoints under a private ref, undo, diff, and results.

A checkpoint is a commit of the whole working tree (tracked files and untracked files
that are not ignored, deletions included) written through a temporary index and kept
under `refs/agent/sessions/<session_id>`; each checkpoint's parent is the one before,
and the first is the state the session started from. The user's HEAD, index and stash
are never read-modify-written: only `commit()` moves HEAD, because the user asked it to.

Undo is itself recorded: the state before an undo becomes a checkpoint, and the undo adds
a checkpoint whose message names the checkpoint it restored, so every undo can be undone
with `restore()`.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from agent.errors import UserError
from agent.gitops import results
from agent.gitops.pin import STATUS_SAFE
from agent.gitops.plumbing import (
    AGENT_DIR,
    SESSION_REFS,
    SNAPSHOT_REFS,
    GitError,
    TreeWriter,
    commit_tree,
    diff_trees,
    rev,
    run_git,
    tree_of,
    update_ref,
)
from agent.gitops.restore import restore_tree

STALE_LOCK_S = 1.0


@dataclass(frozen=True)
class Checkpoint:
    """One recorded state of a session's working tree."""

    sha: str
    parent: str | None
    tree: str
    label: str
    at: float
    restored: str | None = None  # set on undo records: the checkpoint they brought back


@dataclass(frozen=True)
class Restored:
    """What an undo did: the checkpoint restored, where the prior state was saved, the paths."""

    target: Checkpoint
    saved: str
    paths: list[str]
    not_restorable: list[str] = field(default_factory=list)  # ignored files over the cap


class Workspace:
    """A git working tree the agent may change, with checkpoints to take every change back."""

    def __init__(self, root: Path):
        self.root = root
        self._trees = TreeWriter(root)

    @classmethod
    def open(cls, path: Path | str) -> Workspace:
        """The workspace containing `path`; `UserError` if it is not inside a git work tree."""
        import git as gitpython

        try:
            repo = gitpython.Repo(Path(path), search_parent_directories=True)
        except (gitpython.InvalidGitRepositoryError, gitpython.NoSuchPathError):
            raise UserError(
                f"{path} is not inside a git repository (run `git init` first)"
            ) from None
        if repo.bare or repo.working_tree_dir is None:
            raise UserError(f"{path} is a bare git repository; the agent needs a working tree")
        return cls(Path(repo.working_tree_dir).resolve())

    def head(self) -> str | None:
        """The commit HEAD points at, or None before the first commit."""
        return rev(self.root, "HEAD")

    def dirty_files(self) -> list[str]:
        """Paths with uncommitted changes, staged or not, untracked included (not ignored)."""
        out = run_git(
            self.root, "status", "--porcelain=v1", "-z", "--untracked-files=all", STATUS_SAFE
        )
        paths, records = [], iter(out.split(b"\0"))
        for record in records:
            if not record:
                continue
            if record[:1] in (b"R", b"C"):
                next(records, None)  # the rename's source path follows
            path = record[3:].decode(errors="surrogateescape")
            if path != AGENT_DIR + "/" and not path.startswith(AGENT_DIR + "/"):
                paths.append(path)
        return paths

    def is_dirty(self) -> bool:
        """True when `dirty_files()` is not empty."""
        return bool(self.dirty_files())

    def write_tree(self) -> str:
        """The current working tree as a git tree id (objects written, nothing else moved)."""
        return self._trees.write()

    def snapshot(self, label: str = "snapshot") -> str:
        """Keep the current working tree under `refs/agent/snapshots/`; returns the commit."""
        head = self.head()
        sha = commit_tree(
            self.root,
            self.write_tree(),
            [head] if head else [],
            f"{label}\n\nhead: {head or 'none'}\n",
        )
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"
        update_ref(self.root, SNAPSHOT_REFS + name, sha, None, f"agent: {label}")
        return sha

    def checkpoint(self, session_id: str, label: str) -> str:
        """Record the working tree as the session's next checkpoint; returns its commit.

        The first call is the session's starting state. A call that finds nothing changed
        since the last checkpoint returns the last one instead of adding an empty step.
        """
        return self._record(session_id, label, self.write_tree())

    def checkpoints(self, session_id: str) -> list[Checkpoint]:
        """The session's checkpoints, newest first; empty if it has none."""
        ref = SESSION_REFS + session_id
        if rev(self.root, ref) is None:
            return []
        out = run_git(
            self.root, "log", "--first-parent", "-z", "--format=%H%x1f%P%x1f%T%x1f%ct%x1f%B", ref
        )
        return [_parse_checkpoint(record) for record in out.decode().split("\0") if record]

    def start(self, session_id: str) -> Checkpoint:
        """The session's first checkpoint: the state it started from."""
        return self._chain(session_id)[-1]

    def undo(self, session_id: str, steps: int = 1) -> Restored:
        """Go back `steps` checkpoints from now (edits not yet checkpointed count as one)."""
        if steps < 1:
            raise UserError("--steps must be at least 1")
        saved = self.checkpoint(session_id, "before undo")
        chain = {c.sha: c for c in self._chain(session_id)}
        position = _logical(chain, chain[saved])
        for taken in range(steps):
            if position.parent is None:
                raise UserError(
                    f"session {session_id} has only {taken} step(s) to undo; "
                    "use --to-start to go back to where it began"
                )
            position = _logical(chain, chain[position.parent])
        return self._restore_from(session_id, saved, position)

    def undo_to_start(self, session_id: str) -> Restored:
        """Put the working tree back exactly as it was when the session started."""
        from agent.gitops.ignored import ignored_state, restore_ignored
        from agent.gitops.nested import remove_new_git_dirs

        kept, nested = ignored_state(self.root, session_id), []
        if kept is not None and kept.git_dirs is not None:
            # First, so the nested repository's files read as this tree's untracked files.
            nested = remove_new_git_dirs(self.root, kept.git_dirs)
        saved = self.checkpoint(session_id, "before undo")
        restored = self._restore_from(session_id, saved, self.start(session_id))
        ignored, lost = restore_ignored(self.root, session_id)
        return replace(restored, paths=restored.paths + ignored + nested, not_restorable=lost)

    def restore(self, session_id: str, checkpoint: str) -> Restored:
        """Bring back any checkpoint of the session (by commit id or unique prefix)."""
        chain = self._chain(session_id)
        matches = [c for c in chain if c.sha.startswith(checkpoint.lower())]
        if len(matches) != 1 or not checkpoint:
            raise UserError(f"no single checkpoint {checkpoint!r} in session {session_id}")
        saved = self.checkpoint(session_id, "before undo")
        return self._restore_from(session_id, saved, matches[0])

    def diff(self, session_id: str, against: str = "start") -> str:
        """Unified diff from a checkpoint ("start", "last" or a commit) to the working tree."""
        base = self._resolve(session_id, against)
        out = run_git(
            self.root,
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--no-renames",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            base.tree,
            self.write_tree(),
        )
        return out.decode(errors="replace")

    def changed_files(self, session_id: str, against: str = "start") -> list[str]:
        """Paths that differ between a checkpoint and the working tree (added, changed, deleted)."""
        base = self._resolve(session_id, against)
        return [c.path for c in diff_trees(self.root, base.tree, self.write_tree())]

    def commit(self, session_id: str, message: str) -> str:
        """Commit exactly the session's changed files on the current branch; returns the commit.

        Other staged changes stay staged and out of the commit. The commit is made with
        plumbing, so the repository's commit hooks are not run.
        """
        return results.commit(self.root, self.changed_files(session_id), message)

    def branch(self, session_id: str, name: str, message: str) -> str:
        """Put the session's changes on a new branch `name`; the user stays where they were.

        The new branch is HEAD plus one commit of the session's changed files. The
        current branch is not switched, and the working tree goes back to the session's
        start (recorded as an undo, so `restore()` can bring the changes back here too).
        """
        sha = results.branch(self.root, self.changed_files(session_id), name, message)
        self.undo_to_start(session_id)
        return sha

    def worktree(self, session_id: str, allow_dirty: bool = False) -> Path:
        """A new worktree at HEAD in `.agent/worktrees/<session_id>`; returns its path.

        With `allow_dirty` the user's uncommitted files are copied in. The user's own tree
        is never touched; the worktree's HEAD is detached.
        """
        tree = self.write_tree() if allow_dirty else None
        exclude_agent_dir(self.root)
        return results.add_worktree(self.root, session_id, tree)

    def apply_worktree_changes(self, worktree: Path, session_id: str) -> list[str]:
        """Copy a worktree session's changes into this tree; refuses files changed here since.

        The state before is kept with `snapshot()`. Returns the paths written or removed.
        """
        other = Workspace.open(worktree)
        start = other.start(session_id).tree
        changes = diff_trees(self.root, start, other.write_tree())
        self.snapshot(f"before applying session {session_id}")
        return results.apply_changes_here(self.root, changes, start, self.write_tree())

    def remove_worktree(self, worktree: Path) -> None:
        """Delete a worktree made by `worktree()` and forget it in git."""
        results.remove_worktree(self.root, worktree)

    def _record(self, session_id: str, label: str, tree: str, restored: str | None = None) -> str:
        ref = SESSION_REFS + session_id
        found = run_git(self.root, "for-each-ref", "--format=%(objectname) %(tree)", ref).split()
        tip, tip_tree = (found[0].decode(), found[1].decode()) if found else (None, None)
        if tip and restored is None and tip_tree == tree:
            return tip
        trailer = f"restored: {restored}\n" if restored else ""
        head = "" if tip else f"head: {self.head() or 'none'}\n"  # where the session began
        message = f"{label}\n\nsession: {session_id}\n{head}{trailer}"
        sha = commit_tree(self.root, tree, [tip] if tip else [], message)
        try:
            update_ref(self.root, ref, sha, tip, f"agent: {label}")
        except GitError:
            self._remove_stale_lock(ref)
            update_ref(self.root, ref, sha, tip, f"agent: {label}")
        return sha

    def _remove_stale_lock(self, ref: str) -> None:
        """Remove our ref's lock file if a killed process left it behind.

        A live git process holds a ref lock for milliseconds, so a lock still there after
        `STALE_LOCK_S` seconds belongs to a process that died mid-update.
        """
        common = run_git(self.root, "rev-parse", "--git-common-dir").decode().strip()
        lock = (self.root / common / ref).with_name(ref.rsplit("/", 1)[-1] + ".lock")
        deadline = time.monotonic() + STALE_LOCK_S
        while lock.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            lock.unlink()
        except FileNotFoundError:
            pass

    def _chain(self, session_id: str) -> list[Checkpoint]:
        chain = self.checkpoints(session_id)
        if not chain:
            raise UserError(f"session {session_id} has no checkpoints in {self.root}")
        return chain

    def _resolve(self, session_id: str, against: str) -> Checkpoint:
        chain = self._chain(session_id)
        if against == "start":
            return chain[-1]
        if against == "last":
            return chain[0]
        matches = [c for c in chain if against and c.sha.startswith(against.lower())]
        if len(matches) != 1:
            raise UserError(f"no single checkpoint {against!r} in session {session_id}")
        return matches[0]

    def _restore_from(self, session_id: str, saved: str, target: Checkpoint) -> Restored:
        current = tree_of(self.root, saved)
        paths = restore_tree(self.root, current, target.tree)
        self._record(session_id, "undo", target.tree, restored=target.sha)
        return Restored(target, saved, paths)


def _logical(chain: dict[str, Checkpoint], checkpoint: Checkpoint) -> Checkpoint:
    """An undo record stands for the checkpoint it restored; any other is itself."""
    while checkpoint.restored and checkpoint.restored in chain:
        checkpoint = chain[checkpoint.restored]
    return checkpoint


def _parse_checkpoint(record: str) -> Checkpoint:
    sha, parents, tree, at, body = record.strip("\n").split("\x1f", 4)
    label, _, trailers = body.partition("\n")
    fields = dict(line.split(": ", 1) for line in trailers.splitlines() if ": " in line)
    return Checkpoint(
        sha, parents.split()[0] if parents else None, tree, label, float(at), fields.get("restored")
    )


def exclude_agent_dir(root: Path) -> None:
    """Add `.agent/` to the repository's `info/exclude` (never to .gitignore) if missing."""
    out = run_git(root, "rev-parse", "--git-common-dir", check=False).decode().strip()
    if not out:
        return
    exclude = (root / out if not Path(out).is_absolute() else Path(out)) / "info" / "exclude"
    text = exclude.read_text() if exclude.exists() else ""
    if any(line.strip() in (f"{AGENT_DIR}/", f"/{AGENT_DIR}/") for line in text.splitlines()):
        return
    exclude.parent.mkdir(parents=True, exist_ok=True)
    sep = "" if not text or text.endswith("\n") else "\n"
    results.atomic_write_text(exclude, f"{text}{sep}{AGENT_DIR}/\n")
