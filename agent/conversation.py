"""One model conversation with tools: ask, run the tool calls, repeat until a phase tool is called.

The loop (agent/loop.py) decides what to say; this module only turns the crank: a model call,
the turn's tool calls through the executor, events for each, the budget checked every turn.
`messages` is the whole conversation; what each request carries of it is decided by
agent/history.py (stale tool results stubbed, old turns summarized near the context window).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from agent import prompts
from agent.budget import Budget, Interrupted
from agent.events import CostUpdated, EventSink, ModelText, ToolCallFinished, ToolCallStarted
from agent.extension import ConversationHooks
from agent.history import SentHistory
from agent.messages import Message, ModelRequest, ModelResponse, Text, ToolCall, ToolResult
from agent.models.tokens import context_window, prefix_blocks, size

if TYPE_CHECKING:
    from agent.models import Model
    from agent.tools.context import ToolContext
    from agent.tools.registry import Registry

MAX_NUDGES = 2


@dataclass
class Conversation:
    """The messages of one model conversation and the means to continue it."""

    model: Model
    registry: Registry
    ctx: ToolContext
    system: str
    emit: EventSink
    budget: Budget
    messages: list[Message] = field(default_factory=list)
    hooks: ConversationHooks = field(default_factory=ConversationHooks)
    after_turn: Callable[[list[ToolCall], list[ToolResult]], None] = lambda calls, results: None
    max_tokens: int = 8192
    context_threshold: float = 0.6  # share of the model's context window a request may fill
    sent: SentHistory = field(init=False)

    def __post_init__(self) -> None:
        self.sent = SentHistory(
            context_window(getattr(self.model, "name", "")), self.context_threshold
        )
        self._step_started = True

    def say(self, text: str) -> None:
        """Add user text, joining the pending user message (tool results) if there is one.

        The loop speaks when a step begins (a phase, a debug round), so that is when stale
        tool results are stubbed in what is sent.
        """
        self._step_started = True
        if self.messages and self.messages[-1].role == "user":
            self.messages[-1].parts.append(Text(text))
        else:
            self.messages.append(Message("user", [Text(text)]))

    def note(self, text: str) -> None:
        """Add user text to the pending user message without beginning a step: a fact that
        arrived mid-phase (the baseline's result) is told, and nothing sent is re-stubbed."""
        started = self._step_started
        self.say(text)
        self._step_started = started

    def run_until(self, stop_tools: set[str]) -> ToolCall | None:
        """Let the model work until it successfully calls one of `stop_tools`.

        Returns that call, or None if the model twice stops talking without calling one.
        """
        nudges = 0
        while True:
            response = self._ask_model()
            calls = response.message.tool_calls
            if not calls:
                if response.stop_reason == "max_tokens":
                    self.say("Your answer was cut off at the token limit. Continue, more briefly.")
                    continue
                if nudges >= MAX_NUDGES:
                    return None
                nudges += 1
                self.say(prompts.render("nudge", tool=" or ".join(sorted(stop_tools))))
                continue
            results = self._run_tools(calls)
            for call, result in zip(calls, results, strict=False):
                if call.name in stop_tools and not result.is_error:
                    return call

    def _ask_model(self) -> ModelResponse:
        self.budget.check()
        self._check_cancel()
        guidance = self.hooks.guidance()
        if guidance:
            self.say(f"Guidance from the person overseeing you: {guidance}")
        self._commit_pending_user_message()
        request = ModelRequest(
            system=self.system, messages=[], tools=self.registry.specs(), max_tokens=self.max_tokens
        )
        request.messages = self.sent.messages(
            self.messages, size(prefix_blocks(request)), batch=self._step_started
        )
        self._step_started = False
        response = self.model.complete(request, on_text=self._stream_text)
        self.budget.charge(response.usage)
        usage = self.budget.usage
        self.emit(
            CostUpdated(
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cache_read_tokens=usage.cache_read_tokens,
                cache_write_tokens=usage.cache_write_tokens,
                cost_usd=usage.cost_usd,
                model_calls=self.budget.turns,
            )
        )
        self.messages.append(response.message)
        self.hooks.on_message(response.message)
        if response.message.text.strip():
            self.emit(ModelText(response.message.text, delta=False))
        return response

    def _run_tools(self, calls: list[ToolCall]) -> list[ToolResult]:
        from agent.tools.executor import execute_turn

        self._check_cancel()
        approved, rejected = self._reviewed(calls)
        ran = iter(
            execute_turn(
                approved,
                self.registry,
                self.ctx,
                on_start=lambda call: self.emit(
                    ToolCallStarted(call.id, call.name, call.arguments)
                ),
                on_finish=self._tool_finished,
            )
        )
        results = [rejected[call.id] if call.id in rejected else next(ran) for call in calls]
        self.messages.append(Message("user", list(results)))
        self.after_turn(calls, results)
        return results

    def _reviewed(self, calls: list[ToolCall]) -> tuple[list[ToolCall], dict[str, ToolResult]]:
        """Calls that change things go past the person first (if someone reviews them).

        `hooks.review` returns the call to run (possibly edited) or the reason it was refused,
        which reaches the model as the call's result.
        """
        approved, rejected = [], {}
        for call in calls:
            tool = self.registry.get(call.name)
            if self.hooks.review is None or tool is None or tool.read_only:
                approved.append(call)
                continue
            verdict = self.hooks.review(call)
            if isinstance(verdict, str):
                rejected[call.id] = ToolResult(
                    call.id, f"The person overseeing you rejected this call: {verdict}", True
                )
            else:
                approved.append(verdict)
        return approved, rejected

    def _tool_finished(self, call: ToolCall, result: ToolResult, duration_s: float) -> None:
        self.emit(ToolCallFinished(call.id, call.name, result.content, result.is_error, duration_s))

    def _stream_text(self, text: str) -> None:
        self.emit(ModelText(text, delta=True))

    def _commit_pending_user_message(self) -> None:
        """Persist the user message about to be sent (tool results and text said since)."""
        if self.messages and self.messages[-1].role == "user":
            self.hooks.on_message(self.messages[-1])

    def _check_cancel(self) -> None:
        if self.hooks.cancel.is_set():
            raise Interrupted("stopped by the person")
