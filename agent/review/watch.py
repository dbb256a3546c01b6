"""A sandbox that notes every file each command created, changed or deleted in the workspace.

The inventory after one command is the inventory before the next: between commands only
the agent's own edits happen, and those are brought in with `note_edits`. So each command
costs one walk, and on Linux only a look at the paths inotify names (`agent.review.notify`).
Commands that run at once (parallel read-only tools) share one chain of inventories, so
every change is seen once, by whichever command's walk came first.
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
        self.last_changes: list[Change] = []
        self._tracker = NotifyTracker(str(self.root))
        self._current: inventory.Inventory | None = None
        self._lock = threading.Lock()

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
            )

    @contextlib.contextmanager
    def watching(self, what: str) -> Iterator[None]:
        """Record what the block changed as done by `what`: a command, or a process outside
        the sandbox that may write the workspace (an MCP server's tool)."""
        self.baseline()
        with self._lock:
            # The agent's own git plumbing changes .git between commands: look afresh.
            for name in [p for p in self._current if inventory.in_git_dir(p)]:
                del self._current[name]
            self._current.update(inventory.take_git(str(self.root)))
        try:
            yield
        finally:
            self._after(what)

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

    def _after(self, what: str) -> None:
        with self._lock:
            after = self._tracker.take()
            changes = inventory.compare(self._current or {}, after)
            self._current = after
        self.last_changes = changes
        if changes:
            self._report(what, changes)

    def _report(self, what: str, changes: list[Change]) -> None:
        if self.on_touched is not None:
            self.on_touched(what, changes)


def _describe(argv: Sequence[str]) -> str:
    """The command as a person would type it: the script of `bash -c SCRIPT`, else argv."""
    if len(argv) >= 3 and argv[1] == "-c":
        return argv[2]
    return " ".join(argv)
