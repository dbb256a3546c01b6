"""The OpenAI-compatible provider: the real openai SDK against the loopback server."""

from __future__ import annotations

import json

import pytest

from agent.messages import (
    Message,
    ModelRequest,
    Text,
    ToolCall,
    ToolResult,
    ToolSpec,
    arguments_error,
)
from agent.models import ModelError, load_model
from agent.models.openai import OpenAIModel
from agent.models.retry import RetryPolicy
from tests.loopback import LoopbackServer, Reply

FAST = RetryPolicy(attempts=4, base_s=0.001, max_s=0.01)
TOOLS = [
    ToolSpec(
        "read_file", "Read a file.", {"type": "object", "properties": {"path": {"type": "string"}}}
    )
]


@pytest.fixture
def server():
    with LoopbackServer() as running:
        yield running


def model_for(server: LoopbackServer, **options) -> OpenAIModel:
    return OpenAIModel(
        "gpt-4o",
        base_url=server.openai_url,
        api_key="test-key",
        retry=FAST,
        timeout_s=30,
        **options,
    )


def ask(text: str = "hi", **fields) -> ModelRequest:
    return ModelRequest(
        system="You are terse.", messages=[Message("user", [Text(text)])], tools=TOOLS, **fields
    )


def test_streamed_text_and_tool_calls(server):
    server.script(
        Reply(
            text="Reading the file first.",
            tool_calls=[
                {"id": "call_a", "name": "read_file", "input": {"path": "a.py"}},
                {"id": "call_b", "name": "read_file", "input": {"path": "b.py"}},
            ],
        )
    )
    deltas: list[str] = []
    response = model_for(server).complete(ask(), deltas.append)
    assert len(deltas) > 1 and "".join(deltas) == "Reading the file first."
    assert response.message.tool_calls == [
        ToolCall("call_a", "read_file", {"path": "a.py"}),
        ToolCall("call_b", "read_file", {"path": "b.py"}),
    ]
    assert response.stop_reason == "tool_use"
    body = server.requests[0].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["tools"][0]["function"]["name"] == "read_file"


def test_json_mode(server):
    server.script(Reply(text="plain answer"))
    deltas: list[str] = []
    response = model_for(server, stream=False).complete(ask(), deltas.append)
    assert "stream" not in server.requests[0].body
    assert response.message.text == "plain answer" and deltas == ["plain answer"]
    assert response.stop_reason == "end_turn"


def test_tool_round_trip_in_chat_shape(server):
    server.script(Reply(text="done"))
    request = ModelRequest(
        system="sys",
        tools=TOOLS,
        messages=[
            Message("user", [Text("look at a.py")]),
            Message("assistant", [ToolCall("call_1", "read_file", {"path": "a.py"})]),
            Message(
                "user",
                [
                    ToolResult("call_1", "x = 1"),
                    ToolResult("call_2", "no such file", True),
                    Text("and then?"),
                ],
            ),
        ],
    )
    model_for(server).complete(request)
    sent = server.requests[0].body["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool", "tool", "user"]
    call = sent[2]["tool_calls"][0]
    assert call["id"] == "call_1" and json.loads(call["function"]["arguments"]) == {"path": "a.py"}
    assert sent[3] == {"role": "tool", "tool_call_id": "call_1", "content": "x = 1"}
    assert sent[4]["content"].startswith("Error: ")
    assert server.requests[0].body["max_tokens"] == 8192


def test_429_waits_for_retry_after_ms(server):
    server.script(Reply(status=429, headers={"retry-after-ms": "200"}), Reply(text="later"))
    assert model_for(server).complete(ask()).message.text == "later"
    first, second = server.requests
    assert second.at - first.at >= 0.2


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried(server, status):
    server.script(Reply(status=status), Reply(text="fine now"))
    assert model_for(server).complete(ask()).message.text == "fine now"
    assert len(server.requests) == 2


def test_dropped_stream_is_retried_without_repeating_text(server):
    server.script(
        Reply(text="Partial answer here", drop_after_events=3), Reply(text="Partial answer here")
    )
    deltas: list[str] = []
    response = model_for(server).complete(ask(), deltas.append)
    assert "".join(deltas) == response.message.text == "Partial answer here"
    assert len(server.requests) == 2


def test_error_event_mid_stream_is_reported_without_a_traceback(server):
    server.script(
        Reply(
            text="some text first",
            error_type="invalid_request_error",
            error_message="context too long",
            error_after_events=2,
        )
    )
    with pytest.raises(ModelError, match="context too long"):
        model_for(server).complete(ask())


def test_server_error_event_mid_stream_is_retried(server):
    server.script(
        Reply(text="abc", error_type="server_error", error_after_events=2), Reply(text="abcdef")
    )
    assert model_for(server).complete(ask()).message.text == "abcdef"
    assert len(server.requests) == 2


def test_malformed_arguments_become_a_call_carrying_the_error(server):
    server.script(Reply(tool_calls=[{"id": "c1", "name": "read_file", "input": '{"path": '}]))
    (call,) = model_for(server).complete(ask()).message.tool_calls
    assert "not valid JSON" in arguments_error(call)
    assert call.arguments["_raw_arguments"] == '{"path": '


def test_length_finish_is_max_tokens(server):
    server.script(Reply(text="cut", stop_reason="max_tokens"))
    assert model_for(server).complete(ask()).stop_reason == "max_tokens"


def test_401_is_a_clear_error_without_retry(server):
    server.script(Reply(status=401, error_message="bad key"))
    with pytest.raises(ModelError, match="rejected the API key .*OPENAI_API_KEY"):
        model_for(server).complete(ask())
    assert len(server.requests) == 1


def test_usage_separates_cached_prompt_tokens_and_prices_them(server):
    server.script(
        Reply(
            text="ok",
            usage={"input_tokens": 1000, "cache_read_input_tokens": 4000, "output_tokens": 100},
        )
    )
    usage = model_for(server).complete(ask()).usage
    assert (usage.input_tokens, usage.cache_read_tokens, usage.output_tokens) == (1000, 4000, 100)
    assert usage.cost_usd == pytest.approx((1000 * 2.5 + 4000 * 1.25 + 100 * 10.0) / 1e6)


def test_model_string_with_url_for_a_local_server_needs_no_key(server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    server.script(Reply(text="local"))
    model = load_model(f"openai:qwen2.5-coder:7b@{server.openai_url}")
    assert model.complete(ask()).message.text == "local"
    assert server.requests[0].body["model"] == "qwen2.5-coder:7b"
    assert server.requests[0].path == "/v1/chat/completions"
    assert server.requests[0].headers["authorization"] == "Bearer no-key-needed"


def test_hosted_openai_needs_a_key(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ModelError, match="OPENAI_API_KEY is not set"):
        load_model("openai:gpt-4.1").complete(ask())
    with pytest.raises(ModelError, match="needs a model name"):
        load_model("openai:")
