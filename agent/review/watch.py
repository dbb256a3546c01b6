"""A sandbox that notes every file each command created, changed or deleted in the workspace.

The inventory after one command is the inventory before the next: between commands only
the agent's own edits happen, and those are brought in with `note_edits`. So each command
costs one walk, and on Linux only a look at the paths inotify names (`agent.review.notify`).
Commands that run at once (parallel read-only tools) share one chain of inventories, so
every change is seen once, by whichever command's walk came first. A thread may run its
commands in the background (the baseline's test runs, inside `background()`): a command
that starts while one runs takes an inventory first, so what the background run changed
until then is its own; while a command runs, every change is the command's. (A file a
background run writes while a command runs is put down to the command: no inventory can
tell two processes apart.) `command_listeners` hear each command's own changes as it ends.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from agent.review import inventory
from agent.review.inventory import Change
from agent.review.notify import NotifyTracker

# (what did it: a command line or "edit", the changes) -> None
TouchSink = Callable[[str, list[Change]], None]


class WatchedSandbox:
    """Runs commands through `inner` and reports what each one did to the files of `root`."""

    def __init__(self, inner, root: Path, on_touched: TouchSink | None = None) -> None:
        self.inner = inner
        self.root = Path(root).resolve()
        self.on_touched = on_touched
        # each told (what, changes) of every command, not background, once it ended
        self.command_listeners: list[TouchSink] = []
        self._tracker = NotifyTracker(str(self.root))
        self._current: inventory.Inventory | None = None
        self._lock = threading.Lock()
        self._local = threading.local()  # this thread's last changes; in the background?
        self._background: dict[int, str] = {}  # thread id -> its background command, running
        self._commands = 0  # commands running, not background

    @property
    def last_changes(self) -> list[Change]:
        """What the last command this thread ran changed."""
        return getattr(self._local, "changes", [])

    @contextlib.contextmanager
    def background(self) -> Iterator[None]:
        """Commands this thread runs in the block are background runs (see the module)."""
        self._local.background = True
        try:
            yield
        finally:
            self._local.background = False

    @property
    def policy(self):
        """The policy of the sandbox underneath."""
        return self.inner.policy

    @property
    def backend(self) -> str:
        """The backend of the sandbox underneath."""
        return self.inner.backend

    def baseline(self) -> None:
        """Take the first inventory now (else the first command takes it before it runs)."""
        with self._lock:
            if self._current is None:
                self._current = self._tracker.take()

    def run(
        self,
        argv: Sequence[str],
        cwd: Path | str | None = None,
        timeout: float | None = None,
        network: bool = False,
        env: Mapping[str, str] | None = None,
        stdin: str | bytes | None = None,
        on_output=None,
        writable: Sequence[Path] = (),
    ):
        """Run `argv` as `Sandbox.run` does, then record what it changed."""
        with self.watching(_describe(argv)):
            return self.inner.run(
                argv,
                cwd=cwd,
                timeout=timeout,
                network=network,
                env=env,
                stdin=stdin,
                on_output=on_output,
                writable=writable,
            )

    @contextlib.contextmanager
    def watching(self, what: str) -> Iterator[None]:
        """Record what the block changed as done by `what`: a command, or a process outside
        the sandbox that may write the workspace (an MCP server's tool)."""
        self.baseline()
        background = getattr(self._local, "background", False)
        before: list[Change] = []
        by = ""
        with self._lock:
            # The agent's own git plumbing changes .git between commands: look afresh.
            for name in [p for p in self._current if inventory.in_git_dir(p)]:
                del self._current[name]
            self._current.update(inventory.take_git(str(self.root)))
            if background:
                self._background[threading.get_ident()] = what
            else:
                self._commands += 1
                if self._background:  # what the background run changed until now is its own
                    before, by = self._take(), next(iter(self._background.values()))
        if before:
            self._report(by, before)
        try:
            yield
        finally:
            self._after(what, background)

    def note_edits(self, paths: Iterable[str]) -> None:
        """The agent itself wrote or removed `paths` (repo-relative): record them as edits."""
        with self._lock:
            if self._current is None:
                return
            changes = inventory.refresh(str(self.root), self._current, paths)
        if changes:
            self._report("edit", changes)

    def close(self) -> None:
        """Stop watching (the next command starts over with a full walk)."""
        with self._lock:
            self._tracker.close()
            self._current = None

    def _after(self, what: str, background: bool) -> None:
        with self._lock:
            if background:
                del self._background[threading.get_ident()]
                # while a command runs, what changes is the command's (it takes it at its end)
                changes = [] if self._commands else self._take()
            else:
                self._commands -= 1
                changes = self._take()
        self._local.changes = changes
        if changes:
            self._report(what, changes)
        if not background:
            for listener in self.command_listeners:
                listener(what, changes)

    def _take(self) -> list[Change]:
        """The changes since the last inventory; the caller holds the lock."""
        after = self._tracker.take()
        changes = inventory.compare(self._current or {}, after)
        self._current = after
        return changes

    def _report(self, what: str, changes: list[Change]) -> None:
        if self.on_touched is not None:
            self.on_touched(what, changes)


def _describe(argv: Sequence[str]) -> str:
    """The command as a person would type it: the script of `bash -c SCRIPT`, else argv."""
    if len(argv) >= 3 and argv[1] == "-c":
        return argv[2]
    return " ".join(argv)
