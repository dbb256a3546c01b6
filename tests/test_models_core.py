"""The model layer's small parts: load_model, ScriptedModel, prices, retry timing, laziness."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agent.messages import (
    Message,
    ModelRequest,
    ModelResponse,
    Text,
    ToolCall,
    Usage,
    tool_call_from_json,
)
from agent.models import Model, ModelError, load_model
from agent.models.pricing import cost, price_for
from agent.models.retry import ReplayGuard, Retryable, RetryPolicy, with_retries
from agent.models.scripted import ScriptedModel


def ask(text: str) -> ModelRequest:
    return ModelRequest("s", [Message("user", [Text(text)])])


def test_scripted_model_answers_each_kind_and_keeps_requests():
    call = Message("assistant", [ToolCall("c1", "read_file", {"path": "a"})])
    done = ModelResponse(Message("assistant", [Text("bye")]), "end_turn", Usage(1, 2))
    model = ScriptedModel(["plain", call, lambda request: f"echo {request.messages[0].text}", done])
    shown: list[str] = []
    answers = [model.complete(ask(f"q{i}"), shown.append) for i in range(4)]
    assert isinstance(model, Model)
    assert [a.stop_reason for a in answers] == ["end_turn", "tool_use", "end_turn", "end_turn"]
    assert answers[1].message.tool_calls[0].name == "read_file"
    assert answers[2].message.text == "echo q2" and answers[3] is done
    assert shown == ["plain", "echo q2", "bye"]
    assert [r.messages[0].text for r in model.requests] == ["q0", "q1", "q2", "q3"]


def test_scripted_model_keeps_a_copy_of_what_it_was_sent():
    model = ScriptedModel(["a"])
    request = ask("first")
    model.complete(request)
    request.messages.append(Message("assistant", [Text("later")]))
    assert len(model.requests[0].messages) == 1


def test_scripted_model_raises_scripted_errors_and_says_when_it_runs_out():
    model = ScriptedModel([ModelError("scripted failure"), "ok"])
    with pytest.raises(ModelError, match="scripted failure"):
        model.complete(ask("x"))
    assert model.complete(ask("y")).message.text == "ok"
    with pytest.raises(ModelError, match="no answer for request 3: it was given 2"):
        model.complete(ask("z"))


def test_load_model_rejects_unknown_providers_with_the_choices():
    with pytest.raises(ModelError, match="start it with one of anthropic:, openai:"):
        load_model("gemini:pro")
    assert load_model("scripted").name == "scripted"


def test_tool_call_from_json_keeps_bad_input_with_a_message():
    assert tool_call_from_json("c", "f", '{"a": 1}').arguments == {"a": 1}
    assert tool_call_from_json("c", "f", "").arguments == {}
    broken = tool_call_from_json("c", "f", "[1, 2]").arguments
    assert "expected an object, got list" in broken["_arguments_error"]


def test_prices_match_the_longest_model_prefix():
    assert price_for("gpt-4o-mini-2024-07-18") == price_for("gpt-4o-mini")
    assert price_for("gpt-4o-mini") != price_for("gpt-4o")
    assert price_for("claude-sonnet-4-5-20250929").cache_read == pytest.approx(0.30)
    assert price_for("llama-3-70b") is None
    assert cost("llama-3-70b", Usage(10**6, 10**6)) == 0.0
    usage = Usage(
        input_tokens=0, output_tokens=0, cache_read_tokens=10**6, cache_write_tokens=10**6
    )
    assert cost("claude-sonnet-4-5", usage) == pytest.approx(0.30 + 3.75)


def test_backoff_grows_with_jitter_and_obeys_retry_after():
    policy = RetryPolicy(base_s=1.0, max_s=8.0, jitter=0.5)
    delays = [policy.delay(3, None) for _ in range(200)]
    assert all(4.0 <= d <= 8.0 for d in delays) and len(set(delays)) > 100
    assert policy.delay(10, None) <= 8.0
    assert policy.delay(0, 2.5) == 2.5
    assert RetryPolicy(max_retry_after_s=5).delay(0, 600) == 5


def test_with_retries_sleeps_between_attempts_then_gives_up():
    slept: list[float] = []
    attempts: list[int] = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise Retryable("503 busy", retry_after=0.5 * len(attempts))
        return "ok"

    assert with_retries(flaky, RetryPolicy(attempts=3), "test", sleep=slept.append) == "ok"
    assert slept == [0.5, 1.0]
    with pytest.raises(ModelError, match="test still failing after 2 attempts: 503 busy"):
        with_retries(
            lambda: (_ for _ in ()).throw(Retryable("503 busy")),
            RetryPolicy(attempts=2, base_s=0),
            "test",
            sleep=slept.append,
        )


def test_replay_guard_hides_text_already_shown_after_a_retry():
    shown: list[str] = []
    guard = ReplayGuard(shown.append)
    guard.start_attempt()
    for piece in ["Hel", "lo wo"]:
        guard(piece)
    guard.start_attempt()  # the stream dropped; the retry repeats the start
    for piece in ["Hello", " world", "!"]:
        guard(piece)
    assert "".join(shown) == "Hello world!"
    guard.start_attempt()  # a retry that answers differently is shown whole
    guard("Other")
    assert shown[-1] == "Other"


def test_importing_the_model_layer_does_not_import_the_sdks():
    code = (
        "import sys, agent.models, agent.models.anthropic, agent.models.openai, "
        "agent.models.bridge, agent.models.replay, agent.models.scripted\n"
        "print(sorted(m for m in ('anthropic', 'openai', 'httpx2') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
