"""Builds a session from the repository, its config and the user's options, then runs the loop.

`agent solve`, the TUI, the pre-commit hook and `agent bench run` all start sessions here, so
each front end only chooses its options and its event sinks.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from agent import loop
from agent.bounds import TimedModel, TimedSandbox
from agent.budget import Budget
from agent.errors import UserError, environment_problem
from agent.events import EventSink, PlanUpdated, SessionStarted
from agent.extension import Ask, ConversationHooks, ReadBuffer
from agent.messages import Message
from agent.models import Model
from agent.preflight import check_before_session
from agent.sandboxing import sandbox_for
from agent.scratch import session_scratch

if TYPE_CHECKING:
    from agent.config import Config
    from agent.events import Event
    from agent.gitops.checkpoints import Workspace
    from agent.plan import Plan
    from agent.review.inventory import Change
    from agent.review.report import Touched
    from agent.sandbox import Sandbox
    from agent.session import SessionStore
    from agent.tools import Registry, ToolContext
    from agent.tree_lock import TreeLock

RESULT_MODES = ("leave", "commit", "branch")


@dataclass
class SolveOptions:
    """What the person asked for: the task and how to run and deliver it."""

    task: str = ""
    cwd: Path = field(default_factory=Path.cwd)
    # config settings from the command line
    overrides: dict[str, object] = field(default_factory=dict)
    allow_dirty: bool = False
    result: str = "leave"
    branch: str | None = None
    worktree: bool = False
    resume: str | None = None
    record: Path | None = None
    model: Model | None = None  # a ready Model (tests, demo); else config.model is loaded
    allow_home: bool = False  # the workspace may be a home folder or `/`
    session_id: str | None = None  # a new session's id, named before its task (ACP)
    read_buffer: ReadBuffer | None = None  # tools read a path's unsaved editor text (ACP)


@dataclass
class SessionResult:
    """How a session ended, in the shape `--json` prints."""

    session_id: str
    outcome: loop.Outcome
    diff: str
    files: list[str]
    usage: dict[str, float]
    model_calls: int
    duration_s: float
    delivery: dict[str, str]
    touched: list[Touched] = field(default_factory=list)  # every file

    def to_dict(self) -> dict[str, object]:
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
            "tests": None
            if report is None
            else {
                "ran": report.ran,
                "passed": report.passed,
                "failed": report.failed,
                "errors": report.errors,
                "failing": report.failing,
                "missing": sorted(report.missing),
            },
            "usage": self.usage,
            "cost_usd": round(self.usage.get("cost_usd", 0.0), 6),
            "model_calls": self.model_calls,
            "duration_s": round(self.duration_s, 3),
            "delivery": self.delivery,
            "touched": [t.to_dict() for t in self.touched],
        }


def run_session(
    options: SolveOptions,
    sinks: list[EventSink],
    ask: Ask | None = None,
    hooks: ConversationHooks | None = None,
) -> SessionResult:
    """Prepare everything, run the loop, deliver the result; events go to `sinks` and the store.

    What a front end may pass in `sinks`, `ask` and `hooks` is `agent.extension`'s contract.

    The working tree is locked for the session (one session per tree) and its git directory
    pinned (see `agent.gitops.pin`); both are let go on every way out.
    """
    from agent.confine import refuse_home_workspace
    from agent.gitops.checkpoints import Workspace
    from agent.gitops.pin import pinned
    from agent.tree_lock import locked_tree

    home = Workspace.open(options.cwd)
    refuse_home_workspace(home.root, options.allow_home)
    with contextlib.ExitStack() as guards:
        lock = None
        if not (options.worktree and not options.resume):  # a new worktree is its own tree
            lock = guards.enter_context(locked_tree(home.root))
        guards.enter_context(pinned(home.root))
        return _run_guarded(home, options, sinks, ask, hooks or ConversationHooks(), lock, guards)


def _run_guarded(
    home: Workspace,
    options: SolveOptions,
    sinks: list[EventSink],
    ask: Ask | None,
    hooks: ConversationHooks,
    lock: TreeLock | None,
    guards: contextlib.ExitStack,
) -> SessionResult:
    from agent.config import load_config
    from agent.gitops.pin import pinned
    from agent.mcp import session_servers
    from agent.mcp.settings import server_specs
    from agent.session import SessionStore

    started = time.monotonic()
    config = load_config(home.root, options.overrides)
    server_specs(home.root)  # a malformed .mcp.json stops us before the session is made
    check_before_session(home, options)
    model = options.model or _load_model(config.model, options.record)
    store = SessionStore.open(home.root)
    session_id, task = _session_identity(options, store, config)
    if lock is not None:
        lock.name_session(session_id)
    with _marked_if_it_fails(store, session_id):
        workspace = _working_copy(home, options, session_id)
        if workspace.root != home.root:
            guards.enter_context(pinned(workspace.root))
        parts = _loop_parts(
            workspace, config, model, store, session_id, task, options.resume, sinks, ask, hooks
        )
        guards.enter_context(session_servers(home.root, workspace.root)).join(parts)
        parts.ctx.read_buffer = options.read_buffer
        if options.resume:
            outcome = loop.resume(parts, store.messages(session_id), _last_plan(store, session_id))
        else:
            outcome = loop.solve(parts)
        parts.ctx.sandbox.close()
        store.mark(session_id, outcome.status, outcome.stop_reason)
        _check_pins(home.root, workspace.root)
        delivery = _deliver(home, workspace, options, session_id, outcome, task)
    usage = parts.budget.usage
    return SessionResult(
        session_id,
        outcome,
        diff=_final_diff(workspace, session_id, delivery),
        files=workspace.changed_files(session_id) if not delivery.get("branch") else [],
        usage={
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cache_read_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
            "cost_usd": usage.cost_usd,
            "unknown_counts": usage.unknown,
        },
        model_calls=parts.budget.turns,
        duration_s=time.monotonic() - started,
        delivery=delivery,
        touched=_touched(workspace.root, session_id, store),
    )


def _loop_parts(
    workspace: Workspace,
    config: Config,
    model: Model,
    store: SessionStore,
    session_id: str,
    task: str,
    resumed: str | None,
    sinks: list[EventSink],
    ask: Ask | None,
    hooks: ConversationHooks,
) -> loop.LoopParts:
    """The session's starting checkpoint, its bounded sandbox and model, and the loop's parts."""
    from agent.config import project_instructions

    start = workspace.checkpoint(session_id, "resumed" if resumed else "start")
    budget = Budget(config.max_turns, config.max_cost_usd, config.max_wall_s)
    scratch = session_scratch(session_id)
    box = TimedSandbox(sandbox_for(workspace.root, config, scratch), budget)
    if not resumed:
        _keep_ignored(workspace.root, session_id, start, config, box.policy.read_only)
    parts = loop.LoopParts(
        task=task,
        session_id=session_id,
        model=TimedModel(model, budget),
        registry=loop_registry(config.test_command, workspace.root),
        ctx=_tool_context(workspace.root, box, config, scratch),
        workspace=workspace,
        config=config,
        emit=_fan_out([store.sink(session_id), *sinks]),
        budget=budget,
        instructions=project_instructions(workspace.root),
        ask=ask,
        hooks=_stored(hooks, store, session_id),
    )
    _watch_files(parts)
    parts.emit(
        SessionStarted(
            session_id,
            task,
            getattr(model, "name", config.model),
            str(workspace.root),
            resumed=bool(resumed),
        )
    )
    return parts


def _stored(hooks: ConversationHooks, store: SessionStore, session_id: str) -> ConversationHooks:
    """The front end's hooks, with every message appended to the session's store first."""
    theirs = hooks.on_message

    def on_message(message: Message) -> None:
        store.append_message(session_id, message)
        theirs(message)

    return replace(hooks, on_message=on_message)


def _keep_ignored(
    root: Path, session_id: str, start: str, config: Config, read_only: tuple[Path, ...]
) -> None:
    """Keep the git-ignored files (within the size cap) so `undo --to-start` restores them."""
    from agent.gitops.ignored import keep_ignored
    from agent.gitops.plumbing import tree_of

    skip = tuple(p.relative_to(root).as_posix() for p in read_only)
    keep_ignored(root, session_id, tree_of(root, start), config.ignored_keep_mb * 1024 * 1024, skip)


def _watch_files(parts: loop.LoopParts) -> None:
    """Every file a command or edit touches becomes a `FilesTouched` event, for the review."""
    from agent.events import FilesTouched
    from agent.review.marks import runs_code

    def touched(source: str, changes: list[Change]) -> None:
        files = tuple(
            {"path": c.path, "change": c.change, "runs_code": runs_code(c.path)} for c in changes
        )
        parts.emit(FilesTouched(source, files))

    parts.ctx.sandbox.on_touched = touched
    parts.ctx.sandbox.baseline()


def _touched(root: Path, session_id: str, store: SessionStore) -> list[Touched]:
    from agent.review.report import session_touched

    return session_touched(root, session_id, store.events(session_id))


# In `agent tool` but not offered in a session, where each would repeat another: the map is in
# the system prompt, read_file outlines long files, search finds uses, and the debug phase
# ranks the suspects itself.
NOT_IN_SESSIONS = ("outline", "repo_map", "find_references", "localize")


def _check_pins(*roots: Path) -> None:
    """Raise GitTampered if a pinned git directory changed (the loop reported it as error)."""
    from agent.gitops.pin import pinned_now

    for root in roots:
        pin = pinned_now(root)
        if pin is not None:
            pin.check()


def loop_registry(test_command: str | None = None, root: Path | None = None) -> Registry:
    """The tools of a solve session: the default toolbox (less NOT_IN_SESSIONS) plus the
    loop's phase tools; run_tests states the test-id syntax of the runner detected at the
    start (fixed for the session, so the tool schema stays the same in every request)."""
    from agent.tools import Registry, default_registry
    from agent.tools.phases import plan_tests, reproduced, submit_plan
    from agent.tools.runners import run_tests_for

    registry = Registry(
        run_tests_for(t, test_command, root or Path.cwd()) if t.name == "run_tests" else t
        for t in default_registry().tools()
        if t.name not in NOT_IN_SESSIONS
    )
    registry.add(submit_plan)
    registry.add(reproduced)
    registry.add(plan_tests)
    return registry


def _session_identity(
    options: SolveOptions, store: SessionStore, config: Config
) -> tuple[str, str]:
    if options.resume:
        record = store.get(options.resume)  # a session whose process died reads interrupted
        if record.status == "running" and record.owner_pid > 0:
            raise UserError(
                f"session {record.id} is still running (process "
                f"{record.owner_pid}); stop it first or start a new one"
            )
        return record.id, record.task
    if not options.task.strip():
        raise UserError('give a task, e.g. agent solve "make parse() accept empty input"')
    if options.result not in RESULT_MODES:
        raise UserError(f"unknown result mode {options.result!r}; use one of {RESULT_MODES}")
    return store.create(
        options.task, config.model, repo=str(options.cwd), session_id=options.session_id
    ), options.task


def _working_copy(home: Workspace, options: SolveOptions, session_id: str) -> Workspace:
    """The tree the session edits: the user's own (clean, or snapshotted) or a new worktree."""
    from agent.gitops.checkpoints import Workspace

    if options.resume:
        return home
    dirty = home.dirty_files()  # refused before the session started unless --allow-dirty
    if dirty:
        home.snapshot(f"before session {session_id}")
    if options.worktree:
        return Workspace.open(home.worktree(session_id, allow_dirty=options.allow_dirty))
    return home


@contextlib.contextmanager
def _marked_if_it_fails(store: SessionStore, session_id: str) -> Iterator[None]:
    """Mark the session as it ended when something escapes the loop (an interrupt, a full
    disk, a failed delivery), so it is never left `running`."""
    try:
        yield
    except BaseException as error:
        if isinstance(error, KeyboardInterrupt):
            status, reason = "interrupted", "interrupted"
        else:
            status, reason = (
                "error",
                (environment_problem(error) or str(error) or type(error).__name__),
            )
        try:
            store.mark(session_id, status, reason)
        except Exception:  # e.g. the disk is still full: the owner check marks it later
            pass
        raise


def _deliver(
    home: Workspace,
    workspace: Workspace,
    options: SolveOptions,
    session_id: str,
    outcome: loop.Outcome,
    task: str,
) -> dict[str, str]:
    """Leave, commit or branch the change (only a solved one is committed)."""
    delivery = {"mode": options.result}
    if workspace.root != home.root:
        delivery["worktree"] = str(workspace.root)
    if outcome.status != "solved" or options.result == "leave":
        return delivery
    message = (
        f"{task.strip().splitlines()[0][:72]}\n\n{outcome.summary}\n\nagent session {session_id}"
    )
    # A worktree has a detached HEAD, so a commit there would be hard to find: make a branch.
    if options.result == "commit" and "worktree" not in delivery:
        delivery["commit"] = workspace.commit(session_id, message)
    else:
        name = options.branch or f"agent/{session_id}"
        delivery["commit"] = workspace.branch(session_id, name, message)
        delivery["branch"] = name
    return delivery


def _final_diff(workspace: Workspace, session_id: str, delivery: dict[str, str]) -> str:
    if delivery.get("commit"):
        from agent.gitops.plumbing import run_git

        return run_git(
            workspace.root,
            "show",
            "--format=",
            "--no-ext-diff",
            "--no-textconv",
            delivery["commit"],
        ).decode(errors="replace")
    return workspace.diff(session_id)


def _tool_context(root: Path, box: Sandbox, config: Config, scratch: Path) -> ToolContext:
    from agent.tools import ToolContext

    return ToolContext(
        root, box, test_command=config.test_command, test_env=config.test_env, scratch=scratch
    )


def _load_model(spec: str, record: Path | None) -> Model:
    from agent.models import load_model

    return load_model(spec, record=record)


def _last_plan(store: SessionStore, session_id: str) -> Plan | None:
    from agent.plan import Plan

    plans = [e for e in store.events(session_id) if isinstance(e, PlanUpdated)]
    if not plans:
        return None
    last = plans[-1]
    status = last.statuses[0] if last.statuses else "pending"
    return Plan(
        reading=last.reading, steps=list(last.steps), status=status, number=last.plan_number
    )


def _fan_out(sinks: list[EventSink]) -> EventSink:
    def emit(event: Event) -> None:
        for sink in sinks:
            sink(event)

    return emit


def exit_code(status: str) -> int:
    """The process exit code for a session status."""
    return {
        "solved": 0,
        "not_solved": 1,
        "error": 2,
        "budget_exhausted": 3,
        "interrupted": 130,
    }.get(status, 1)
