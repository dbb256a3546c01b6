"""What every tool receives: the workspace, the sandbox, the index and a record of changes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.tools.output import DEFAULT_MAX_CHARS

if TYPE_CHECKING:
    from agent.index import RepoIndex
    from agent.sandbox import Sandbox

DEFAULT_TEST_COMMAND = "python -m pytest -q"
CACHE_SECONDS = 2.0


class ToolContext:
    """The workspace a turn's tools act on.

    `index` is opened (`RepoIndex.open(root)`) on first use, once, even when several
    read-only tools ask for it at the same moment from the executor's threads, and
    re-opened (refreshed) after a tool changed a file.
    `sandbox` is wrapped in a `WatchedSandbox` that notes every file a command touched.
    `changed_files` records, in order, every repo-relative path a tool created, edited
    or deleted; `finished` holds the summary once the model called `finish`, `plan_tests`
    the plan's (tests, new_tests) once the model changed them (the loop takes it). An empty
    `test_command` means the project has none (run_tests then says so); `test_env` is
    added to the sandbox's environment for test runs. `scratch` is the session's scratch
    folder (agent/scratch.py), if it has one. `read_buffer`, when a front end sets it,
    gives a repo-relative path's text as the person's editor holds it (unsaved changes
    included), or None.
    """

    def __init__(
        self,
        root: Path,
        sandbox: Sandbox,
        index: RepoIndex | None = None,
        test_command: str | None = DEFAULT_TEST_COMMAND,
        max_output_chars: int = DEFAULT_MAX_CHARS,
        test_env: dict[str, str] | None = None,
        scratch: Path | None = None,
    ) -> None:
        from agent.review.watch import WatchedSandbox

        self.root = Path(root).resolve()
        # Every command goes through the watch, so the review sees each file it touched.
        self.sandbox = (
            sandbox if isinstance(sandbox, WatchedSandbox) else WatchedSandbox(sandbox, self.root)
        )
        self.test_command = test_command
        self.test_env = dict(test_env or {})
        self.scratch = scratch
        self.max_output_chars = max_output_chars
        self.changed_files: list[str] = []
        self.finished: str | None = None
        self.plan_tests: tuple[list[str], list[str]] | None = None
        self.read_buffer: Callable[[str], str | None] | None = None
        self._index = index
        self._index_stale = False
        self._lock = threading.Lock()
        self._memo: dict[str, tuple[float, Any]] = {}
        self._key_locks: dict[str, threading.Lock] = {}
        self._generation = 0

    @property
    def index(self) -> RepoIndex:
        """The repository index, opened (and refreshed) on first use."""
        with self._lock:
            if self._index is None or self._index_stale:
                from agent.index import RepoIndex

                # Re-opening refreshes the cache, so symbols follow the files tools changed.
                self._index = RepoIndex.open(self.root)
                self._index_stale = False
            return self._index

    def record_change(self, path: str) -> None:
        """Note that a tool changed `path` (repo-relative); the loop reads `changed_files`."""
        with self._lock:
            if path in self.changed_files:
                self.changed_files.remove(path)
            self.changed_files.append(path)
            self._index_stale = True
        self.sandbox.note_edits([path])
        self.forget_cached()

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """`compute()`'s value, kept until a file changes or the next turn begins.

        Lets the calls of one turn share work (e.g. the untracked-file listing) without
        ever seeing a workspace older than the turn; kept at most CACHE_SECONDS in case
        tools are called outside the executor. Concurrent callers wait for one computation.
        """
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                kept = self._memo.get(key)
                if kept is not None and time.monotonic() - kept[0] <= CACHE_SECONDS:
                    return kept[1]
                generation, started = self._generation, time.monotonic()
            value = compute()
            with self._lock:
                if generation == self._generation:
                    self._memo[key] = (started, value)
            return value

    def forget_cached(self) -> None:
        """Drop values kept by `cached` (the executor calls this as each turn begins)."""
        with self._lock:
            self._memo.clear()
            self._generation += 1

    def take_changed_files(self) -> list[str]:
        """The paths changed since the last call, oldest first, and forget them."""
        with self._lock:
            changes, self.changed_files = self.changed_files, []
            return changes

    def mark_finished(self, summary: str) -> None:
        """Record that the model declared the task done."""
        self.finished = summary

    def __repr__(self) -> str:
        return f"ToolContext(root={self.root!s}, changed={len(self.changed_files)})"
