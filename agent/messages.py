"""Typed conversation parts shared by the loop, the providers and the tools.

A conversation is a list of `Message`s; each holds parts: `Text`, `ToolCall` (assistant
only), `ToolResult` (user only) and `Reasoning` (assistant only, opaque). Providers
translate these to and from their wire formats; nothing else in the agent knows one.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

log = logging.getLogger("agent.usage")

Role = Literal["user", "assistant"]


@dataclass(frozen=True)
class Text:
    """Plain text from the user or the model."""

    text: str
    type: Literal["text"] = "text"


@dataclass(frozen=True)
class ToolCall:
    """The model asks for a tool to run with these arguments."""

    id: str
    name: str
    arguments: dict[str, Any]
    type: Literal["tool_call"] = "tool_call"


# Keys of ToolCall.arguments when the model's tool input was not valid JSON.
RAW_ARGUMENTS_KEY = "_raw_arguments"
ARGUMENTS_ERROR_KEY = "_arguments_error"


def tool_call_from_json(call_id: str, name: str, raw: str) -> ToolCall:
    """A tool call from the model's raw JSON input. Input that is not a JSON object
    becomes a call whose arguments carry the raw text and the problem, so the loop can
    answer with a tool error (see `arguments_error`) instead of crashing."""
    try:
        value = json.loads(raw) if raw.strip() else {}
        problem = (
            "" if isinstance(value, dict) else f"expected an object, got {type(value).__name__}"
        )
    except json.JSONDecodeError as error:
        value, problem = None, str(error)
    if isinstance(value, dict):  # valid JSON, an object
        return ToolCall(call_id, name, value)
    shown = raw if len(raw) <= 300 else raw[:300] + "..."
    message = (
        f"the arguments of {name} were not valid JSON ({problem}); they were: {shown}\n"
        "Call the tool again with its arguments as one JSON object."
    )
    return ToolCall(call_id, name, {RAW_ARGUMENTS_KEY: raw, ARGUMENTS_ERROR_KEY: message})


def arguments_error(call: ToolCall) -> str | None:
    """The error to send back for a call made by `tool_call_from_json` from bad input, else
    None."""
    error = call.arguments.get(ARGUMENTS_ERROR_KEY)
    return error if isinstance(error, str) else None


@dataclass(frozen=True)
class ToolResult:
    """What a tool call produced, sent back to the model."""

    call_id: str
    content: str
    is_error: bool = False
    type: Literal["tool_result"] = "tool_result"


@dataclass(frozen=True)
class Reasoning:
    """A provider's thinking block, kept only to be sent back unchanged.

    Newer Anthropic models think by default and want their thinking blocks back, as they
    were, in later turns of the same conversation with the same model; `model` says which
    model made it, and no other model (or provider) is ever sent it.
    """

    model: str
    block: dict[str, Any]
    type: Literal["reasoning"] = "reasoning"


Part = Text | ToolCall | ToolResult | Reasoning


@dataclass
class Message:
    """One turn of the conversation."""

    role: Role
    parts: list[Part]

    @property
    def text(self) -> str:
        """The text parts joined, for display and for parsing plain answers."""
        return "".join(p.text for p in self.parts if isinstance(p, Text))

    @property
    def tool_calls(self) -> list[ToolCall]:
        """The tool calls in this message, in the model's order."""
        return [p for p in self.parts if isinstance(p, ToolCall)]


@dataclass(frozen=True)
class ToolSpec:
    """A tool as the model sees it: a name, what it does, and a JSON schema of its input."""

    name: str
    description: str
    input_schema: dict[str, Any]


@dataclass
class Usage:
    """Tokens and dollars of one call (or a sum of calls).

    What a provider reports is not trusted: a count that is not a whole number of at least
    0 (a string, null, NaN, -5) and a cost that is not a finite number of at least 0 are
    logged, taken as 0 and counted in `unknown`, so a sum of usages never goes down.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0
    unknown: int = 0  # how many of the reported numbers were refused

    def __post_init__(self) -> None:
        for name in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"):
            value = getattr(self, name)
            count = token_count(value)
            if count is None:
                self._refuse(name, value)
                count = 0
            setattr(self, name, count)
        cost = self.cost_usd
        if (
            isinstance(cost, bool)
            or not isinstance(cost, (int, float))
            or not (math.isfinite(cost) and cost >= 0)
        ):
            self._refuse("cost_usd", cost)
            self.cost_usd = 0.0

    def _refuse(self, name: str, value: object) -> None:
        log.warning(
            "usage: %s = %r is not a count the provider could mean; counted as unknown (0)",
            name,
            value,
        )
        self.unknown += 1

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.cost_usd + other.cost_usd,
            self.unknown + other.unknown,
        )


def token_count(value: object) -> int | None:
    """`value` as a token count: a whole number of at least 0 (12.0 counts as 12), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and math.isfinite(value) and value >= 0 and value.is_integer():
        return int(value)
    return None


@dataclass
class ModelRequest:
    """Everything a provider needs for one completion."""

    system: str
    messages: list[Message]
    tools: list[ToolSpec] = field(default_factory=list)
    max_tokens: int = 8192
    temperature: float | None = None
    # The session's wall-clock end (a time.monotonic() value): no answer is awaited past it.
    deadline: float | None = None


StopReason = Literal["end_turn", "tool_use", "max_tokens", "stop_sequence", "refusal", "other"]


@dataclass
class ModelResponse:
    """The model's answer: one assistant message, why it stopped, and what it cost."""

    message: Message
    stop_reason: StopReason
    usage: Usage
    model: str = ""


def part_to_dict(part: Part) -> dict[str, Any]:
    """A part as plain JSON-able data (used by bridge/replay files and the session store);
    a tool result says `is_error` only when it is one."""
    data = asdict(part)
    if isinstance(part, ToolResult) and not part.is_error:
        del data["is_error"]
    return data


def part_from_dict(data: dict[str, Any]) -> Part:
    """The inverse of `part_to_dict`."""
    kind = data.get("type")
    fields = {k: v for k, v in data.items() if k != "type"}
    if kind == "text":
        return Text(**fields)
    if kind == "tool_call":
        return ToolCall(**fields)
    if kind == "tool_result":
        return ToolResult(**fields)
    if kind == "reasoning":
        return Reasoning(**fields)
    raise ValueError(f"unknown message part type: {kind!r}")


def message_to_dict(message: Message) -> dict[str, Any]:
    """A message as plain JSON-able data."""
    return {"role": message.role, "parts": [part_to_dict(p) for p in message.parts]}


def message_from_dict(data: dict[str, Any]) -> Message:
    """The inverse of `message_to_dict`."""
    return Message(role=data["role"], parts=[part_from_dict(p) for p in data["parts"]])
