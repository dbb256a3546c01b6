"""What of a conversation is sent to the model: superseded tool results stubbed, and the
oldest turns summarized once the request nears the context window.

The stored conversation keeps everything (the session store, `agent show` and the TUI read
it); only the request shrinks. Both changes happen in batches, so the request's prefix stays
the same from one turn to the next and the provider's prompt cache keeps hitting: stubs are
applied when the loop starts a step (a phase, a debug round) or when the request passes the
threshold; the summary is rewritten only when the request passes it again. Every tool call
keeps its result (stubbed or not), and the model's messages are sent as they were
(thinking blocks included) or not at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from agent.messages import Message, Text, ToolCall, ToolResult
from agent.models.tokens import message_blocks, size, tokens_for

STUB_MIN_CHARS = 400  # results this short cost less than their stub would save
KEEP_SHARE = 0.5  # after a summary, the request is about this share of the threshold
WRITES = {"edit_file", "create_file", "delete_file"}
READS_FILE = {"read_file", "outline"}


@dataclass
class SentHistory:
    """Decides the messages each request carries; remembers its elisions between turns."""

    window_tokens: int
    threshold: float = 0.6
    stubs: dict[str, str] = field(default_factory=dict)  # call id -> one-line stub
    summary_to: int = 0  # messages[1:summary_to] are stood for by `summary`
    summary: str = ""
    last_tokens: int = 0  # the estimate of the last request

    def messages(self, messages: list[Message], prefix_chars: int, batch: bool) -> list[Message]:
        """The messages to send now; `batch` says the loop is starting a step."""
        if batch:
            self.stubs.update(superseded(messages))
        sent = self._render(messages)
        if self._over(sent, prefix_chars):
            self.stubs.update(superseded(messages))
            sent = self._render(messages)
        if self._over(sent, prefix_chars):
            self._summarize(messages, prefix_chars)
            sent = self._render(messages)
        self.last_tokens = tokens_for(prefix_chars + _chars(sent))
        return sent

    def _over(self, sent: list[Message], prefix_chars: int) -> bool:
        return tokens_for(prefix_chars + _chars(sent)) > self.threshold * self.window_tokens

    def _render(self, messages: list[Message]) -> list[Message]:
        rendered = [self._stubbed(m) for m in messages]
        if self.summary_to <= 1 or len(rendered) <= self.summary_to:
            return rendered
        first = Message(rendered[0].role, [*rendered[0].parts, Text(self.summary)])
        return [first, *rendered[self.summary_to:]]

    def _stubbed(self, message: Message) -> Message:
        if message.role != "user" or not any(
                isinstance(p, ToolResult) and p.call_id in self.stubs for p in message.parts):
            return message
        return Message(message.role, [
            ToolResult(p.call_id, self.stubs[p.call_id], p.is_error)
            if isinstance(p, ToolResult) and p.call_id in self.stubs else p
            for p in message.parts])

    def _summarize(self, messages: list[Message], prefix_chars: int) -> None:
        """Move the cut forward until the request is back to KEEP_SHARE of the threshold."""
        budget = KEEP_SHARE * self.threshold * self.window_tokens
        rendered = [self._stubbed(m) for m in messages]
        cut = max(self.summary_to, 1)
        sizes = [_chars([m]) for m in rendered]
        tail = sum(sizes[cut:])
        head = prefix_chars + sizes[0] + 4000  # the task message and room for the summary
        last_assistant = max((i for i, m in enumerate(messages) if m.role == "assistant"),
                             default=0)
        while cut < last_assistant and tokens_for(head + tail) > budget:
            tail -= sizes[cut]
            cut += 1
        while cut < len(messages) and messages[cut].role != "assistant":
            tail -= sizes[cut]
            cut += 1
        if cut <= max(self.summary_to, 1) or cut >= len(messages):
            return
        self.summary_to = cut
        self.summary = summarize(messages[1:cut], messages[cut:])


def _chars(messages: list[Message]) -> int:
    return sum(size(message_blocks(m)) for m in messages)


def _calls(messages: list[Message]) -> list[tuple[ToolCall, ToolResult | None]]:
    """Every tool call with its result, in order."""
    results = {p.call_id: p for m in messages for p in m.parts if isinstance(p, ToolResult)}
    return [(call, results.get(call.id)) for m in messages for call in m.tool_calls]


def superseded(messages: list[Message]) -> dict[str, str]:
    """Stubs for the results a later call made stale or repeated, by call id."""
    calls = _calls(messages)
    stubs = {}
    for index, (call, result) in enumerate(calls):
        if result is None or len(result.content) < STUB_MIN_CHARS:
            continue
        reason = next((why for later, _ in calls[index + 1:]
                       if (why := _supersedes(call, later))), None)
        if reason:
            lines = result.content.count("\n") + 1
            stubs[call.id] = (f"[{describe(call)}: {lines} lines, left out here because "
                              f"{reason}; call it again if you need them]")
    return stubs


def _supersedes(earlier: ToolCall, later: ToolCall) -> str | None:
    """Why `later` makes the result of `earlier` stale or repeated, if it does."""
    path = earlier.arguments.get("path")
    if earlier.name in READS_FILE and later.name in WRITES and later.arguments.get("path") == path:
        return f"{path} was changed after it"
    if earlier.name == "read_file" and later.name == "read_file" and _covers(later, earlier):
        return "a later read_file showed these lines again"
    if earlier.name == "run_tests" and later.name == "run_tests" and (
            not later.arguments.get("target", "").split()
            or _targets(later) == _targets(earlier)):
        return "the tests ran again later"
    if earlier.name not in WRITES and later.name == earlier.name \
            and later.arguments == earlier.arguments:
        return "the same call was made again later"
    return None


def _covers(later: ToolCall, earlier: ToolCall) -> bool:
    if later.arguments.get("path") != earlier.arguments.get("path"):
        return False
    (start, end), (first, last) = _lines(earlier), _lines(later)
    return first <= start and last >= end


def _lines(call: ToolCall) -> tuple[int, int]:
    start = call.arguments.get("start") or 1
    end = call.arguments.get("end") or start + 199
    return int(start), int(end)


def _targets(call: ToolCall) -> list[str]:
    return sorted(str(call.arguments.get("target", "")).split())


def describe(call: ToolCall, limit: int = 80) -> str:
    """`read_file(path="a.py", start=201)`, shortened."""
    arguments = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}"
                          for k, v in call.arguments.items())
    if len(arguments) > limit:
        arguments = arguments[:limit] + "..."
    return f"{call.name}({arguments})"


def summarize(dropped: list[Message], kept: list[Message]) -> str:
    """What the left-out messages did, written from the conversation's own record: the plan,
    the files changed, the calls made, the latest test results and the loop's latest words."""
    pairs = _calls(dropped)
    kept_names = {call.name for call, _ in _calls(kept)}
    lines = [f"[{len(dropped)} earlier messages are left out to fit the context window; "
             "the agent's summary of them follows.]"]
    plans = [call for call, _ in pairs if call.name == "submit_plan"]
    if plans and "submit_plan" not in kept_names:
        lines.append("Your plan (submit_plan): " + json.dumps(plans[-1].arguments,
                                                              ensure_ascii=False))
    changed = dict.fromkeys(str(call.arguments.get("path")) for call, _ in pairs
                            if call.name in WRITES)
    if changed:
        lines.append("Files you changed: " + ", ".join(changed))
    made = [describe(call, 50) for call, _ in pairs]
    if made:
        shown = made[-40:]
        more = f" (and {len(made) - len(shown)} before them)" if len(made) > len(shown) else ""
        lines.append(f"Calls you made{more}: " + "; ".join(shown))
    tests = [(call, result) for call, result in pairs if call.name == "run_tests" and result]
    if tests and "run_tests" not in kept_names:
        call, result = tests[-1]
        lines.append(f"The latest test results ({describe(call)}):\n{_cut(result.content)}")
    said = [p.text for m in dropped if m.role == "user" for p in m.parts if isinstance(p, Text)]
    for text in said[-2:]:
        lines.append(f"The agent said:\n{_cut(text)}")
    return "\n".join(lines)


def _cut(text: str, limit: int = 3000) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n[... {len(text) - limit} more characters]"
