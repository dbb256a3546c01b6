"""A session's course as compact text: per model request, the phase, the tool calls answered,
the test runs and what the model was told; compared with tests/snapshots/sessions/NAME.txt.

Tests check a session's sequence against one checked-in file instead of indexing
`model.requests[N]` or matching a prompt's line breaks, so a prompt changed on purpose is
updated in one place: `AGENT_UPDATE_SNAPSHOTS=1 python -m pytest TESTS` rewrites the files
(read the diff, commit it). A mismatch fails with a unified diff and leaves the new text in
tests/snapshots/latest/sessions/ (not tracked).
"""

from __future__ import annotations

import difflib
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from agent import events as ev
from agent.messages import Message, ModelRequest, Text, ToolResult, part_from_dict
from agent.models.scripted import Scripted, ScriptedModel

SNAPSHOTS = Path(__file__).parent / "snapshots"
LINE_WIDTH = 120  # a snapshot line is cut here
BASELINE_WAIT_S = 60.0
TEST_ID = re.compile(r"[\w./-]+\.\w+::[\w\[\]./:-]*\w\]?")
DURATION = re.compile(r"\b\d+(\.\d+)? ?(s|ms|seconds?)\b")


@dataclass
class Step:
    """One model request and what led to it since the previous one."""

    number: int
    request: ModelRequest
    phase: str  # the phase the loop was in when it sent the request
    happened: list[str] = field(default_factory=list)  # phase changes and runs, in order
    answered: list[tuple[str, ToolResult]] = field(default_factory=list)
    runs: list[ev.TestsRun] = field(default_factory=list)
    told: list[str] = field(default_factory=list)  # the text parts new in this request

    @property
    def text(self) -> str:
        """Everything new the model was told in this request (tool results and text)."""
        return "\n".join([r.content for _, r in self.answered] + self.told)


class Recorder:
    """A scripted model and an event sink recording one timeline of requests and events.

    A request's phase is the last phase change the thread calling the model emitted before
    it. Without the sink (a front end that takes none) steps have no phase or runs.
    """

    def __init__(
        self, answers: Iterable[Scripted], name: str = "scripted", settle_at: int = 1
    ) -> None:
        self.scripted = ScriptedModel(answers, name)
        self.settle_at = settle_at  # the request whose answer waits for the baseline's end
        self.model = _Observed(self)
        self.events: list[ev.Event] = []
        self._timeline: list[tuple[int, object]] = []
        self._lock = threading.Lock()

    def sink(self, event: ev.Event) -> None:
        """The event sink to pass to `run_session`."""
        with self._lock:
            self.events.append(event)
            self._timeline.append((threading.get_ident(), event))

    @property
    def requests(self) -> list[ModelRequest]:
        """Every request the model received, in order."""
        return self.scripted.requests

    def settle_baseline(self, timeout: float = BASELINE_WAIT_S) -> None:
        """Wait until the session's baseline run (its thread, named "baseline") has ended."""
        for thread in threading.enumerate():
            if thread.name == "baseline":
                thread.join(timeout)

    def steps(self) -> list[Step]:
        """The requests with the phase each was sent in and what was new in it."""
        with self._lock:
            timeline = list(self._timeline)
        steps: list[Step] = []
        phase, pending, model_thread = "", Step(0, ModelRequest("", []), ""), None
        for thread, item in timeline:
            if isinstance(item, ev.Finished):
                pending.happened.append(f"finished {item.status}: {item.stop_reason}")
            elif isinstance(item, int):
                step = _step(item, self.requests[item - 1], phase, pending)
                steps.append(step)
                pending = Step(0, ModelRequest("", []), "")
                model_thread = thread
            elif isinstance(item, ev.PhaseChanged) and (not steps or thread == model_thread):
                phase = item.phase
                pending.happened.append(f"phase {item.phase} {item.detail}".strip())
            elif isinstance(item, ev.TestsRun):
                pending.runs.append(item)
                pending.happened.append("ran " + _run(item))
        if pending.happened:  # what followed the last request
            steps.append(Step(0, ModelRequest("", []), phase, pending.happened, runs=pending.runs))
        return steps

    def step(self, phase: str, nth: int = 0) -> Step:
        """The `nth` request sent in `phase` (0: the first)."""
        found = [s for s in self.steps() if s.phase == phase and s.number]
        assert len(found) > nth, f"no request {nth} in phase {phase!r}:\n{self.text()}"
        return found[nth]

    def result(self, tool: str, nth: int = 0) -> ToolResult:
        """The `nth` result of a `tool` call that the model received."""
        found = [r for name, r in answered(self.requests) if name == tool]
        assert len(found) > nth, f"no {tool} result {nth}:\n{self.text()}"
        return found[nth]

    def text(self, replace: dict[str, str] | None = None) -> str:
        """The snapshot text; `replace` maps texts that differ per run (paths) to stand-ins."""
        started = [e.repo for e in self.events if isinstance(e, ev.SessionStarted)]
        replace = {**{repo: "<repo>" for repo in started}, **(replace or {})}
        lines = []
        for step in self.steps():
            lines.extend(_lines(step))
        text = "\n".join(lines)
        if suite := self._suite():
            replace[suite] = "<tests>"
        for old, new in sorted(replace.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(old, new)
        text = DURATION.sub("<time>", text)
        return "".join(_cut(line) + "\n" for line in text.split("\n"))

    def check(self, name: str, replace: dict[str, str] | None = None) -> None:
        """The snapshot equals tests/snapshots/sessions/NAME.txt (rewritten with
        AGENT_UPDATE_SNAPSHOTS=1); a mismatch fails with the diff."""
        assert_snapshot(name, self.text(replace))

    def _suite(self) -> str:
        """The test command every run starts with (the suite's), or ""."""
        commands = [e.command for e in self.events if isinstance(e, ev.TestsRun)]
        starts = [c for c in commands if all(o.startswith(c) for o in commands)]
        return min(starts, key=len) if starts else ""

    def _requested(self) -> None:
        with self._lock:
            self._timeline.append((threading.get_ident(), len(self.scripted.requests)))


class _Observed:
    """The recorder's model: the scripted model, each request also marked on the timeline."""

    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder
        self.name = recorder.scripted.name

    @property
    def requests(self) -> list[ModelRequest]:
        """The scripted model's requests."""
        return self._recorder.scripted.requests

    @property
    def remaining(self) -> int:
        """How many queued answers are left."""
        return self._recorder.scripted.remaining

    def complete(self, request, on_text=None):
        """The scripted answer; the request is marked on the timeline even if it raises.
        The first answer (or the recorder's `settle_at`-th) waits for the session's baseline
        run to end, so what the model is told of it, and when, does not depend on the
        machine's speed."""
        scripted = self._recorder.scripted
        if len(scripted.requests) + 1 == self._recorder.settle_at:
            self._recorder.settle_baseline()
        try:
            return scripted.complete(request, on_text)
        finally:
            self._recorder._requested()


def answered(requests: Iterable[ModelRequest]) -> list[tuple[str, ToolResult]]:
    """Every tool result the model received, in order, with the name of its call."""
    empty = Step(0, ModelRequest("", []), "")
    return [pair for n, r in enumerate(requests, 1) for pair in _step(n, r, "", empty).answered]


def from_bridge(requests: Iterable[dict]) -> list[ModelRequest]:
    """Requests read back from a bridge folder's request files."""
    return [
        ModelRequest(
            r["system"],
            [Message(m["role"], [part_from_dict(p) for p in m["content"]]) for m in r["messages"]],
        )
        for r in requests
    ]


def _step(number: int, request: ModelRequest, phase: str, pending: Step) -> Step:
    """What is new in `request`: the messages after the last assistant message."""
    messages = request.messages
    last = max((i for i, m in enumerate(messages) if m.role == "assistant"), default=-1)
    names = {c.id: c.name for c in (messages[last].tool_calls if last >= 0 else [])}
    step = Step(number, request, phase, pending.happened, runs=pending.runs)
    for message in messages[last + 1 :]:
        for part in message.parts:
            if isinstance(part, ToolResult):
                step.answered.append((names.get(part.call_id, "?"), part))
            elif isinstance(part, Text):
                step.told.append(part.text)
    return step


def _lines(step: Step) -> list[str]:
    head = f"{step.number} {step.phase}" if step.number else "after the last request"
    if len(step.request.messages) == 1:
        head += " (new conversation)"
    lines = [head]
    for name, result in step.answered:
        mark = "error: " + _first_line(result.content) if result.is_error else "ok"
        lines.append(f"  answered {name}: {mark}")
    lines += [f"  {line}" for line in step.happened]
    for text in step.told:
        for paragraph in re.split(r"\n\s*\n", text):
            if paragraph.strip():
                lines.append("  told: " + " ".join(paragraph.split()))  # however it wraps
                named = list(dict.fromkeys(TEST_ID.findall(paragraph)))
                if named:
                    lines.append("    naming " + ", ".join(named))
    return lines


def _run(run: ev.TestsRun) -> str:
    counts = f"{run.passed} passed, {run.failed} failed" + (
        f", {run.errors} errors" if run.errors else ""
    )
    failing = f" [{', '.join(run.failures)}]" if run.failures else ""
    return f"{run.command} -> {counts}{failing}"


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0]


def _cut(line: str) -> str:
    """A told or answered line cut to size; test runs stay whole (their verdicts), and the
    test ids a told paragraph names follow on a line of their own."""
    if line.startswith("  ran ") or len(line) <= LINE_WIDTH:
        return line
    return line[:LINE_WIDTH] + "…"


def assert_snapshot(name: str, text: str, root: Path = SNAPSHOTS) -> None:
    """`text` equals ROOT/sessions/NAME.txt; AGENT_UPDATE_SNAPSHOTS=1 rewrites it."""
    checked_in = root / "sessions" / f"{name}.txt"
    latest = root / "latest" / "sessions" / f"{name}.txt"
    latest.parent.mkdir(parents=True, exist_ok=True)
    latest.write_text(text)
    if os.environ.get("AGENT_UPDATE_SNAPSHOTS") == "1":
        checked_in.parent.mkdir(parents=True, exist_ok=True)
        checked_in.write_text(text)
        return
    assert checked_in.exists(), (
        f"no snapshot {checked_in}: run with AGENT_UPDATE_SNAPSHOTS=1 "
        f"and read it before committing it:\n{text}"
    )
    expected = checked_in.read_text()
    if text != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(True), text.splitlines(True), str(checked_in), "this run"
            )
        )
        raise AssertionError(
            f"the session's course changed (AGENT_UPDATE_SNAPSHOTS=1 rewrites "
            f"the snapshot when that is meant):\n{diff}"
        )


def told_messages(messages: Iterable[Message]) -> str:
    """The user text of `messages` joined (no tool results)."""
    return "\n".join(
        p.text for m in messages if m.role == "user" for p in m.parts if isinstance(p, Text)
    )
