"""The suite before any change, run beside the plan phase and cached under `.agent/baseline/`.

The model call of the plan phase is network wait; the suite uses the CPU, so the two overlap.
The baseline must be of the start tree: the loop makes every writing tool call and every
phase that needs the result `wait()` for it. Events of the run are held and emitted by the
loop's thread (the session store's connection belongs to it), with their own timestamps.
A session that ends before the run does calls `stop()`: the run's processes are killed, its
events emitted before the session's end, and nothing of it is cached.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import asdict, fields
from pathlib import Path

from agent.events import Event, EventSink, PhaseChanged
from agent.prompting import task_context
from agent.testing.report import TestReport, baseline
from agent.sandbox.process import CommandStopper
from agent.tools.textfile import atomic_write

CACHE_DIR = Path(".agent") / "baseline"
STOP_WAIT_S = 10.0  # for the run's thread to end once its processes are killed
RUNNING = ("The test suite is being run now, before any change; its result follows in a later "
           "message as soon as it is known.")


class PendingBaseline:
    """The baseline run and the named tests' context, computed on a thread of their own."""

    def __init__(self, parts) -> None:
        self._parts = parts
        self._held: list[Event] = []
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._report: TestReport | None = None
        self._context = ""
        self._error: BaseException | None = None
        self._told = False
        self._stopper = CommandStopper()
        self._thread = threading.Thread(target=self._run, name="baseline", daemon=True)

    def start(self) -> PendingBaseline:
        """Begin the run; returns self."""
        self._thread.start()
        return self

    def wait(self) -> TestReport | None:
        """The baseline report (None: no test command), once the run has finished."""
        self._done.wait()
        self.flush()
        if self._error is not None:
            raise self._error
        return self._report

    def stop(self) -> None:
        """The session ends: kill a run still going, wait for its thread, emit its events."""
        if not self._done.is_set():
            self._stopper.stop()
            self._thread.join(STOP_WAIT_S)
            self._hold(PhaseChanged("localize", "the baseline run was stopped: the session "
                                                "ended before it finished"))
        self.flush()

    def flush(self) -> None:
        """Emit the run's events held so far, in the calling (the loop's) thread."""
        with self._lock:
            held, self._held = self._held, []
        for event in held:
            self._parts.emit(event)

    def context(self) -> str:
        """For a new conversation's task message: the measured facts, or that they are coming."""
        if not self._done.is_set():
            return RUNNING
        self.wait()
        self._told = True
        return self._context

    def news(self) -> str:
        """The measured facts once known and not told yet (then ""), for the next user message."""
        self.flush()
        if self._told or not self._done.is_set():
            return ""
        self.wait()
        self._told = True
        return self._context

    def _hold(self, event: Event) -> None:
        with self._lock:
            self._held.append(event)

    def _stopped(self) -> bool:
        return self._stopper.stopped

    def _run(self) -> None:
        parts = self._parts
        self._stopper.bind()
        try:
            self._report = cached_baseline(parts.ctx, parts.workspace, self._hold, self._stopped)
            if not self._stopped():
                self._context = task_context(parts.ctx, parts.task, self._report, self._hold,
                                              evidence=parts.config.traces)
        except BaseException as error:  # re-raised in the loop's thread by wait()
            self._error = error
        finally:
            self._done.set()


def cached_baseline(ctx, workspace, emit: EventSink,
                    stopped: Callable[[], bool] = lambda: False) -> TestReport | None:
    """The suite's report on the current tree: from the cache when this tree, command and
    environment ran before, else run now and stored (also under the tree the run left, as
    a run may add untracked files such as __pycache__), unless `stopped()` by then."""
    if not ctx.test_command:
        return None
    before = workspace.write_tree()
    path = _cache_path(ctx, before)
    report = _load(path)
    if report is not None:
        emit(PhaseChanged("localize", f"the baseline of this tree is known: "
                                      f"{report.summary_line()} (cached)"))
        return report
    report = baseline(ctx, emit)
    if stopped():  # killed part way: not this tree's baseline
        return report
    _store(path, report)
    after = workspace.write_tree()
    if after != before:
        _store(_cache_path(ctx, after), report)
    return report


def _cache_path(ctx, tree: str) -> Path:
    key = json.dumps([tree, ctx.test_command, sorted(ctx.test_env.items())])
    return ctx.root / CACHE_DIR / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".json")


def _load(path: Path) -> TestReport | None:
    """The cached report, or None when there is none or it cannot be read (then it reruns)."""
    try:
        data = json.loads(path.read_text())
        names = {f.name for f in fields(TestReport)}
        if not isinstance(data, dict) or set(data) != names:
            return None
        return TestReport(**data)
    except (OSError, ValueError, TypeError):
        return None


def _store(path: Path, report: TestReport) -> None:
    """Write the report atomically; a cache that cannot be written is only a missed saving."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps(asdict(report)).encode())
    except OSError:
        pass
