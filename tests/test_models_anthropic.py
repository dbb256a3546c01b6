"""The Anthropic provider: the real SDK against the loopback server."""

from __future__ import annotations

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
from agent.models.anthropic import AnthropicModel
from agent.models.retry import RetryPolicy
from tests.loopback import LoopbackServer, Reply

FAST = RetryPolicy(attempts=4, base_s=0.001, max_s=0.01)
TOOLS = [
    ToolSpec(
        "read_file", "Read a file.", {"type": "object", "properties": {"path": {"type": "string"}}}
    ),
    ToolSpec("search", "Search.", {"type": "object"}),
]


@pytest.fixture
def server():
    with LoopbackServer() as running:
        yield running


def model_for(server: LoopbackServer, **options) -> AnthropicModel:
    return AnthropicModel(
        "claude-haiku-4-5",
        api_key="test-key",
        base_url=server.url,
        retry=options.pop("retry", FAST),
        timeout_s=30,
        **options,
    )


def ask(text: str = "hi", **fields) -> ModelRequest:
    return ModelRequest(
        system="You are terse.", messages=[Message("user", [Text(text)])], tools=TOOLS, **fields
    )


def test_streamed_text_reaches_on_text_and_tool_calls_are_parsed(server):
    server.script(
        Reply(
            text="I will read the file now.",
            tool_calls=[{"id": "toolu_1", "name": "read_file", "input": {"path": "src/app.py"}}],
        )
    )
    deltas: list[str] = []
    response = model_for(server).complete(ask(), deltas.append)
    assert len(deltas) > 1 and "".join(deltas) == "I will read the file now."
    assert response.message.text == "I will read the file now."
    assert response.message.tool_calls == [ToolCall("toolu_1", "read_file", {"path": "src/app.py"})]
    assert response.stop_reason == "tool_use"
    assert server.requests[0].body["stream"] is True
    assert "test-key" in server.requests[0].headers["authorization"]


def test_json_mode_gives_the_same_answer(server):
    server.script(
        Reply(text="Done.", tool_calls=[{"id": "t1", "name": "search", "input": {"q": 1}}])
    )
    deltas: list[str] = []
    response = model_for(server, stream=False).complete(ask(), deltas.append)
    assert "stream" not in server.requests[0].body
    assert deltas == ["Done."]
    assert response.message.tool_calls == [ToolCall("t1", "search", {"q": 1})]


def test_tool_round_trip_is_sent_in_the_api_shape(server):
    server.script(Reply(text="It says hello."))
    request = ModelRequest(
        system="s",
        tools=TOOLS,
        messages=[
            Message("user", [Text("what is in a.py?")]),
            Message(
                "assistant", [Text("Reading."), ToolCall("toolu_9", "read_file", {"path": "a.py"})]
            ),
            Message(
                "user",
                [
                    Text("also, hurry"),
                    ToolResult("toolu_9", "print('hello')"),
                    ToolResult("toolu_8", "boom", is_error=True),
                ],
            ),
        ],
    )
    response = model_for(server).complete(request)
    assert response.message.text == "It says hello."
    sent = server.requests[0].body["messages"]
    assert sent[1]["content"][1] == {
        "type": "tool_use",
        "id": "toolu_9",
        "name": "read_file",
        "input": {"path": "a.py"},
    }
    results = sent[2]["content"]
    assert [b["type"] for b in results] == ["tool_result", "tool_result", "text"]
    assert results[0]["tool_use_id"] == "toolu_9" and results[0]["content"] == "print('hello')"
    assert results[1]["is_error"] is True


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize(
    "thinking",
    [
        {"type": "thinking", "thinking": "The file will say.", "signature": "sig-Zm9v"},
        {"type": "redacted_thinking", "data": "ZW5jcnlwdGVk"},
    ],
)
def test_thinking_blocks_go_back_unchanged_to_the_model_that_wrote_them(server, stream, thinking):
    server.script(
        Reply(
            thinking=thinking,
            text="Reading.",
            tool_calls=[{"id": "toolu_1", "name": "read_file", "input": {"path": "a.py"}}],
        ),
        Reply(text="Done."),
        Reply(text="Also done."),
    )
    model = AnthropicModel(
        "claude-sonnet-5-5", api_key="k", base_url=server.url, retry=FAST, stream=stream
    )
    first = model.complete(ask(temperature=0.0))
    assert first.message.text == "Reading." and len(first.message.tool_calls) == 1
    turns = [
        Message("user", [Text("hi")]),
        first.message,
        Message("user", [ToolResult("toolu_1", "print(1)")]),
    ]
    model.complete(ModelRequest(system="s", tools=TOOLS, messages=turns, temperature=0.0))
    assistant = server.requests[1].body["messages"][1]["content"]
    assert assistant[0] == thinking and [b["type"] for b in assistant[1:]] == ["text", "tool_use"]
    assert all("temperature" not in r.body for r in server.requests)  # Claude 5 refuses it
    other = AnthropicModel("claude-opus-5", api_key="k", base_url=server.url, retry=FAST)
    other.complete(ModelRequest(system="s", tools=TOOLS, messages=turns))  # a resumed session
    resumed = server.requests[2].body["messages"][1]["content"]
    assert [b["type"] for b in resumed] == ["text", "tool_use"]  # not another model's thinking


def test_cache_breakpoints_on_system_last_tool_and_conversation_prefix(server):
    server.script(Reply(text="ok"))
    request = ModelRequest(
        system="big system prompt",
        tools=TOOLS,
        messages=[
            Message("user", [Text("task")]),
            Message("assistant", [ToolCall("c1", "search", {})]),
            Message("user", [ToolResult("c1", "found")]),
            Message("assistant", [ToolCall("c2", "read_file", {"path": "x"})]),
            Message("user", [ToolResult("c2", "contents"), Text("keep going")]),
        ],
    )
    model_for(server).complete(request)
    body = server.requests[0].body
    marked = {"type": "ephemeral"}
    assert body["system"][0]["cache_control"] == marked
    assert [t.get("cache_control") for t in body["tools"]] == [None, marked]
    blocks = [(i, b) for i, m in enumerate(body["messages"]) for b in m["content"]]
    cached = [(i, b["type"]) for i, b in blocks if "cache_control" in b]
    assert cached == [(2, "tool_result"), (4, "text")]  # end of previous request, end of this one


def test_429_waits_for_retry_after(server):
    server.script(
        Reply(status=429, error_type="rate_limit_error", headers={"retry-after": "0.2"}),
        Reply(text="after the wait"),
    )
    response = model_for(server).complete(ask())
    assert response.message.text == "after the wait"
    first, second = server.requests
    assert second.at - first.at >= 0.2


@pytest.mark.parametrize(
    "status,kind", [(529, "overloaded_error"), (500, "api_error"), (503, "api_error")]
)
def test_server_errors_are_retried(server, status, kind):
    server.script(
        Reply(status=status, error_type=kind),
        Reply(status=status, error_type=kind),
        Reply(text="recovered"),
    )
    assert model_for(server).complete(ask()).message.text == "recovered"
    assert len(server.requests) == 3


def test_connection_dropped_mid_stream_is_retried_without_repeating_text(server):
    server.script(
        Reply(text="Hello there, world", drop_after_events=5), Reply(text="Hello there, world")
    )
    deltas: list[str] = []
    response = model_for(server).complete(ask(), deltas.append)
    assert response.message.text == "Hello there, world"
    assert "".join(deltas) == "Hello there, world"
    assert len(server.requests) == 2


def test_overloaded_error_event_mid_stream_is_retried(server):
    server.script(
        Reply(
            text="Half an answer", status=200, error_type="overloaded_error", error_after_events=4
        ),
        Reply(text="Half an answer, then all of it"),
    )
    deltas: list[str] = []
    response = model_for(server).complete(ask(), deltas.append)
    assert "".join(deltas) == response.message.text == "Half an answer, then all of it"
    assert len(server.requests) == 2


def test_connection_refused_before_any_answer_is_retried(server):
    server.script(Reply(drop_before_response=True), Reply(text="second try"))
    assert model_for(server).complete(ask()).message.text == "second try"


def test_malformed_tool_input_becomes_a_call_carrying_the_error(server):
    server.script(
        Reply(
            tool_calls=[
                {"id": "t1", "name": "read_file", "input": '{"path": "a.py'},
                {"id": "t2", "name": "search", "input": '{"q": "x"}'},
            ]
        )
    )
    response = model_for(server).complete(ask())
    broken, fine = response.message.tool_calls
    assert "not valid JSON" in arguments_error(broken)
    assert broken.arguments["_raw_arguments"] == '{"path": "a.py'
    assert arguments_error(fine) is None and fine.arguments == {"q": "x"}


def test_max_tokens_stop(server):
    server.script(Reply(text="This answer was cut", stop_reason="max_tokens"))
    response = model_for(server).complete(ask(max_tokens=5))
    assert response.stop_reason == "max_tokens"
    assert server.requests[0].body["max_tokens"] == 5


@pytest.mark.parametrize(
    "status,kind,words",
    [
        (401, "authentication_error", "ANTHROPIC_API_KEY"),
        (403, "permission_error", "permissions"),
        (400, "invalid_request_error", "rejected the request"),
    ],
)
def test_client_errors_are_not_retried(server, status, kind, words):
    server.script(Reply(status=status, error_type=kind, error_message="nope\nsecond line"))
    with pytest.raises(ModelError) as raised:
        model_for(server).complete(ask())
    message = str(raised.value)
    assert str(status) in message and words in message and "\n" not in message
    assert len(server.requests) == 1


def test_gives_up_after_the_policy_attempts(server):
    server.script(*[Reply(status=529, error_type="overloaded_error")] * 4)
    with pytest.raises(ModelError, match="after 4 attempts: 529"):
        model_for(server).complete(ask())
    assert len(server.requests) == 4


def test_usage_and_cost_count_cache_reads_and_writes_apart(server):
    server.script(
        Reply(
            text="ok",
            usage={
                "input_tokens": 1000,
                "output_tokens": 500,
                "cache_read_input_tokens": 10_000,
                "cache_creation_input_tokens": 2000,
            },
        )
    )
    usage = model_for(server).complete(ask()).usage
    assert (usage.input_tokens, usage.output_tokens) == (1000, 500)
    assert (usage.cache_read_tokens, usage.cache_write_tokens) == (10_000, 2000)
    expected = (1000 * 1.0 + 500 * 5.0 + 10_000 * 0.10 + 2000 * 1.25) / 1e6
    assert usage.cost_usd == pytest.approx(expected)


def test_key_and_base_url_come_from_the_environment(server, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "from-env")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    server.script(Reply(text="via env"))
    model = load_model("anthropic:claude-haiku-4-5")
    assert model.complete(ask()).message.text == "via env"
    assert "from-env" in server.requests[0].headers["authorization"]
    assert server.requests[0].body["model"] == "claude-haiku-4-5"


def test_missing_key_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ModelError, match="ANTHROPIC_API_KEY is not set"):
        load_model("anthropic:claude-sonnet-4-5").complete(ask())
