"""The plan-code-test loop, top to bottom.

localize -> plan (checked on a concrete input, revised if the check fails) -> reproduce
(bug-like tasks: a test that fails now, run for real) -> code -> test (targeted, then the
suite against its baseline) -> debug from real traces (up to d rounds) -> a fresh plan seeded
by what failed (up to p plans) -> finish. The loop emits events and never prints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from agent import prompts, test_designer
from agent.baseline import PendingBaseline
from agent.budget import Budget, BudgetExhausted, Interrupted
from agent.conversation import Conversation
from agent.errors import SessionEnding, UserError
from agent.events import EditApplied, EventSink, Finished, PhaseChanged, PlanUpdated, QuestionAsked
from agent.extension import Ask, ConversationHooks, ReviewCall
from agent.fails_before import FailsBefore
from agent.messages import Message, ToolCall, ToolResult
from agent.plan import Plan
from agent.prompting import debug_message
from agent.testing.report import RunMemo, TestReport
from agent.testing.start_tree import StartTree
from agent.testing.targets import Targets, named_tests, saw_fail
from agent.testing.verify import Verifier

if TYPE_CHECKING:
    from agent.config import Config
    from agent.gitops.checkpoints import Workspace
    from agent.models import Model
    from agent.test_designer import DesignedTests
    from agent.tools.context import ToolContext
    from agent.tools.registry import Registry

MAX_PLAN_REVISIONS = 2
REPRODUCTION_CHOICES = 8  # already-failing tests offered as the reproduction
TASK_PREFIX = "The task:"


@dataclass
class LoopParts:
    """Everything one run of the loop uses; built by agent/runner.py."""

    task: str
    session_id: str
    model: Model
    registry: Registry
    ctx: ToolContext
    workspace: Workspace
    config: Config
    emit: EventSink
    budget: Budget
    instructions: str = ""
    ask: Ask | None = None
    hooks: ConversationHooks = field(default_factory=ConversationHooks)


@dataclass
class Outcome:
    """How a run ended."""

    status: str  # solved | not_solved | budget_exhausted | interrupted | error
    stop_reason: str
    summary: str = ""
    plan: Plan | None = None
    report: TestReport | None = None
    assumption: str = ""


@dataclass
class _SoFar:
    """What a run has reached, for the outcome when it stops early."""

    plan: Plan | None = None
    report: TestReport | None = None
    baseline: PendingBaseline | None = None


def solve(parts: LoopParts) -> Outcome:
    """Run the whole loop on `parts.task` and return how it ended (also emitted as Finished)."""
    return _bounded(parts, lambda state: _attempts(parts, state))


def resume(parts: LoopParts, messages: list[Message], plan: Plan | None) -> Outcome:
    """Continue a stopped session: its last conversation and plan, the tree as it was left."""

    def attempt(state: _SoFar) -> Outcome:
        repo_map, baseline = localize(parts)
        state.baseline = baseline
        conversation = _new_conversation(
            parts, repo_map, baseline, history=_last_conversation(messages)
        )
        conversation.say(prompts.render("resumed"))
        current = plan or Plan(reading="(resumed without a plan)", steps=["finish the task"])
        state.plan = current
        report = code_and_test(parts, conversation, current, baseline, None, None)
        state.report = report
        return _judged(parts, current, report)

    return _bounded(parts, attempt)


def _bounded(parts: LoopParts, attempt: Callable[[_SoFar], Outcome]) -> Outcome:
    """Run `attempt`, turning budget stops and interrupts into outcomes; emit Finished.
    A baseline still running is stopped first, on every way out."""
    state = _SoFar()
    try:
        outcome = attempt(state)
    except BudgetExhausted as stop:
        outcome = Outcome("budget_exhausted", str(stop), plan=state.plan, report=state.report)
    except (Interrupted, KeyboardInterrupt) as stop:
        outcome = Outcome(
            "interrupted", str(stop) or "interrupted", plan=state.plan, report=state.report
        )
    except UserError as problem:  # e.g. the model provider refused: say why, stay resumable
        outcome = Outcome("error", str(problem), plan=state.plan, report=state.report)
    finally:
        if state.baseline is not None:
            state.baseline.stop()
    parts.emit(PhaseChanged("finish"))
    try:
        diff = parts.workspace.diff(parts.session_id)
    except SessionEnding as problem:  # no git may run on a tampered repository
        outcome = Outcome("error", str(problem), plan=state.plan, report=state.report)
        diff = ""
    parts.emit(Finished(outcome.status, outcome.stop_reason, outcome.summary, diff))
    return outcome


def _attempts(parts: LoopParts, state: _SoFar) -> Outcome:
    """Up to p plans, each with up to d debug rounds."""
    config = parts.config
    repo_map, baseline = localize(parts)
    state.baseline = baseline
    summary = ""
    for plan_number in range(1, config.max_plans + 1):
        conversation = _new_conversation(parts, repo_map, baseline)
        plan = make_plan(parts, conversation, summary, plan_number, baseline)
        state.plan = plan
        # asked before the reproduce phase, so its file can run with the reproduction's check
        written = test_designer.design_tests(parts, plan) if config.independent_tests else None
        before = FailsBefore(parts, written, baseline.tree, baseline.before_change)
        reproduction = (
            _already_failing(parts, plan, baseline)
            or reproduce(parts, conversation, baseline, before)
            if _wants_reproduction(parts, plan)
            else None
        )
        designed = before.result()
        report = code_and_test(parts, conversation, plan, baseline, reproduction, designed)
        state.report = report
        if report.ok:
            return _judged(parts, plan, report, designed)
        _show_plan(parts, plan, "failed")
        summary = distill(parts, plan, report)
        if plan_number < config.max_plans:
            parts.workspace.undo_to_start(parts.session_id)
    return Outcome(
        "not_solved",
        f"tests still fail after {config.max_plans} plans of {config.debug_rounds} debug rounds",
        summary,
        state.plan,
        state.report,
    )


def _judged(
    parts: LoopParts, plan: Plan, report: TestReport, designed: DesignedTests | None = None
) -> Outcome:
    """The outcome of a plan whose tests ran: solved only if they pass."""
    _show_plan(parts, plan, "done" if report.ok else "failed")
    if not report.ok:
        return Outcome("not_solved", "tests still fail", report.brief(limit=2000), plan, report)
    summary = parts.ctx.finished or report.summary_line()
    if report.missing:
        summary += "\n" + report.missing_note()
    if designed is not None:
        summary += "\n" + designed.summary()
    return Outcome("solved", "tests pass", summary, plan, report, plan.assumption)


def localize(parts: LoopParts) -> tuple[str, PendingBaseline]:
    """The repo map toward the task; the baseline and the tests the task names (failing ones
    also localized and traced when traces are on) start running beside the plan phase."""
    from agent.index.focus import focus_terms  # agent.index costs ~0.1 s to import

    parts.emit(PhaseChanged("localize"))
    index = parts.ctx.index
    repo_map = index.repo_map(focus=focus_terms(parts.task), tokens=parts.config.map_tokens)
    parts.emit(PhaseChanged("localize", "repo map ready; the baseline runs beside the plan"))
    baseline = PendingBaseline(parts)
    parts.emit = baseline.watching(parts.emit)
    return repo_map, baseline.start()


def make_plan(
    parts: LoopParts,
    conversation: Conversation,
    summary: str,
    number: int,
    baseline: PendingBaseline | None = None,
) -> Plan:
    """Ask for a plan with its own check on a concrete input; revise while the check fails."""
    parts.emit(PhaseChanged("plan", f"plan {number}"))
    _tell(conversation, baseline, prompts.render("plan", summary=summary))
    plan = _submitted_plan(conversation)
    revisions = 0
    while parts.config.verify_plan and not plan.check_agrees and revisions < MAX_PLAN_REVISIONS:
        parts.emit(PhaseChanged("verify", "the plan's check disagrees; revising"))
        revisions += 1
        _tell(conversation, baseline, prompts.render("revise", walkthrough=plan.walkthrough))
        plan = _submitted_plan(conversation)
    plan.number = number
    _settle_reading(parts, conversation, plan)
    _show_plan(parts, plan, "pending")
    return plan


def reproduce(
    parts: LoopParts,
    conversation: Conversation,
    baseline: PendingBaseline,
    before: FailsBefore,
) -> list[str] | None:
    """Have the model write (or name) tests that fail now; confirm each fails by running them
    (with the designed tests in the same run, while they have not run on the start code)."""
    parts.emit(PhaseChanged("reproduce"))
    report = baseline.finished()  # the suite still running is not waited for
    failing = (report.failing if report else baseline.named_failing())[:REPRODUCTION_CHOICES]
    _tell(conversation, baseline, prompts.render("reproduce", failing=failing))
    for _ in range(3):
        call = conversation.run_until({"reproduced"})
        if call is None:
            return None
        test_ids = [str(t) for t in call.arguments.get("test_ids") or []]
        report = before.beside(test_ids)
        not_failing = [t for t in test_ids if not saw_fail(report, t)]
        conversation.say(
            prompts.render(
                "reproduction_checked",
                test_ids=test_ids,
                not_failing=not_failing,
                outcome=report.summary_line(),
                output=report.brief(),
            )
        )
        if not not_failing:
            return test_ids
    return None


def code_and_test(
    parts: LoopParts,
    conversation: Conversation,
    plan: Plan,
    baseline: PendingBaseline,
    reproduction: list[str] | None,
    designed: DesignedTests | None,
) -> TestReport:
    """Code, then test; on failure debug from a real trace, up to d rounds. Planned tests
    that do not exist are named to the model once, and that is no debug round."""
    parts.emit(PhaseChanged("code"))
    _show_plan(parts, plan, "running")
    baseline.wait_named()  # the named tests' facts help the code; the suite may run on
    _tell(conversation, baseline, prompts.render("code", reproduction=reproduction or []))
    parts.ctx.plan_tests = None  # a change of tests before this phase is not this plan's
    report = TestReport.not_run("the model did not finish")
    start = StartTree(
        parts.ctx,
        parts.emit,
        baseline.tree,
        parts.workspace.write_tree,
        baseline.known,
        baseline.elapsed_s,
    )
    verifier = Verifier(
        parts.ctx,
        parts.emit,
        start,
        parts.config.full_suite_s,
        changed=lambda: parts.workspace.changed_files(parts.session_id),
        memo=RunMemo(parts.workspace.write_tree),
    )
    debug_round, told_missing = 0, False
    while True:
        if conversation.run_until({"finish"}) is None:
            return TestReport.not_run("the model stopped without finishing")
        parts.emit(PhaseChanged("test"))
        _take_plan_tests(parts, plan)
        report = verifier.verify(Targets.of(parts.ctx, parts.task, plan, reproduction), designed)
        if report.ok and report.missing and not told_missing:
            told_missing = True
            parts.emit(PhaseChanged("test", "no such test: " + ", ".join(report.missing)))
            conversation.say(prompts.render("missing_tests", missing=report.missing))
            continue
        if report.ok or debug_round == parts.config.debug_rounds:
            return report
        debug_round += 1
        parts.emit(PhaseChanged("debug", f"round {debug_round}"))
        _tell(conversation, baseline, debug_message(parts, report, debug_round))


def _take_plan_tests(parts: LoopParts, plan: Plan) -> None:
    """The tests the model gave plan_tests since the last verify become the plan's."""
    changed, parts.ctx.plan_tests = parts.ctx.plan_tests, None
    if changed is not None:
        plan.tests, plan.new_tests = changed
        parts.emit(
            PhaseChanged(
                "test", "the plan's tests are now: " + (" ".join(plan.test_ids()) or "none")
            )
        )


def distill(parts: LoopParts, plan: Plan, report: TestReport) -> str:
    """What the failed attempt tried and how it failed, for the next plan (no model call)."""
    diff = parts.workspace.diff(parts.session_id)
    return prompts.render(
        "distilled",
        reading=plan.reading,
        steps=plan.steps,
        failures=report.brief(limit=3000),
        diff=diff[:4000],
    )


def _new_conversation(
    parts: LoopParts, repo_map: str, baseline: PendingBaseline, history: list[Message] | None = None
) -> Conversation:
    system = prompts.render(
        "system", root=str(parts.ctx.root), instructions=parts.instructions, repo_map=repo_map
    )

    def after_turn(calls: list[ToolCall], results: list[ToolResult]) -> None:
        _checkpoint(parts, calls)
        baseline.turn_ended()
        news = baseline.news(results_only=True)  # told once known, not when the phase ends
        if news:
            conversation.note(news)

    conversation = Conversation(
        model=parts.model,
        registry=parts.registry,
        ctx=parts.ctx,
        system=system,
        emit=parts.emit,
        budget=parts.budget,
        context_threshold=parts.config.context_threshold,
        after_turn=after_turn,
        hooks=replace(parts.hooks, review=_after_baseline(baseline, parts.hooks.review)),
    )
    if history:
        conversation.messages = history
    else:
        conversation.say(prompts.render("task", task=parts.task, context=baseline.context()))
    return conversation


def _after_baseline(baseline: PendingBaseline, review_call: ReviewCall | None) -> ReviewCall:
    """A writing call runs only once the baseline of the start tree has finished or was
    stopped (a command or a test run may run beside it), then goes to the person's review
    (if any)."""

    def review(call: ToolCall) -> ToolCall | str:
        beside = call.name in ("run_command", "run_tests")  # they run code, they edit nothing
        if not beside:
            baseline.before_change()
        verdict = call if review_call is None else review_call(call)
        if isinstance(verdict, str) or not beside:
            return verdict
        if call.name == "run_tests":
            baseline.before_tests()
        else:
            baseline.before_command(str(verdict.arguments.get("command", "")))
        return verdict

    return review


def _tell(conversation: Conversation, baseline: PendingBaseline | None, text: str) -> None:
    """Say `text`, after the baseline's facts if they became known since the last message."""
    news = baseline.news() if baseline is not None else ""
    conversation.say(f"{news}\n\n{text}" if news else text)


def _last_conversation(messages: list[Message]) -> list[Message]:
    """The stored messages of the last conversation, closed so it can be continued.

    Each conversation starts with the task message; a turn cut off before its tool calls ran
    gets error results, since the API needs a result for every call.
    """
    starts = [
        i for i, m in enumerate(messages) if m.role == "user" and m.text.startswith(TASK_PREFIX)
    ]
    history = messages[starts[-1] :] if starts else list(messages)
    if history and history[-1].role == "assistant" and history[-1].tool_calls:
        history.append(
            Message(
                "user",
                [
                    ToolResult(
                        call.id, "not run: the session stopped before this call", is_error=True
                    )
                    for call in history[-1].tool_calls
                ],
            )
        )
    return history


def _already_failing(parts: LoopParts, plan: Plan, baseline: PendingBaseline) -> list[str]:
    """The tests the plan or the task names that the baseline run saw fail, or the run of
    the tests the task names (the suite stopped, or not waited for): the bug is reproduced
    already."""
    report = baseline.finished()
    named = [*plan.test_ids(), *named_tests(parts.ctx, parts.task)]
    for failing, run_name in (
        (report.failing if report else [], "the baseline run"),
        (baseline.named_failing(), "the run of the tests the task names"),
    ):
        found = [t for t in dict.fromkeys(named) if t in set(failing)]
        if found:
            verb = "fails" if len(found) == 1 else "fail"
            parts.emit(PhaseChanged("reproduce", f"{', '.join(found)} already {verb} ({run_name})"))
            return found
    return []


def _wants_reproduction(parts: LoopParts, plan: Plan) -> bool:
    return plan.bug and parts.config.reproduce and bool(parts.ctx.test_command)


def _submitted_plan(conversation: Conversation) -> Plan:
    call = conversation.run_until({"submit_plan"})
    if call is None:
        return Plan(reading="(no plan submitted)", steps=["work on the task directly"])
    return Plan.from_arguments(call.arguments)


def _settle_reading(parts: LoopParts, conversation: Conversation, plan: Plan) -> None:
    """Two readings that behave differently: ask the person if one is there, else state it."""
    if len(plan.readings) < 2:
        return
    question = "The task can be read more than one way. Which is meant?"
    if parts.ask is not None:
        answer = parts.ask(question, plan.readings)
        plan.assumption = f"the person chose: {answer}"
        conversation.say(f"The person says the task means: {answer}")
    parts.emit(QuestionAsked(question, tuple(plan.readings), plan.assumption))


def _checkpoint(parts: LoopParts, calls: list[ToolCall]) -> None:
    """After a turn that may have changed files: a git checkpoint and an event per changed file."""
    parts.ctx.take_changed_files()
    if all((tool := parts.registry.get(call.name)) is None or tool.read_only for call in calls):
        return
    previous = parts.workspace.checkpoints(parts.session_id)[0].sha
    sha = parts.workspace.checkpoint(parts.session_id, "after " + ", ".join(c.name for c in calls))
    if sha == previous:
        return
    for path, diff in split_diff(parts.workspace.diff(parts.session_id, against=previous)):
        parts.emit(EditApplied(path, diff, sha))


def split_diff(diff: str) -> list[tuple[str, str]]:
    """A multi-file unified diff as (path, that file's diff) pairs."""
    pieces: list[tuple[str, str]] = []
    for chunk in diff.split("diff --git ")[1:]:
        header = chunk.split("\n", 1)[0]
        path = header.split(" b/", 1)[-1] if " b/" in header else header
        pieces.append((path, "diff --git " + chunk))
    return pieces


def _show_plan(parts: LoopParts, plan: Plan, status: str) -> None:
    plan.mark(status)
    parts.emit(PlanUpdated(plan.reading, tuple(plan.steps), plan.statuses, plan.number))
