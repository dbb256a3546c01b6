"""The suite before any change, run beside the plan phase and cached under `.agent/baseline/`.

The model call of the plan phase is network wait; the suite uses the CPU, so the two overlap.
The tests the task names run first (a small run whose facts help the model most), then the
suite. The baseline must be of the start tree: every writing tool call first calls
`before_change()`. Where the sandbox can run tests on the start tree later
(agent/testing/start_tree.py) a run still going is stopped then, rather than waited for:
verify's suite after the change tells whether any test fails at all, and only those that
do are run on the start tree. Elsewhere the change waits for the run. A command
(`before_command()`) or the model's test run (`before_tests()`) runs beside the run instead:
if, once it ended, it had changed a file of the tree (agent/testing/tree_writes.py), the run
is stopped as a change stops it, and a result it reached meanwhile is dropped, since it may
not be the start tree's. Its JUnit reports are written where only its own runs can write
(tools/pytest_runner.py), so a command beside it cannot rewrite its verdicts. The run's
commands are the watch's background runs, so what they change is not put down to a
command that runs beside them (agent/review/watch.py). Events of the run are
held and emitted by the loop's thread (the session store's connection belongs to it), with
their own timestamps. A session that ends before the run does calls `stop()`: the run's
processes are killed, its events emitted before the session's end, and nothing of it is
cached.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, fields
from pathlib import Path

from agent.atomic import atomic_write
from agent.events import Event, EventSink, PhaseChanged, TestsRun
from agent.prompting import named_tests_context, task_context
from agent.sandbox.process import CommandStopper
from agent.testing.report import TestReport, baseline
from agent.testing.start_tree import can_check
from agent.testing.tree_writes import tree_writes

CACHE_DIR = Path(".agent") / "baseline"
STOP_WAIT_S = 10.0  # for the run's thread to end once its processes are killed
RUNNING = "The test suite is running on the start tree; its result will follow."
STOPPED_EARLY = (
    "Your first change stopped the suite's run on the start tree. A test that fails "
    "later is rerun there to tell whether it failed before."
)


class PendingBaseline:
    """The baseline run and the named tests' context, computed on a thread of their own."""

    def __init__(self, parts) -> None:
        self._parts = parts
        self.tree = ""
        self._held: list[Event] = []
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._report: TestReport | None = None
        self._suite_text = ""  # what the model is told of the suite, once it finished
        self._named: str | None = None  # ... and of the named tests, once they ran
        self._named_ready = threading.Event()
        self._named_failing: list[str] = []  # ... and which of them failed
        self._told_named = False
        self._stored: list[Path] = []  # the cache files the run wrote
        # (command, suite running, named tests running) when the command was approved
        self._beside: list[tuple[str, bool, bool]] = []
        # (suite running, named tests running) when a run_tests call of this turn was approved
        self._tests_beside: tuple[bool, bool] | None = None
        self._error: BaseException | None = None
        self._told = False
        self._early = False  # stopped by a change before it finished
        self._began = time.monotonic()
        self._ended: float | None = None
        self._stopper = CommandStopper()
        self._loop_phase = "localize"  # the phase this run's notes are shown under
        self._thread = threading.Thread(target=self._run, name="baseline", daemon=True)

    def start(self) -> PendingBaseline:
        """Begin the run; returns self. `tree` is the git id of the tree it runs on."""
        self.tree = self._parts.workspace.write_tree()
        self._parts.ctx.sandbox.command_listeners.append(self._command_ended)
        self._thread.start()
        return self

    def wait(self) -> TestReport | None:
        """The baseline report (None: no test command), once the run has finished."""
        self._done.wait()
        self.flush()
        if self._error is not None:
            raise self._error
        return self._report

    def finished(self) -> TestReport | None:
        """The baseline report if the run has finished (not stopped), without waiting."""
        self.flush()
        return self.known() if self._done.is_set() else None

    def named_failing(self) -> list[str]:
        """The tests the task names that failed in their run (none when it was killed)."""
        self.wait_named()
        return list(self._named_failing)

    def known(self) -> TestReport | None:
        """The baseline report once the run has finished; None when a change stopped it
        (or there is no test command)."""
        report = self.wait()
        return None if self._early else report

    def elapsed_s(self) -> float:
        """How long the suite ran (until now, or until it ended or was stopped)."""
        return (self._ended or time.monotonic()) - self._began

    def before_change(self) -> None:
        """A change of the tree is about to begin: wait for the run, or stop it where the
        start tree can be asked later."""
        if not self._done.is_set() and can_check(self._parts.ctx):
            self._stop_early()
            if self._report is not None and _cache_path(self._parts.ctx, self.tree).exists():
                # it had finished and stored its report just before the stop: a whole result
                self._early = False
                self._suite_text = task_context(self._report)
            else:
                self._hold(
                    PhaseChanged(
                        "localize",
                        "the baseline run was stopped: a change "
                        "began; failures after it are asked of the "
                        "start tree",
                    )
                )
        self.wait()

    def before_command(self, command: str) -> None:
        """`command` is about to run: beside the run where the start tree can be asked later
        (it is stopped if the command changes the tree), else once the run has finished."""
        if not can_check(self._parts.ctx):
            self.before_change()
            return
        with self._lock:
            self._beside.append((command, not self._done.is_set(), not self._named_ready.is_set()))

    def before_tests(self) -> None:
        """The model's run_tests call is about to run: beside the run as a command is (each of
        its test runs stops the suite only if it changes the tree), until `turn_ended`."""
        if not can_check(self._parts.ctx):
            self.before_change()
            return
        with self._lock:
            self._tests_beside = (not self._done.is_set(), not self._named_ready.is_set())

    def turn_ended(self) -> None:
        """The model's tool calls of one turn have all run."""
        with self._lock:
            self._tests_beside = None

    def _command_ended(self, what: str, changes: list) -> None:
        """A command ended (in its own thread): if it may have run beside the run and changed
        the tree, stop the run; a result reached meanwhile is no fact of the start tree."""
        with self._lock:
            beside = next((b for b in self._beside if b[0] == what), None)
            if beside is not None:
                self._beside.remove(beside)
                _, suite, named = beside
            elif self._tests_beside is not None:  # one of a run_tests call's own runs
                suite, named = self._tests_beside
            else:
                return  # not a command the model ran (a test run of the loop's, an edit)
        if not (suite or named) or not changes or self._told:
            return
        written = tree_writes(self._parts.ctx.root, changes)
        if not written:
            return
        with self._lock:
            self._tests_beside = None  # stopped once: the call's later runs change nothing
        if suite:
            self._stop_early()
            self._suite_text = STOPPED_EARLY
            for path in self._stored:
                path.unlink(missing_ok=True)
            written.sort()
            shown = ", ".join(written[:3]) + (", ..." if len(written) > 3 else "")
            self._hold(
                PhaseChanged(
                    "localize",
                    f"the baseline run was stopped: a command changed {shown}; "
                    "failures after it are asked of the start tree",
                )
            )
        if named and not self._told_named:  # the run has ended: nothing sets them again
            self._named, self._named_failing = "", []

    def _stop_early(self) -> None:
        """Kill the run still going (its result, if any, is not the start tree's)."""
        self._early = True
        self._ended = self._ended or time.monotonic()
        self._stopper.stop()
        self._thread.join(STOP_WAIT_S)

    def stop(self) -> None:
        """The session ends: kill a run still going, wait for its thread, emit its events."""
        if not self._done.is_set():
            self._stopper.stop()
            self._thread.join(STOP_WAIT_S)
            self._hold(
                PhaseChanged(
                    "localize", "the baseline run was stopped: the session ended before it finished"
                )
            )
        self.flush()

    def flush(self) -> None:
        """Emit the run's events held so far, in the calling (the loop's) thread."""
        with self._lock:
            held, self._held = self._held, []
        for event in held:
            if isinstance(event, PhaseChanged):  # shown now, under the phase the loop is in
                event = dataclasses.replace(event, phase=self._loop_phase)
            self._parts.emit(event)

    def context(self) -> str:
        """For a new conversation's task message: the measured facts, or that they are coming."""
        if not self._done.is_set():
            return RUNNING
        return self.news()

    def news(self, results_only: bool = False) -> str:
        """The measured facts not told yet (else ""), for the next user message: the named
        tests' once they ran, the suite's once it finished. `results_only` (a note between
        two turns of a phase) leaves the notice that a change stopped the suite to the next
        phase's message."""
        self.flush()
        parts = []
        if self._done.is_set() and not self._told and not (results_only and self._early):
            self.wait()
            self._told = True
            parts.append(self._suite_text)
        if self._named is not None and not self._told_named:
            self._told_named = True
            parts.append(self._named)
        return "\n".join(filter(None, parts))

    def wait_named(self) -> None:
        """Wait for the run of the tests the task names (a small one; the suite may go on)."""
        self._named_ready.wait()
        self.flush()

    def watching(self, emit: EventSink) -> EventSink:
        """`emit`, noting the loop's phase: this run's notes (the baseline was stopped, or
        known from the cache) are shown under the phase the loop is in, not as a new one."""

        def watched(event: Event) -> None:
            if isinstance(event, PhaseChanged):
                self._loop_phase = event.phase
            emit(event)

        return watched

    def _hold(self, event: Event) -> None:
        if self._early and isinstance(event, TestsRun):
            return  # the killed run's counts are no result
        with self._lock:
            self._held.append(event)

    def _stopped(self) -> bool:
        return self._stopper.stopped

    def _run_tests(self) -> None:
        """The tests the task names, then the suite (cached), in the watch's background."""
        parts = self._parts
        named, failing = named_tests_context(
            parts.ctx, parts.task, self._hold, evidence=parts.config.traces
        )
        if not self._stopped():  # a killed run's output is no fact
            self._named, self._named_failing = named, failing
        else:
            self._named = ""
        self._named_ready.set()
        self._report = cached_baseline(
            parts.ctx, parts.workspace, self._hold, self._stopped, self._stored
        )

    def _run(self) -> None:
        parts = self._parts
        self._stopper.bind()
        try:
            with parts.ctx.sandbox.background():
                self._run_tests()
            if self._early:
                self._suite_text = STOPPED_EARLY
            elif not self._stopped():
                self._suite_text = task_context(self._report)
        except BaseException as error:  # re-raised in the loop's thread by wait()
            if not self._early:
                self._error = error
        finally:
            self._ended = self._ended or time.monotonic()
            self._named_ready.set()
            self._done.set()


def cached_baseline(
    ctx,
    workspace,
    emit: EventSink,
    stopped: Callable[[], bool] = lambda: False,
    stored: list[Path] | None = None,
) -> TestReport | None:
    """The suite's report on the current tree: from the cache when this tree, command and
    environment ran before, else run now and stored (also under the tree the run left, as
    a run may add untracked files such as __pycache__), unless `stopped()` by then. The
    files written are added to `stored`."""
    if not ctx.test_command:
        return None
    before = workspace.write_tree()
    path = _cache_path(ctx, before)
    report = _load(path)
    if report is not None:
        emit(
            PhaseChanged(
                "localize", f"the baseline of this tree is known: {report.summary_line()} (cached)"
            )
        )
        return report
    report = baseline(ctx, emit)
    if stopped():  # killed part way: not this tree's baseline
        return report
    paths = [path]
    after = workspace.write_tree()
    if after != before:
        paths.append(_cache_path(ctx, after))
    for written in paths:
        if stored is not None:
            stored.append(written)
        _store(written, report)
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
