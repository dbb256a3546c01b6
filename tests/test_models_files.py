"""bridge:DIR, replay:DIR and --record DIR: the request/response folder providers."""

from __future__ import annotations

import _thread
import json
import os
import threading
import time
from pathlib import Path

import pytest

from agent.messages import Message, ModelRequest, Text, ToolCall, ToolResult, ToolSpec
from agent.models import Model, ModelError, load_model
from agent.models.anthropic import AnthropicModel
from agent.models.bridge import BridgeModel
from agent.models.recording import RecordingModel
from agent.models.retry import RetryPolicy
from tests.loopback import LoopbackServer, Reply

TOOLS = [ToolSpec("read_file", "Read a file.", {"type": "object"})]


def write_answer(folder: Path, number: int, data: object) -> None:
    """Answer like another program would: a temporary file renamed into place."""
    temporary = folder / f"answer-{number}.tmp"
    temporary.write_text(data if isinstance(data, str) else json.dumps(data))
    os.replace(temporary, folder / f"{number:04d}.response.json")


def wait_for(path: Path, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


def answer_in_thread(folder: Path, answers: list[object]) -> threading.Thread:
    """A stand-in for the model: reads each request as it appears and writes an answer."""

    def run() -> None:
        for number, answer in enumerate(answers, start=1):
            wait_for(folder / f"{number:04d}.request.json")
            request = json.loads((folder / f"{number:04d}.request.json").read_text())
            write_answer(folder, number, answer(request) if callable(answer) else answer)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def session(model: Model, tool_output: str) -> list[Message]:
    """Two model turns with one tool result in between, as the loop would drive them."""
    history = [Message("user", [Text("What does a.py print?")])]
    first = model.complete(ModelRequest("Be brief.", list(history), TOOLS))
    history.append(first.message)
    history.append(
        Message("user", [ToolResult(c.id, tool_output) for c in first.message.tool_calls])
    )
    second = model.complete(ModelRequest("Be brief.", list(history), TOOLS))
    return [first.message, second.message]


def test_bridge_round_trip_with_an_answering_program(tmp_path):
    def echo_the_tool_result(request: dict) -> dict:
        result = request["messages"][-1]["content"][0]
        return {
            "content": [{"type": "text", "text": f"It prints {result['content']}."}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 7, "output_tokens": 3},
        }

    folder = tmp_path / "bridge"
    answer_in_thread(
        folder,
        [
            {
                "content": [
                    {
                        "type": "tool_call",
                        "id": "call_1",
                        "name": "read_file",
                        "arguments": {"path": "a.py"},
                    }
                ]
            },
            echo_the_tool_result,
        ],
    )
    first, second = session(BridgeModel(folder, poll_s=0.01, timeout_s=30), "hello")
    assert first.tool_calls == [ToolCall("call_1", "read_file", {"path": "a.py"})]
    assert second.text == "It prints hello."
    request = json.loads((folder / "0002.request.json").read_text())
    assert request["system"] == "Be brief." and request["tools"][0]["name"] == "read_file"
    assert request["messages"][1]["content"][0]["type"] == "tool_call"
    assert "NNNN.response.json" in (folder / "README.txt").read_text()


def test_bridge_and_replay_estimate_the_usage_an_answer_leaves_out(tmp_path):
    folder = tmp_path / "bridge"
    answer_in_thread(
        folder,
        [
            {
                "content": [
                    {
                        "type": "tool_call",
                        "id": "call_1",
                        "name": "read_file",
                        "arguments": {"path": "a.py"},
                    }
                ]
            },
            {"text": "It prints hello.", "usage": {"input_tokens": 7, "output_tokens": 3}},
            {"text": "Done."},
        ],
    )
    for make in (
        lambda: BridgeModel(folder, poll_s=0.01, timeout_s=30),
        lambda: load_model(f"replay:{folder}"),
    ):  # the bridge folder, replayed
        model = make()
        history = [Message("user", [Text("What does a.py print? " + "Look closely. " * 50)])]
        usages = []
        for _turn in range(3):
            response = model.complete(ModelRequest("Be brief.", list(history), TOOLS))
            usages.append(response.usage)
            history += [
                response.message,
                Message(
                    "user",
                    [ToolResult(c.id, "hello\n" * 40) for c in response.message.tool_calls]
                    or [Text("Thanks.")],
                ),
            ]
        first, reported, third = usages
        assert first.input_tokens > 350 and first.cache_read_tokens == 0  # ~760 bytes, 2 a token
        assert first.output_tokens > 0
        assert (reported.input_tokens, reported.output_tokens) == (7, 3)  # given, so kept
        # The third request repeats the second, which repeated the first: read from the cache.
        assert third.cache_read_tokens > first.input_tokens
        assert third.input_tokens < third.cache_read_tokens


@pytest.mark.parametrize(
    "answer,text,calls",
    [
        ({"text": "just text"}, "just text", []),
        ({"content": "a string"}, "a string", []),
        (
            {"content": [{"type": "tool_use", "name": "read_file", "input": {"path": "x"}}]},
            "",
            [ToolCall("call_1_1", "read_file", {"path": "x"})],
        ),
        (
            {
                "text": "and a call",
                "tool_calls": [{"name": "read_file", "arguments": '{"path": "y"}'}],
            },
            "and a call",
            [ToolCall("call_1_2", "read_file", {"path": "y"})],
        ),
    ],
)
def test_bridge_reads_answers_forgivingly(tmp_path, answer, text, calls):
    answer_in_thread(tmp_path, [answer])
    response = BridgeModel(tmp_path, poll_s=0.01, timeout_s=30).complete(
        ModelRequest("s", [Message("user", [Text("q")])])
    )
    assert response.message.text == text and response.message.tool_calls == calls
    assert response.stop_reason == ("tool_use" if calls else "end_turn")


def test_bridge_rejects_an_unreadable_answer_and_waits_for_a_fixed_one(tmp_path):
    def fix_after_rejection() -> None:
        wait_for(tmp_path / "0001.request.json")
        write_answer(tmp_path, 1, '{"content": [oops')
        wait_for(tmp_path / "0001.error.txt")
        write_answer(tmp_path, 1, {"text": "fixed"})

    threading.Thread(target=fix_after_rejection, daemon=True).start()
    response = BridgeModel(tmp_path, poll_s=0.01, timeout_s=30).complete(
        ModelRequest("s", [Message("user", [Text("q")])])
    )
    assert response.message.text == "fixed"
    assert (tmp_path / "0001.response.rejected.json").read_text() == '{"content": [oops'
    assert not (tmp_path / "0001.error.txt").exists()


def test_bridge_timeout_is_clear_and_leaves_no_pending_request(tmp_path):
    with pytest.raises(ModelError, match="no answer in .*0001.response.json after"):
        BridgeModel(tmp_path, poll_s=0.01, timeout_s=0.2).complete(
            ModelRequest("s", [Message("user", [Text("q")])])
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.txt"]


def test_bridge_cancel_with_ctrl_c_leaves_no_partial_file(tmp_path):
    timer = threading.Timer(0.2, _thread.interrupt_main)
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        BridgeModel(tmp_path, poll_s=0.01, timeout_s=10).complete(
            ModelRequest("s", [Message("user", [Text("q")])])
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.txt"]


def test_record_then_replay_without_the_server(tmp_path):
    recording = tmp_path / "rec"
    with LoopbackServer() as server:
        server.script(
            Reply(
                text="Let me look.",
                tool_calls=[{"id": "toolu_1", "name": "read_file", "input": {"path": "a.py"}}],
            ),
            Reply(text="It prints hello.", usage={"input_tokens": 50, "output_tokens": 6}),
        )
        live = AnthropicModel(
            "claude-haiku-4-5",
            api_key="k",
            base_url=server.url,
            timeout_s=30,
            retry=RetryPolicy(attempts=1),
        )
        recorded = session(RecordingModel(live, recording), "hello")
    replayed = session(load_model(f"replay:{recording}"), "hello")
    assert replayed == recorded
    assert replayed[1].text == "It prints hello."
    saved = json.loads((recording / "0002.response.json").read_text())
    assert saved["usage"]["input_tokens"] == 50 and saved["usage"]["cost_usd"] > 0


def test_load_model_with_record_saves_any_provider(tmp_path):
    answer_in_thread(
        tmp_path / "bridge",
        [
            {"content": [{"type": "tool_call", "id": "c1", "name": "read_file", "arguments": {}}]},
            {"text": "recorded"},
        ],
    )
    model = load_model(f"bridge:{tmp_path / 'bridge'}", record=tmp_path / "rec")
    recorded = session(model, "out")
    assert session(load_model(f"replay:{tmp_path / 'rec'}"), "out") == recorded


def test_replay_tolerates_new_tool_output_but_names_the_first_differing_message(tmp_path):
    answer_in_thread(
        tmp_path / "b",
        [
            {"content": [{"type": "tool_call", "id": "c1", "name": "read_file", "arguments": {}}]},
            {"text": "done"},
        ],
    )
    recorded = session(BridgeModel(tmp_path / "b", poll_s=0.01, timeout_s=30), "hello")
    # Tool output is measured anew on each run, so a different output still replays.
    assert session(load_model(f"replay:{tmp_path / 'b'}"), "hello again") == recorded
    replay = load_model(f"replay:{tmp_path / 'b'}")
    first = replay.complete(ModelRequest("Be brief.", [Message("user", [Text("q")])], TOOLS))
    history = [
        Message("user", [Text("q")]),
        first.message,
        Message("user", [ToolResult("c1", "no such file", is_error=True)]),
    ]
    with pytest.raises(ModelError) as raised:
        replay.complete(ModelRequest("Be brief.", history, TOOLS))
    assert "replay diverged at request 2, message 3 (user)" in str(raised.value)


def test_replay_runs_out_and_refuses_empty_folders(tmp_path):
    answer_in_thread(tmp_path, [{"text": "only one"}])
    request = ModelRequest("s", [Message("user", [Text("q")])])
    BridgeModel(tmp_path, poll_s=0.01, timeout_s=30).complete(request)
    replay = load_model(f"replay:{tmp_path}")
    assert replay.complete(request).message.text == "only one"
    with pytest.raises(ModelError, match="has 1 answers but the session asked for answer 2"):
        replay.complete(request)
    with pytest.raises(ModelError, match="holds no recorded answers"):
        load_model(f"replay:{tmp_path / 'nothing'}")


def test_record_refuses_a_folder_holding_a_session(tmp_path):
    answer_in_thread(tmp_path, [{"text": "x"}])
    BridgeModel(tmp_path, poll_s=0.01, timeout_s=30).complete(
        ModelRequest("s", [Message("user", [Text("q")])])
    )
    with pytest.raises(ModelError, match="already holds a recorded session"):
        load_model("scripted", record=tmp_path)
