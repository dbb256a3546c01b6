"""Builds a session from the repository, its config and the user's options, then runs the loop.

`agent solve`, the TUI, the pre-commit hook and `agent bench run` all start sessions here, so
each front end only chooses its options and its event sinks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from agent import loop
from agent.budget import Budget
from agent.errors import UserError
from agent.events import EventSink, PlanUpdated, SessionStarted

RESULT_MODES = ("leave", "commit", "branch")


@dataclass
class SolveOptions:
    """What the person asked for: the task and how to run and deliver it."""

    task: str = ""
    cwd: Path = field(default_factory=Path.cwd)
    overrides: dict = field(default_factory=dict)  # config settings from the command line
    allow_dirty: bool = False
    result: str = "leave"
    branch: str | None = None
    worktree: bool = False
    resume: str | None = None
    record: Path | None = None
    model: object | None = None  # a ready Model (tests, demo); else config.model is loaded
    allow_home: bool = False  # the workspace may be a home folder or `/`


@dataclass
class SessionResult:
    """How a session ended, in the shape `--json` prints."""

    session_id: str
    outcome: loop.Outcome
    diff: str
    files: list[str]
    usage: dict
    model_calls: int
    duration_s: float
    delivery: dict

    def to_dict(self) -> dict:
        """The JSON document of `agent solve --json`."""
        report = self.outcome.report
        return {
            "session_id": self.session_id,
            "status": self.outcome.status,
            "stop_reason": self.outcome.stop_reason,
            "summary": self.outcome.summary,
            "assumption": self.outcome.assumption,
            "files": self.files,
            "diff": self.diff,
            "tests": None if report is None else {
                "ran": report.ran, "passed": report.passed, "failed": report.failed,
                "errors": report.errors, "failing": report.failing,
            },
            "usage": self.usage,
            "cost_usd": round(self.usage.get("cost_usd", 0.0), 6),
            "model_calls": self.model_calls,
            "duration_s": round(self.duration_s, 3),
            "delivery": self.delivery,
        }


def sandbox_for(root: Path, config):
    """The sandbox for commands in `root` under the repository's policy."""
    from sandbox import Policy, create_sandbox

    policy = Policy(workspace=root, network=config.network, timeout_s=config.command_timeout_s)
    return create_sandbox(policy, config.sandbox)


def run_session(options: SolveOptions, sinks: list[EventSink],
                ask: Callable[[str, list[str]], str] | None = None,
                conversation_options: dict | None = None) -> SessionResult:
    """Prepare everything, run the loop, deliver the result; events go to `sinks` and the store."""
    from agent.config import load_config, project_instructions
    from agent.confine import refuse_home_workspace
    from agent.git import Workspace
    from agent.session import SessionStore

    started = time.monotonic()
    home = Workspace.open(options.cwd)
    refuse_home_workspace(home.root, options.allow_home)
    config = load_config(home.root, options.overrides)
    store = SessionStore.open(home.root)
    session_id, task = _session_identity(options, store, config)
    workspace = _working_copy(home, options, session_id)
    workspace.checkpoint(session_id, "resumed" if options.resume else "start")
    box = sandbox_for(workspace.root, config)
    model = options.model or _load_model(config.model, options.record)
    parts = loop.LoopParts(
        task=task, session_id=session_id, model=model, registry=loop_registry(),
        ctx=_tool_context(workspace.root, box, config), workspace=workspace, config=config,
        emit=_fan_out([store.sink(session_id), *sinks]),
        budget=Budget(config.max_turns, config.max_cost_usd, config.max_wall_s),
        instructions=project_instructions(workspace.root), ask=ask,
        conversation_options={
            "on_message": lambda message: store.append_message(session_id, message),
            **(conversation_options or {}),
        },
    )
    parts.emit(SessionStarted(session_id, task, getattr(model, "name", config.model),
                              str(workspace.root), resumed=bool(options.resume)))
    if options.resume:
        outcome = loop.resume(parts, store.messages(session_id), _last_plan(store, session_id))
    else:
        outcome = loop.solve(parts)
    store.mark(session_id, outcome.status, outcome.stop_reason)
    delivery = _deliver(home, workspace, options, session_id, outcome, task)
    usage = parts.budget.usage
    return SessionResult(
        session_id, outcome, diff=_final_diff(workspace, session_id, delivery),
        files=workspace.changed_files(session_id) if not delivery.get("branch") else [],
        usage={"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
               "cache_read_tokens": usage.cache_read_tokens,
               "cache_write_tokens": usage.cache_write_tokens, "cost_usd": usage.cost_usd},
        model_calls=parts.budget.turns, duration_s=time.monotonic() - started, delivery=delivery,
    )


def loop_registry():
    """The tools of a solve session: the default toolbox plus the loop's phase tools."""
    from tools import default_registry
    from tools.phases import reproduced, submit_plan

    registry = default_registry()
    registry.add(submit_plan)
    registry.add(reproduced)
    return registry


def _session_identity(options: SolveOptions, store, config) -> tuple[str, str]:
    if options.resume:
        record = store.get(options.resume)
        return record.id, record.task
    if not options.task.strip():
        raise UserError("give a task, e.g. agent solve \"make parse() accept empty input\"")
    if options.result not in RESULT_MODES:
        raise UserError(f"unknown result mode {options.result!r}; use one of {RESULT_MODES}")
    return store.create(options.task, config.model, repo=str(options.cwd)), options.task


def _working_copy(home, options: SolveOptions, session_id: str):
    """The tree the session edits: the user's own (clean, or snapshotted) or a new worktree."""
    from agent.git import Workspace

    if options.resume:
        return home
    dirty = home.dirty_files()
    if dirty and not options.allow_dirty:
        shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
        raise UserError(f"the working tree has uncommitted changes ({shown}); commit or stash "
                        "them, or pass --allow-dirty (a snapshot is kept first) or --worktree")
    if dirty:
        home.snapshot(f"before session {session_id}")
    if options.worktree:
        return Workspace.open(home.worktree(session_id, allow_dirty=options.allow_dirty))
    return home


def _deliver(home, workspace, options, session_id, outcome, task) -> dict:
    """Leave, commit or branch the change (only a solved one is committed)."""
    delivery: dict = {"mode": options.result}
    if workspace.root != home.root:
        delivery["worktree"] = str(workspace.root)
    if outcome.status != "solved" or options.result == "leave":
        return delivery
    message = f"{task.strip().splitlines()[0][:72]}\n\n{outcome.summary}\n\nagent session {session_id}"
    # A worktree has a detached HEAD, so a commit there would be hard to find: make a branch.
    if options.result == "commit" and "worktree" not in delivery:
        delivery["commit"] = workspace.commit(session_id, message)
    else:
        name = options.branch or f"agent/{session_id}"
        delivery["commit"] = workspace.branch(session_id, name, message)
        delivery["branch"] = name
    return delivery


def _final_diff(workspace, session_id: str, delivery: dict) -> str:
    if delivery.get("commit"):
        from agent.gitops.plumbing import run_git

        return run_git(workspace.root, "show", "--format=", delivery["commit"]).decode(errors="replace")
    return workspace.diff(session_id)


def _tool_context(root: Path, box, config):
    from tools import ToolContext

    return ToolContext(root, box, test_command=config.test_command, test_env=config.test_env)


def _load_model(spec: str, record: Path | None):
    from agent.models import load_model

    return load_model(spec, record=record)


def _last_plan(store, session_id: str):
    from agent.plan import Plan

    plans = [e for e in store.events(session_id) if isinstance(e, PlanUpdated)]
    if not plans:
        return None
    last = plans[-1]
    return Plan(reading=last.reading, steps=list(last.steps), statuses=list(last.statuses),
                number=last.plan_number)


def _fan_out(sinks: list[EventSink]) -> EventSink:
    def emit(event) -> None:
        for sink in sinks:
            sink(event)
    return emit


def exit_code(status: str) -> int:
    """The process exit code for a session status."""
    return {"solved": 0, "not_solved": 1, "error": 2, "budget_exhausted": 3,
            "interrupted": 130}.get(status, 1)

