"""A provider's usage that is negative or not a number is refused: logged, counted as
unknown, never lowering the cost. Real SDKs against the loopback server."""

from __future__ import annotations

import json
import logging
import math
import os
import subprocess
import sys

import pytest

from agent.budget import Budget
from agent.messages import Message, ModelRequest, Text
from agent.models.anthropic import AnthropicModel
from agent.models.openai import OpenAIModel
from agent.models.retry import RetryPolicy
from tests.loopback import LoopbackServer, Reply
from tests.solve_kit import make_repo

NO_RETRY = RetryPolicy(attempts=1)
BAD_USAGE = {
    "negative": {"input_tokens": -5_000_000, "output_tokens": 100},
    "string": {"input_tokens": "12", "output_tokens": "lots"},
    "nan": {"input_tokens": float("nan"), "output_tokens": 100},
    "null": {"input_tokens": None, "output_tokens": -1},
}
OPENAI_BAD_USAGE = {
    "negative": {"prompt_tokens": -5_000_000, "completion_tokens": 100},
    "string": {"prompt_tokens": "12", "completion_tokens": "lots"},
    "nan": {"prompt_tokens": float("nan"), "completion_tokens": 100},
    "null": {
        "prompt_tokens": None,
        "completion_tokens": -1,
        "prompt_tokens_details": {"cached_tokens": -3},
    },
}


@pytest.fixture
def server():
    with LoopbackServer() as running:
        yield running


def ask() -> ModelRequest:
    return ModelRequest(system="s", messages=[Message("user", [Text("hi")])])


def model_for(server: LoopbackServer, provider: str, stream: bool):
    if provider == "anthropic":
        return AnthropicModel(
            "claude-sonnet-4-5", base_url=server.url, api_key="test", retry=NO_RETRY, stream=stream
        )
    return OpenAIModel(
        "gpt-4.1", base_url=server.openai_url, api_key="test", retry=NO_RETRY, stream=stream
    )


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "json"])
@pytest.mark.parametrize("provider", ["anthropic", "openai"])
@pytest.mark.parametrize("kind", sorted(BAD_USAGE))
def test_bad_usage_is_counted_as_unknown_and_never_lowers_the_cost(
    server, caplog, provider, stream, kind
):
    good = Reply(text="fine", usage={"input_tokens": 1000, "output_tokens": 100})
    server.script(
        good, Reply(text="odd", usage=BAD_USAGE[kind], openai_usage=OPENAI_BAD_USAGE[kind])
    )
    model, budget = model_for(server, provider, stream), Budget()
    budget.charge(model.complete(ask()).usage)
    before = budget.usage.cost_usd
    with caplog.at_level(logging.WARNING, logger="agent.usage"):
        odd = model.complete(ask())
    budget.charge(odd.usage)
    assert odd.message.text == "odd"
    assert odd.usage.cost_usd >= 0 and math.isfinite(odd.usage.cost_usd)
    assert budget.usage.cost_usd >= before > 0
    counts = [odd.usage.input_tokens, odd.usage.output_tokens, odd.usage.cache_read_tokens]
    assert all(isinstance(c, int) and c >= 0 for c in counts)
    if not (provider == "anthropic" and stream and kind == "string"):
        # (the Anthropic SDK itself turns a streamed "12" into 12, and "lots" into nothing)
        assert odd.usage.unknown >= 1
        assert "counted as unknown" in caplog.text


def test_a_session_with_negative_usage_reports_a_cost_that_is_not_negative(tmp_path, server):
    server.fallback = lambda request: Reply(
        text="I will not call a tool.", usage={"input_tokens": -10_000_000, "output_tokens": "x"}
    )
    repo = make_repo(tmp_path / "repo")
    env = {**os.environ, "ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_API_KEY": "test"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent",
            "solve",
            "fix clamp",
            "--model",
            "anthropic:claude-sonnet-4-5",
            "--max-turns",
            "3",
            "--json",
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr
    result = json.loads(done.stdout)
    assert result["model_calls"] >= 1
    assert result["cost_usd"] >= 0
    assert result["usage"]["input_tokens"] >= 0
    assert result["usage"]["unknown_counts"] >= result["model_calls"]
