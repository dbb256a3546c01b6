"""Which of the tests failing now already failed on the session's start tree.

The baseline suite (agent/baseline.py) answers that once it has run. A change that begins
before it finished stops it, so it never runs beside verify's suite; then only the tests that
fail after the change are run on the start tree: in the sandbox, with each file the session
changed bound back over the tree as it was at the start (a file added since: empty; a file
deleted or turned into a symlink since: its nearest folder, as it was). The copies live in a
private folder on the host that no sandboxed command can reach except through those binds.
A test that passes alone there is confirmed by the start tree's whole suite, where it may
still fail (a module name clash, the order of tests): a failure is blamed on the change
only when the start tree's suite passed it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from agent.events import EventSink, PhaseChanged
from agent.gitops.plumbing import Change, diff_trees, read_blobs, run_git
from agent.testing.report import TestReport, run
from agent.testing.targets import saw_fail

REGULAR = ("100644", "100755")
NO_BYTECODE = {"PYTHONDONTWRITEBYTECODE": "1"}  # no cache of the start tree's code is left


class StartTree:
    """What the start tree's tests did: `known()` gives the baseline's report (None when it
    was stopped before it finished), `tree` is the start tree's git id."""

    def __init__(
        self,
        ctx,
        emit: EventSink,
        tree: str,
        current: Callable[[], str],
        known: Callable[[], TestReport | None],
        elapsed: Callable[[], float],
    ) -> None:
        self.ctx = ctx
        self.emit = emit
        self.tree = tree
        self.current = current
        self.known = known
        self.elapsed = elapsed
        self._asked: dict[str, bool] = {}  # test id -> failed on the start tree

    def duration_s(self) -> float | None:
        """How long the suite took on the start tree (None: it was stopped before the end;
        `elapsed()` then says how long it had run)."""
        report = self.known()
        return report.duration_s if report is not None else None

    def failed_before(self, ids: list[str]) -> set[str] | None:
        """The ids among `ids` that failed on the start tree (None: it cannot be told)."""
        report = self.known()
        if report is not None:
            return {t for t in ids if t in set(report.failing)}
        unasked = [t for t in dict.fromkeys(ids) if t not in self._asked]
        if unasked:
            self.emit(
                PhaseChanged(
                    "test",
                    f"did they fail before the change? running "
                    f"{len(unasked)} test(s) on the start tree",
                )
            )
            if not self._ask(unasked):
                return None
        return {t for t in ids if self._asked[t]}

    def _ask(self, ids: list[str]) -> bool:
        """Run `ids` on the start tree; those that pass alone are confirmed by its whole
        suite, where they may fail after all (a module name clash, the order of tests).
        False when the start tree cannot be run."""
        report = run_on_start_tree(self.ctx, self.tree, self.current(), ids, self.emit)
        if report is None:
            return False
        self._asked.update((t, saw_fail(report, t)) for t in ids)
        alone = [t for t in ids if not self._asked[t]]
        if alone:
            self.emit(
                PhaseChanged(
                    "test",
                    f"{len(alone)} passed alone on the start tree; its whole suite confirms it",
                )
            )
            whole = run_on_start_tree(self.ctx, self.tree, self.current(), [], self.emit)
            if whole is None:
                return False
            self._asked.update((t, saw_fail(whole, t)) for t in alone)
        return True


def run_on_start_tree(
    ctx, start: str, now: str, ids: list[str], emit: EventSink
) -> TestReport | None:
    """Run `ids` on the start tree (None: this sandbox cannot bind the start tree's files)."""
    box = _rebound(getattr(ctx.sandbox, "inner", None), ())
    if box is None:
        return None
    with tempfile.TemporaryDirectory(prefix="agent-start-tree-") as private:
        overlays = start_tree_overlays(ctx.root, start, now, Path(private))
        if overlays is None:
            return None
        # Verify runs in the loop's thread while no tool call runs: the context is ours.
        watch, env = ctx.sandbox, ctx.test_env
        ctx.sandbox = _Watched(watch, _rebound(watch.inner, overlays))
        ctx.test_env = {**env, **NO_BYTECODE}
        try:
            return run(ctx, " ".join(ids), emit)
        except ValueError:  # a path changed under us and can no longer be bound: cannot tell
            return None
        finally:
            ctx.sandbox, ctx.test_env = watch, env


def start_tree_overlays(
    root: Path, start: str, now: str, into: Path
) -> tuple[tuple[Path, Path], ...] | None:
    """(copy in `into`, repo path) for every path that differs between the trees `start`
    and `now`: the start's version bound over today's. None when a path cannot be bound."""
    changes = diff_trees(root, start, now)
    folders = sorted({_folder_for(root, c) for c in changes if not _file_bind(root, c)})
    if any(f == "" for f in folders):
        return None  # the workspace itself would have to be replaced
    folders = [f for f in folders if not any(f.startswith(g + "/") for g in folders)]
    files = [
        c
        for c in changes
        if _file_bind(root, c) and not any(c.path.startswith(f + "/") for f in folders)
    ]
    blobs = read_blobs(root, [c.old_blob for c in files if c.old_blob])
    overlays = []
    for number, change in enumerate(files):
        copy_path = into / f"f{number}"
        copy_path.write_bytes(blobs[change.old_blob] if change.old_blob else b"")
        copy_path.chmod(0o755 if change.old_mode == "100755" else 0o644)
        os.utime(copy_path, (0, 0))  # never the stamp a bytecode cache of today's file holds
        overlays.append((copy_path, Path(change.path)))
    for number, folder in enumerate(folders):
        copy_path = into / f"d{number}"
        _export(root, start, folder, copy_path)
        overlays.append((copy_path, Path(folder)))
    return tuple(overlays)


def _file_bind(root: Path, change: Change) -> bool:
    """True when the start's version of this path can be bound over a regular file now."""
    path = root / change.path
    return (
        change.mode in REGULAR
        and (change.old_mode is None or change.old_mode in REGULAR)
        and path.is_file()
        and not path.is_symlink()
    )


def _folder_for(root: Path, change: Change) -> str:
    """The nearest folder of `change` that exists now (repo-relative; "" for the root)."""
    parent = Path(change.path).parent
    while parent != Path(".") and ((root / parent).is_symlink() or not (root / parent).is_dir()):
        parent = parent.parent
    return "" if parent == Path(".") else parent.as_posix()


def _export(root: Path, tree: str, folder: str, into: Path) -> None:
    """The files under `folder` in `tree`, written under `into` (links as links)."""
    into.mkdir()
    listing = run_git(root, "ls-tree", "-r", "-z", tree, "--", folder + "/").split(b"\0")
    entries = []
    for record in filter(None, listing):
        meta, name = record.split(b"\t", 1)
        mode, _kind, blob = meta.decode().split(" ")
        entries.append((mode, blob, os.fsdecode(name)[len(folder) + 1 :]))
    blobs = read_blobs(root, [b for m, b, _ in entries if m != "160000"])
    for mode, blob, name in entries:
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == "120000":
            os.symlink(os.fsdecode(blobs[blob]), target)
        elif mode in REGULAR:
            target.write_bytes(blobs[blob])
            os.utime(target, (0, 0))
            if mode == "100755":
                target.chmod(0o755)
        else:
            target.mkdir(exist_ok=True)  # a submodule: its folder, empty


def _rebound(box, overlays: tuple[tuple[Path, Path], ...]):
    """The same sandbox with `overlays` bound (None: its backend cannot bind)."""
    rebind = getattr(box, "with_overlays", None)
    return None if rebind is None else rebind(overlays)


class _Watched:
    """Commands run in `inner`, watched by the session's watch (what they write is reviewed)."""

    def __init__(self, watch, inner) -> None:
        self.watch = watch
        self.inner = inner

    def __getattr__(self, name: str):
        return getattr(self.watch, name)  # note_edits, last_changes, ...

    @property
    def policy(self):
        """The policy of the sandbox underneath."""
        return self.inner.policy

    @property
    def backend(self) -> str:
        """The backend of the sandbox underneath."""
        return self.inner.backend

    def run(self, argv, **options):
        """Run `argv` in `inner`, recorded by the watch as any command is."""
        what = argv[2] if len(argv) >= 3 and argv[1] == "-c" else " ".join(argv)
        with self.watch.watching(what):
            return self.inner.run(argv, **options)


def can_check(ctx) -> bool:
    """True when this session's sandbox can run tests on the start tree."""
    return _rebound(getattr(ctx.sandbox, "inner", None), ()) is not None
