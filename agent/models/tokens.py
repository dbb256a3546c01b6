"""Token estimates for requests when no tokenizer is at hand, and each model's context window.

A request is measured as a list of blocks in the order a provider's prompt cache sees them:
the system prompt, each tool, then each message part. Tokens are its UTF-8 bytes divided
by the repo map's conservative 2.0 bytes per token (agent/index/render.py), so estimates
run high rather than low. The part of a request that repeats the previous one block for
block is what a prompt cache would read.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace

from agent.messages import Message, ModelRequest, ModelResponse, Usage, part_to_dict

BYTES_PER_TOKEN = 2.0  # the repo map's measured worst case (agent/index/render.py)

# Tokens of context by model name prefix (the provider's "anthropic:" etc. left off).
CONTEXT_WINDOWS: dict[str, int] = {
    "claude-": 200_000,
    "gpt-5": 400_000,
    "gpt-4.1": 1_000_000,
    "gpt-4o": 128_000,
    "o3": 200_000,
    "o4-mini": 200_000,
}
DEFAULT_CONTEXT_WINDOW = 128_000


def context_window(model: str) -> int:
    """The context window of a model named like `anthropic:claude-sonnet-4-5` or `gpt-5`."""
    name = model.split(":", 1)[1] if ":" in model else model
    name = name.split("@", 1)[0]
    matches = [prefix for prefix in CONTEXT_WINDOWS if name.startswith(prefix)]
    return CONTEXT_WINDOWS[max(matches, key=len)] if matches else DEFAULT_CONTEXT_WINDOW


def tokens_for(chars: int) -> int:
    """Estimated tokens of `chars` bytes of prompt."""
    return math.ceil(chars / BYTES_PER_TOKEN)


def prefix_blocks(request: ModelRequest) -> list[str]:
    """The system prompt and the tools, as blocks."""
    tools = [
        json.dumps(
            {"name": t.name, "description": t.description, "input_schema": t.input_schema},
            ensure_ascii=False,
        )
        for t in request.tools
    ]
    return [request.system, *tools]


def message_blocks(message: Message) -> list[str]:
    """One block per part of a message."""
    return [message.role + json.dumps(part_to_dict(p), ensure_ascii=False) for p in message.parts]


def request_blocks(request: ModelRequest) -> list[str]:
    """Every block of a request, in cache order."""
    blocks = prefix_blocks(request)
    for message in request.messages:
        blocks += message_blocks(message)
    return blocks


def size(blocks: list[str]) -> int:
    """Bytes of a list of blocks."""
    return sum(len(block.encode("utf-8")) for block in blocks)


def shared_prefix(previous: list[str], current: list[str]) -> int:
    """Bytes of the leading blocks `current` repeats from `previous`."""
    shared = 0
    for old, new in zip(previous, current, strict=False):
        if old != new:
            break
        shared += len(new.encode("utf-8"))
    return shared


class UsageEstimator:
    """Estimated usage of each request of one conversation, for models that report none
    (bridge, replay): input from the request's size, cache reads from the prefix it shares
    with the request before, output from the answer's size."""

    def __init__(self) -> None:
        self._previous: list[str] = []

    def fill_in(self, request: ModelRequest, response: ModelResponse) -> ModelResponse:
        """`response` with estimated usage if it reports no input tokens (the request is
        remembered either way)."""
        estimated = self.estimate(request, response.message)
        if response.usage.input_tokens or response.usage.cache_read_tokens:
            return response
        return replace(response, usage=estimated)

    def estimate(self, request: ModelRequest, answer: Message) -> Usage:
        """The usage of `request` answered by `answer`; remembers the request."""
        blocks = request_blocks(request)
        total, read = size(blocks), shared_prefix(self._previous, blocks)
        self._previous = blocks
        return Usage(
            input_tokens=tokens_for(total) - tokens_for(read),
            output_tokens=tokens_for(size(message_blocks(answer))),
            cache_read_tokens=tokens_for(read),
        )
