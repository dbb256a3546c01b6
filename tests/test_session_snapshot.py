"""The session snapshot kit itself: a request's phase, what it answered and told, and the
check against the checked-in file."""

from __future__ import annotations

import threading

import pytest

from agent import events as ev
from agent.messages import Message, ModelRequest, Text, ToolResult
from tests.session_snapshot import Recorder, assert_snapshot
from tests.solve_kit import turn


def request(*messages: Message) -> ModelRequest:
    return ModelRequest("system", list(messages))


def test_a_request_is_in_the_phase_its_thread_last_entered_and_shows_only_what_is_new():
    answer = turn("", ("run_tests", {"target": "tests"}))
    rec = Recorder([answer, "done"])
    rec.sink(ev.SessionStarted("s", "task", "scripted", "/tmp/repo-1"))
    rec.sink(ev.PhaseChanged("code"))
    rec.model.complete(request(Message("user", [Text("Phase: code.\n\nin /tmp/repo-1 now")])))
    other = threading.Thread(target=rec.sink, args=(ev.PhaseChanged("localize"),))
    other.start()
    other.join()  # another thread's phase change is not the loop's
    rec.sink(ev.TestsRun("pytest tests", 1, 1, 0, ("tests/test_a.py::test_b",)))
    call = answer.message.tool_calls[0]
    rec.model.complete(
        request(
            Message("user", [Text("Phase: code.")]),
            answer.message,
            Message(
                "user",
                [
                    ToolResult(call.id, "1 failed in 0.31s", is_error=True),
                    Text("Still failing:\ntests/test_a.py::test_b"),
                ],
            ),
        )
    )
    assert [s.phase for s in rec.steps()] == ["code", "code"]
    assert rec.result("run_tests").content == "1 failed in 0.31s"
    assert rec.text() == (
        "1 code (new conversation)\n"
        "  phase code\n"
        "  told: Phase: code.\n"
        "  told: in <repo> now\n"
        "2 code\n"
        "  answered run_tests: error: 1 failed in <time>\n"
        "  ran <tests> -> 1 passed, 1 failed [tests/test_a.py::test_b]\n"
        "  told: Still failing: tests/test_a.py::test_b\n"
        "    naming tests/test_a.py::test_b\n"
    )


def test_a_changed_course_fails_with_the_diff_and_is_rewritten_only_when_asked(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("AGENT_UPDATE_SNAPSHOTS", raising=False)
    with pytest.raises(AssertionError, match="AGENT_UPDATE_SNAPSHOTS=1"):
        assert_snapshot("s", "1 plan\n", tmp_path)  # none checked in: not taken as right
    monkeypatch.setenv("AGENT_UPDATE_SNAPSHOTS", "1")
    assert_snapshot("s", "1 plan\n2 code\n", tmp_path)
    monkeypatch.delenv("AGENT_UPDATE_SNAPSHOTS")
    assert_snapshot("s", "1 plan\n2 code\n", tmp_path)
    with pytest.raises(AssertionError) as failed:
        assert_snapshot("s", "1 plan\n2 debug\n", tmp_path)
    assert "-2 code\n+2 debug" in str(failed.value)
    assert (tmp_path / "sessions" / "s.txt").read_text() == "1 plan\n2 code\n"
    assert (tmp_path / "latest" / "sessions" / "s.txt").read_text() == "1 plan\n2 debug\n"
