"""Prompt-cache effect: how many input tokens a 20-turn session reads from the cache.

A scripted 20-turn tool-using session runs through the real AnthropicModel and SDK against
the loopback server. The server counts usage the way Anthropic does: the prompt is
tools, system, messages; at each cache_control breakpoint the prefix up to it is cached
(written) unless it was seen before, in which case it is read (looking back up to 20
blocks from a breakpoint for an earlier cached prefix; prefixes under 1024 tokens are not
cached). Tokens are estimated as 4 characters each. For contrast, the same session is
counted as if only the system prompt and tools were marked.

    python tests/benchmarks/bench_prompt_cache.py [TURNS]
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agent.messages import Message, ModelRequest, Text, ToolResult, ToolSpec, Usage
from agent.models.anthropic import AnthropicModel
from agent.models.pricing import cost
from agent.models.retry import RetryPolicy
from tests.loopback import LoopbackServer, ReceivedRequest, Reply

MODEL = "claude-sonnet-4-5"
LOOKBACK_BLOCKS = 20
MIN_CACHEABLE = 1024


def tokens(value: Any) -> int:
    """A stable token estimate: 4 characters of JSON per token."""
    return max(1, len(json.dumps(value, sort_keys=True)) // 4)


def prompt_blocks(body: dict[str, Any], messages_marked: bool) -> list[tuple[dict, bool]]:
    """The prompt in cache order (tools, system, message blocks), each with its breakpoint flag."""
    blocks = [(t, "cache_control" in t) for t in body.get("tools", [])]
    blocks += [(b, "cache_control" in b) for b in body.get("system", [])]
    for message in body["messages"]:
        for block in message["content"]:
            blocks.append(
                ({"role": message["role"], **block}, messages_marked and "cache_control" in block)
            )
    return [({k: v for k, v in b.items() if k != "cache_control"}, mark) for b, mark in blocks]


class PromptCache:
    """The server's cache: prefix hashes written at breakpoints, and the usage of each call."""

    def __init__(self, messages_marked: bool = True) -> None:
        self.messages_marked = messages_marked
        self.written: set[str] = set()

    def usage(self, body: dict[str, Any]) -> dict[str, int]:
        """Anthropic-style usage for one request; remembers what it wrote."""
        blocks = prompt_blocks(body, self.messages_marked)
        sizes = [tokens(b) for b, _ in blocks]
        hashes, digest = [], hashlib.sha256()
        for block, _ in blocks:
            digest.update(json.dumps(block, sort_keys=True).encode())
            hashes.append(digest.copy().hexdigest())
        breakpoints = [i for i, (_, mark) in enumerate(blocks) if mark]
        read_to = self._longest_hit(breakpoints, hashes)
        cached_to = breakpoints[-1] + 1 if breakpoints else 0
        if sum(sizes[:cached_to]) < MIN_CACHEABLE:
            cached_to = read_to
        for b in breakpoints:
            if sum(sizes[: b + 1]) >= MIN_CACHEABLE:
                self.written.add(hashes[b])
        read = sum(sizes[:read_to])
        write = sum(sizes[read_to:cached_to]) if cached_to > read_to else 0
        return {
            "input_tokens": sum(sizes) - read - write,
            "cache_read_input_tokens": read,
            "cache_creation_input_tokens": write,
            "output_tokens": 60,
        }

    def _longest_hit(self, breakpoints: list[int], hashes: list[str]) -> int:
        for b in reversed(breakpoints):
            for i in range(b, max(-1, b - LOOKBACK_BLOCKS - 1), -1):
                if hashes[i] in self.written:
                    return i + 1
        return 0


def system_prompt() -> str:
    """A system prompt with a repository map, about 3k tokens, as the loop would send."""
    rules = "You are a careful coding agent. Read before you edit; run the tests.\n"
    repo_map = "".join(
        f"src/pkg/module_{i}.py:\n  class Widget{i}:\n    def render(self, x)\n"
        f"  def helper_{i}(value: int) -> str\n"
        for i in range(120)
    )
    return rules + repo_map


def tool_specs() -> list[ToolSpec]:
    """Twelve tools with realistic descriptions and schemas."""
    names = [
        "read_file",
        "list_files",
        "search",
        "find_symbol",
        "find_references",
        "outline",
        "repo_map",
        "edit_file",
        "create_file",
        "delete_file",
        "run_tests",
        "finish",
    ]
    return [
        ToolSpec(
            name,
            f"{name.replace('_', ' ').capitalize()}. " + "Details. " * 30,
            {
                "type": "object",
                "properties": {"path": {"type": "string"}, "query": {"type": "string"}},
            },
        )
        for name in names
    ]


def file_content(turn: int) -> str:
    """What a read_file call returns on a turn: 40-120 numbered lines of code."""
    lines = 40 + (turn * 37) % 80
    return "".join(f"{n:>4}  def function_{turn}_{n}(x):  return x * {n}\n" for n in range(lines))


def scripted_reply(cache: PromptCache, turns: int):
    """The server's answer: a read_file call until the last turn, usage from the cache model."""

    def reply(request: ReceivedRequest) -> Reply:
        turn = sum(1 for m in request.body["messages"] if m["role"] == "assistant") + 1
        usage = cache.usage(request.body)
        if turn >= turns:
            return Reply(text="The fix is in place and the tests pass.", usage=usage, model=MODEL)
        return Reply(
            text=f"Next I read module_{turn}.",
            usage=usage,
            model=MODEL,
            tool_calls=[
                {"id": f"toolu_{turn}", "name": "read_file", "input": {"path": f"module_{turn}.py"}}
            ],
        )

    return reply


def run_session(turns: int, messages_marked: bool) -> list[Usage]:
    """Drive the session like the loop: call, run the tool, append the result, repeat."""
    cache = PromptCache(messages_marked)
    usages = []
    with LoopbackServer() as server:
        server.fallback = scripted_reply(cache, turns)
        model = AnthropicModel(
            MODEL, api_key="bench", base_url=server.url, retry=RetryPolicy(attempts=1), timeout_s=30
        )
        history = [Message("user", [Text("Fix the failing test in tests/test_widgets.py.")])]
        for turn in range(1, turns + 1):
            response = model.complete(ModelRequest(system_prompt(), list(history), tool_specs()))
            usages.append(response.usage)
            history.append(response.message)
            if not response.message.tool_calls:
                break
            history.append(
                Message(
                    "user",
                    [ToolResult(c.id, file_content(turn)) for c in response.message.tool_calls],
                )
            )
    return usages


def share(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def main(turns: int = 20) -> None:
    """Print the per-turn table and the one-line summary."""
    usages = run_session(turns, messages_marked=True)
    print(f"{'turn':>4} {'prompt':>7} {'read':>7} {'write':>7} {'uncached':>8} {'read share':>10}")
    for turn, u in enumerate(usages, start=1):
        prompt = u.input_tokens + u.cache_read_tokens + u.cache_write_tokens
        print(
            f"{turn:>4} {prompt:>7} {u.cache_read_tokens:>7} {u.cache_write_tokens:>7} "
            f"{u.input_tokens:>8} {share(u.cache_read_tokens, prompt):>10}"
        )
    total = sum(usages, Usage())
    prompt = total.input_tokens + total.cache_read_tokens + total.cache_write_tokens
    plain = Usage(input_tokens=prompt, output_tokens=total.output_tokens)
    system_only = sum(run_session(turns, messages_marked=False), Usage())
    print(
        f"system+tools marks only: {share(system_only.cache_read_tokens, prompt).strip()} read "
        f"from cache, ${system_only.cost_usd:.4f}"
    )
    print(
        f"SUMMARY: {len(usages)} turns, {prompt} input tokens: "
        f"{share(total.cache_read_tokens, prompt).strip()} read from cache, "
        f"{share(total.cache_write_tokens, prompt).strip()} written, "
        f"{share(total.input_tokens, prompt).strip()} uncached; cost ${total.cost_usd:.4f} "
        f"vs ${cost(MODEL, plain):.4f} without caching ({MODEL} prices)"
    )


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:2]))
