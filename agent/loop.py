"""The plan-code-test loop, top to bottom.

localize -> plan (checked on a concrete input, revised if the check fails) -> reproduce
(bug-like tasks: a test that fails now, run for real) -> code -> test (targeted, then the
suite against its baseline) -> debug from real traces (up to d rounds) -> a fresh plan seeded
by what failed (up to p plans) -> finish. The loop emits events and never prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import prompts
from agent import checks, test_designer
from agent.budget import Budget, BudgetExhausted, Interrupted
from agent.conversation import Conversation
from agent.events import EditApplied, EventSink, Finished, PhaseChanged, PlanUpdated, QuestionAsked
from agent.plan import Plan

MAX_PLAN_REVISIONS = 2


@dataclass
class LoopParts:
    """Everything one run of the loop uses; built by agent/runner.py."""

    task: str
    session_id: str
    model: object
    registry: object
    ctx: object
    workspace: object
    config: object
    emit: EventSink
    budget: Budget
    instructions: str = ""
    ask: Callable[[str, list[str]], str] | None = None
    conversation_options: dict = field(default_factory=dict)


@dataclass
class Outcome:
    """How a run ended."""

    status: str  # solved | not_solved | budget_exhausted | interrupted | error
    stop_reason: str
    summary: str = ""
    plan: Plan | None = None
    report: checks.TestReport | None = None
    assumption: str = ""


def solve(parts: LoopParts) -> Outcome:
    """Run the whole loop on `parts.task` and return how it ended (also emitted as Finished)."""
    state = {"plan": None, "report": None}
    try:
        outcome = _attempts(parts, state)
    except BudgetExhausted as stop:
        outcome = Outcome("budget_exhausted", str(stop), plan=state["plan"], report=state["report"])
    except (Interrupted, KeyboardInterrupt) as stop:
        outcome = Outcome("interrupted", str(stop) or "interrupted", plan=state["plan"])
    parts.emit(PhaseChanged("finish"))
    parts.emit(Finished(outcome.status, outcome.stop_reason, outcome.summary,
                        parts.workspace.diff(parts.session_id)))
    return outcome


def _attempts(parts: LoopParts, state: dict) -> Outcome:
    """Up to p plans, each with up to d debug rounds."""
    config = parts.config
    repo_map, context, baseline = localize(parts)
    summary = ""
    for plan_number in range(1, config.max_plans + 1):
        conversation = _new_conversation(parts, repo_map, context)
        plan = make_plan(parts, conversation, summary, plan_number)
        state["plan"] = plan
        reproduction = reproduce(parts, conversation) if plan.bug and config.reproduce else None
        designed = test_designer.design_tests(parts, plan) if config.independent_tests else None
        report = code_and_test(parts, conversation, plan, baseline, reproduction, designed)
        state["report"] = report
        if report.ok:
            _show_plan(parts, plan, "done")
            return Outcome("solved", "tests pass", report.summary_line(), plan, report,
                           plan.assumption)
        _show_plan(parts, plan, "failed")
        summary = distill(parts, plan, report)
        if plan_number < config.max_plans:
            parts.workspace.undo_to_start(parts.session_id)
    return Outcome("not_solved",
                   f"tests still fail after {config.max_plans} plans of "
                   f"{config.debug_rounds} debug rounds", summary, state["plan"], state["report"])


def localize(parts: LoopParts) -> tuple[str, str, checks.TestReport | None]:
    """The repo map toward the task, the tests the task names (run for real), the baseline."""
    parts.emit(PhaseChanged("localize"))
    index = parts.ctx.index
    repo_map = index.repo_map(focus=checks.focus_terms(parts.task, index),
                              tokens=parts.config.map_tokens)
    baseline = checks.baseline(parts.ctx, parts.emit)
    context = checks.named_tests_context(parts.ctx, parts.task, parts.emit)
    return repo_map, context, baseline


def make_plan(parts: LoopParts, conversation: Conversation, summary: str, number: int) -> Plan:
    """Ask for a plan with its own check on a concrete input; revise while the check fails."""
    parts.emit(PhaseChanged("plan", f"plan {number}"))
    conversation.say(prompts.render("plan", summary=summary))
    plan = _submitted_plan(conversation)
    revisions = 0
    while parts.config.verify_plan and not plan.check_agrees and revisions < MAX_PLAN_REVISIONS:
        parts.emit(PhaseChanged("verify", "the plan's check disagrees; revising"))
        revisions += 1
        conversation.say(prompts.render("revise", walkthrough=plan.walkthrough))
        plan = _submitted_plan(conversation)
    plan.number = number
    _settle_reading(parts, conversation, plan)
    _show_plan(parts, plan, "pending")
    return plan


def reproduce(parts: LoopParts, conversation: Conversation) -> str | None:
    """Have the model write a test that fails now; confirm it fails by running it."""
    parts.emit(PhaseChanged("reproduce"))
    conversation.say(prompts.render("reproduce"))
    for _ in range(3):
        call = conversation.run_until({"reproduced"})
        if call is None:
            return None
        test_id = str(call.arguments.get("test_id", ""))
        report = checks.run(parts.ctx, test_id, parts.emit)
        failed = report.failed + report.errors > 0 and report.collected
        conversation.say(prompts.render(
            "reproduction_checked", failed=failed, test_id=test_id,
            outcome=report.summary_line(), output=report.brief(),
        ))
        if failed:
            return test_id
    return None


def code_and_test(parts: LoopParts, conversation: Conversation, plan: Plan,
                  baseline, reproduction: str | None, designed) -> checks.TestReport:
    """Code, then test; on failure debug from a real trace, up to d rounds."""
    parts.emit(PhaseChanged("code"))
    _show_plan(parts, plan, "running")
    conversation.say(prompts.render("code"))
    report = checks.TestReport.not_run("the model did not finish")
    for debug_round in range(parts.config.debug_rounds + 1):
        if conversation.run_until({"finish"}) is None:
            return checks.TestReport.not_run("the model stopped without finishing")
        parts.emit(PhaseChanged("test"))
        report = checks.verify(parts.ctx, plan, baseline, reproduction, designed, parts.emit)
        if report.ok or debug_round == parts.config.debug_rounds:
            return report
        parts.emit(PhaseChanged("debug", f"round {debug_round + 1}"))
        conversation.say(checks.debug_message(parts, report, debug_round + 1))
    return report


def distill(parts: LoopParts, plan: Plan, report: checks.TestReport) -> str:
    """What the failed attempt tried and how it failed, for the next plan (no model call)."""
    diff = parts.workspace.diff(parts.session_id)
    return prompts.render(
        "distilled", reading=plan.reading, steps=plan.steps,
        failures=report.brief(limit=3000), diff=diff[:4000],
    )


def _new_conversation(parts: LoopParts, repo_map: str, context: str) -> Conversation:
    system = prompts.render("system", root=str(parts.ctx.root), instructions=parts.instructions,
                            repo_map=repo_map)
    conversation = Conversation(
        model=parts.model, registry=parts.registry, ctx=parts.ctx, system=system,
        emit=parts.emit, budget=parts.budget,
        after_turn=lambda calls, results: _checkpoint(parts),
        **parts.conversation_options,
    )
    conversation.say(prompts.render("task", task=parts.task, context=context))
    return conversation


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


def _checkpoint(parts: LoopParts) -> None:
    """After a turn that changed files: a git checkpoint and one event per changed file."""
    changed = parts.ctx.take_changed_files()
    if not changed:
        return
    sha = parts.workspace.checkpoint(parts.session_id, "edit")
    for path in changed:
        parts.emit(EditApplied(path, parts.workspace.file_diff(parts.session_id, path), sha))


def _show_plan(parts: LoopParts, plan: Plan, status: str) -> None:
    plan.mark(status)
    parts.emit(PlanUpdated(plan.reading, tuple(plan.steps), tuple(plan.statuses), plan.number))
