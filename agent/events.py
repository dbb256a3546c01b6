"""Typed events the loop emits. Front ends (CLI, TUI, hook) and the session store consume them.

Every event is a frozen dataclass with a `kind` name; `to_dict`/`from_dict` give the JSON
form stored in the session database and streamed by `--jsonl`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    """Base of all events: when it happened."""

    kind: ClassVar[str] = "event"
    at: float = field(default_factory=time.time, kw_only=True)


@dataclass(frozen=True)
class SessionStarted(Event):
    """A session began (or resumed) on a task."""

    kind: ClassVar[str] = "session_started"
    session_id: str
    task: str
    model: str
    repo: str
    resumed: bool = False


@dataclass(frozen=True)
class PhaseChanged(Event):
    """The loop moved to a phase: localize, plan, verify, reproduce, code, test, debug, finish."""

    kind: ClassVar[str] = "phase_changed"
    phase: str
    detail: str = ""


@dataclass(frozen=True)
class PlanUpdated(Event):
    """The current plan: how the task was read, and its steps with their status."""

    kind: ClassVar[str] = "plan_updated"
    reading: str
    steps: tuple[str, ...]
    statuses: tuple[str, ...]  # pending | running | done | failed, one per step
    plan_number: int = 1


@dataclass(frozen=True)
class ModelText(Event):
    """A piece of the model's streamed text (delta=True) or a whole message (delta=False)."""

    kind: ClassVar[str] = "model_text"
    text: str
    delta: bool = False


@dataclass(frozen=True)
class ToolCallStarted(Event):
    """A tool call began."""

    kind: ClassVar[str] = "tool_call_started"
    call_id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class ToolCallFinished(Event):
    """A tool call ended; `output` is what the model sees."""

    kind: ClassVar[str] = "tool_call_finished"
    call_id: str
    name: str
    output: str
    is_error: bool
    duration_s: float


@dataclass(frozen=True)
class EditApplied(Event):
    """A file changed; `checkpoint` is the git checkpoint taken after it."""

    kind: ClassVar[str] = "edit_applied"
    path: str
    diff: str
    checkpoint: str = ""


@dataclass(frozen=True)
class FilesTouched(Event):
    """A command (or the agent's own edit, `source` "edit") created, changed or deleted files.

    Each entry of `files` is {"path", "change", "runs_code"}: every file of the workspace,
    tracked, untracked or git-ignored, and entries under `.git`; `runs_code` says why the
    file runs code later ("" when it does not).
    """

    kind: ClassVar[str] = "files_touched"
    source: str
    files: tuple[dict[str, str], ...]


@dataclass(frozen=True)
class TestsRun(Event):
    """A test run finished."""

    kind: ClassVar[str] = "tests_run"
    command: str
    passed: int
    failed: int
    errors: int
    failures: tuple[str, ...] = ()
    exit_code: int = 0
    output: str = ""  # the failing tests' short output (empty when nothing failed)


@dataclass(frozen=True)
class CostUpdated(Event):
    """Running totals after a model call."""

    kind: ClassVar[str] = "cost_updated"
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cost_usd: float
    model_calls: int


@dataclass(frozen=True)
class QuestionAsked(Event):
    """The loop needs the person to choose between readings of the task (or notes an assumption)."""

    kind: ClassVar[str] = "question_asked"
    question: str
    options: tuple[str, ...] = ()
    assumption: str = ""


@dataclass(frozen=True)
class Finished(Event):
    """The session ended."""

    kind: ClassVar[str] = "finished"
    status: str  # solved | not_solved | budget_exhausted | interrupted | error
    stop_reason: str
    summary: str = ""
    diff: str = ""


@dataclass(frozen=True)
class ServerProblem(Event):
    """An MCP server did not start, or stopped: the session goes on without its tools."""

    kind: ClassVar[str] = "server_problem"
    server: str
    problem: str


EventSink = Callable[[Event], None]

EVENT_TYPES: dict[str, type[Event]] = {
    cls.kind: cls
    for cls in (
        SessionStarted,
        PhaseChanged,
        PlanUpdated,
        ModelText,
        ToolCallStarted,
        ToolCallFinished,
        EditApplied,
        FilesTouched,
        TestsRun,
        CostUpdated,
        QuestionAsked,
        Finished,
        ServerProblem,
    )
}


def to_dict(event: Event) -> dict[str, Any]:
    """The event as JSON-able data with its kind."""
    return {"kind": event.kind, **asdict(event)}


def from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from `to_dict` output (tuples restored from JSON lists)."""
    cls = EVENT_TYPES[data["kind"]]
    values: dict[str, Any] = {}  # JSON values, each checked by the event's own type
    for f in fields(cls):
        if f.name in data:
            value = data[f.name]
            values[f.name] = tuple(value) if isinstance(value, list) else value
    return cls(**values)
