"""What of a conversation is sent to the model: superseded tool results stubbed, and the
oldest turns summarized once the request nears the context window.

The stored conversation keeps everything (the session store, `agent show` and the TUI read
it); only the request shrinks. Both changes happen in batches, so the request's prefix stays
the same from one turn to the next and the provider's prompt cache keeps hitting: stubs are
applied when the loop starts a step (a phase, a debug round) if they are worth re-sending
what follows them, when they have come to a fifth of the request, or when the request passes
the threshold; the summary is rewritten only when the request passes it again. A result that
repeats word for word one still shown is stubbed from its first sending, which changes
nothing already cached. Every tool call keeps its result (stubbed or not), and the model's
messages are sent as they were (thinking blocks included) or not at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from agent.messages import Message, Text, ToolCall, ToolResult
from agent.models.tokens import message_blocks, size, tokens_for

STUB_MIN_CHARS = 400  # results this short cost less than their stub would save
STALE_SHARE = 0.2  # stale results are stubbed between steps once they are this share of a request
STEP_SHARE = 0.15  # ... and when a step starts, once they are this share of what would be re-sent
KEEP_SHARE = 0.5  # after a summary, the request is about this share of the threshold
SUMMARY_ROOM = 15_000  # characters a summary may take (its parts are capped)
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
        sent = self._render(messages)
        if self._restub(
            messages, prefix_chars + _chars(sent), batch, over=self._over(sent, prefix_chars)
        ):
            sent = self._render(messages)
        if self._over(sent, prefix_chars):
            self._summarize(messages, prefix_chars)
            sent = self._render(messages)
        self.last_tokens = tokens_for(prefix_chars + _chars(sent))
        return sent

    def _restub(self, messages: list[Message], request_chars: int, batch: bool, over: bool) -> bool:
        """Stub the results made stale since the last time; whether any were.

        Stubbing one re-sends, uncached, everything after it, so it is done when the
        request is over the threshold, at the start of a step if the stale results are
        STEP_SHARE of what would be re-sent, or between steps once they are STALE_SHARE of
        the whole request. The saving is measured on the results as they are sent now: a
        repeat already sent as a stub saves nothing more."""
        fresh = {k: v for k, v in superseded(messages).items() if k not in self.stubs}
        if not fresh:
            return False
        stale = resent = 0
        stubs = self._stub_map(messages)
        for message in (_stubbed(m, stubs) for m in messages[self.summary_to :]):
            found = sum(
                max(len(p.content) - len(fresh[p.call_id]), 0)
                for p in message.parts
                if isinstance(p, ToolResult) and p.call_id in fresh
            )
            stale += found
            resent += _chars([message]) if stale else 0
        if not (over or stale >= (STEP_SHARE * resent if batch else STALE_SHARE * request_chars)):
            return False
        self.stubs.update(fresh)
        return True

    def _over(self, sent: list[Message], prefix_chars: int) -> bool:
        return tokens_for(prefix_chars + _chars(sent)) > self.threshold * self.window_tokens

    def _stub_map(self, messages: list[Message]) -> dict[str, str]:
        """The stale results' stubs, and the repeats of results still shown in full."""
        return {**repeated(messages, set(self.stubs), self.summary_to), **self.stubs}

    def _render(self, messages: list[Message]) -> list[Message]:
        stubs = self._stub_map(messages)
        rendered = [_stubbed(m, stubs) for m in messages]
        if self.summary_to <= 1 or len(rendered) <= self.summary_to:
            return rendered
        first = Message(rendered[0].role, [*rendered[0].parts, Text(self.summary)])
        return [first, *rendered[self.summary_to :]]

    def _summarize(self, messages: list[Message], prefix_chars: int) -> None:
        """Move the cut forward until the request is back to KEEP_SHARE of the threshold."""
        budget = KEEP_SHARE * self.threshold * self.window_tokens
        stubs = self._stub_map(messages)
        rendered = [_stubbed(m, stubs) for m in messages]
        cut = max(self.summary_to, 1)
        sizes = [_chars([m]) for m in rendered]
        tail = sum(sizes[cut:])
        head = prefix_chars + sizes[0] + SUMMARY_ROOM  # the task message and the summary
        last_assistant = max(
            (i for i, m in enumerate(messages) if m.role == "assistant"), default=0
        )
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


def _stubbed(message: Message, stubs: dict[str, str]) -> Message:
    if message.role != "user" or not any(
        isinstance(p, ToolResult) and p.call_id in stubs for p in message.parts
    ):
        return message
    return Message(
        message.role,
        [
            ToolResult(p.call_id, stubs[p.call_id], p.is_error)
            if isinstance(p, ToolResult) and p.call_id in stubs
            else p
            for p in message.parts
        ],
    )


def _chars(messages: list[Message]) -> int:
    return sum(size(message_blocks(m)) for m in messages)


def _calls(messages: list[Message]) -> list[tuple[ToolCall, ToolResult | None]]:
    """Every tool call with its result, in order."""
    results = {p.call_id: p for m in messages for p in m.parts if isinstance(p, ToolResult)}
    return [(call, results.get(call.id)) for m in messages for call in m.tool_calls]


def superseded(messages: list[Message]) -> dict[str, str]:
    """Stubs for the results a later call made stale or repeated, by call id.

    One pass from the newest call back, remembering what the later calls did. A call that
    only repeated an earlier one word for word does not make that one stale: the repeat is
    the one left out (see `repeated`)."""
    later = _LaterCalls()
    stubs = {}
    repeats = repeated(messages)
    for call, result in reversed(_calls(messages)):
        reason = later.why_stale(call)
        if reason and result is not None and len(result.content) >= STUB_MIN_CHARS:
            lines = result.content.count("\n") + 1
            stubs[call.id] = f"[{lines} lines left out: {reason}; call again if needed]"
        if call.id not in repeats:
            later.add(call)
    return stubs


def repeated(
    messages: list[Message], hidden: set[str] = frozenset(), first_shown: int = 0
) -> dict[str, str]:
    """Stubs for the results that repeat word for word the result of the same call made
    earlier, while that one is still shown in full (not in `hidden`, not before message
    `first_shown`): a file read again unchanged is sent once, so nothing already cached
    changes."""
    results = {p.call_id: p for m in messages for p in m.parts if isinstance(p, ToolResult)}
    shown: dict[str, str] = {}
    stubs = {}
    for index, message in enumerate(messages):
        for call in message.tool_calls:
            result = results.get(call.id)
            if (
                call.name in WRITES
                or result is None
                or result.is_error
                or len(result.content) < STUB_MIN_CHARS
            ):
                continue
            key = _key(call)
            if shown.get(key) == result.content:
                stubs[call.id] = "[unchanged: as the same call above]"
            elif call.id not in hidden and index >= first_shown:
                shown[key] = result.content
    return stubs


class _LaterCalls:
    """What the calls after a point did: files written, lines read, tests run, calls made."""

    def __init__(self) -> None:
        self.written: set[str] = set()
        self.read: dict[str, list[tuple[int, int]]] = {}
        self.tests: set[tuple[str, ...]] = set()
        self.made: set[str] = set()

    def add(self, call: ToolCall) -> None:
        path = str(call.arguments.get("path"))
        if call.name in WRITES:
            self.written.add(path)
        elif call.name == "read_file":
            self.read.setdefault(path, []).append(_lines(call))
        elif call.name == "run_tests":
            self.tests.add(_targets(call))
        self.made.add(_key(call))

    def why_stale(self, call: ToolCall) -> str | None:
        """Why a later call makes this call's result stale or repeated, if one does."""
        path = str(call.arguments.get("path"))
        if call.name in READS_FILE and path in self.written:
            return f"{path} was changed after it"
        if call.name == "read_file":
            start, end = _lines(call)
            if any(first <= start and last >= end for first, last in self.read.get(path, ())):
                return "a later read_file showed these lines again"
        if call.name == "run_tests" and (() in self.tests or _targets(call) in self.tests):
            return "the tests ran again later"
        if call.name not in WRITES and _key(call) in self.made:
            return "the same call was made again later"
        return None


def _key(call: ToolCall) -> str:
    return call.name + json.dumps(call.arguments, sort_keys=True)


def _lines(call: ToolCall) -> tuple[int, int]:
    start = call.arguments.get("start") or 1
    end = call.arguments.get("end") or start + 199
    return int(start), int(end)


def _targets(call: ToolCall) -> tuple[str, ...]:
    return tuple(sorted(str(call.arguments.get("target", "")).split()))


def describe(call: ToolCall, limit: int = 80) -> str:
    """`read_file(path="a.py", start=201)`, shortened."""
    arguments = ", ".join(
        f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in call.arguments.items()
    )
    if len(arguments) > limit:
        arguments = arguments[:limit] + "..."
    return f"{call.name}({arguments})"


def summarize(dropped: list[Message], kept: list[Message]) -> str:
    """What the left-out messages did, written from the conversation's own record: the plan,
    the files changed, the calls made, the latest test results and the loop's latest words."""
    pairs = _calls(dropped)
    kept_names = {call.name for call, _ in _calls(kept)}
    lines = [
        f"[{len(dropped)} earlier messages are left out to fit the context window; "
        "the agent's summary of them follows.]"
    ]
    plans = [call for call, _ in pairs if call.name == "submit_plan"]
    if plans and "submit_plan" not in kept_names:
        lines.append(
            "Your plan (submit_plan): " + json.dumps(plans[-1].arguments, ensure_ascii=False)
        )
    changed = dict.fromkeys(
        str(call.arguments.get("path")) for call, _ in pairs if call.name in WRITES
    )
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
    return (
        text
        if len(text) <= limit
        else text[:limit] + f"\n[... {len(text) - limit} more characters]"
    )
