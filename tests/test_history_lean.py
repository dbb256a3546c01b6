"""What a model sees of a session is lean: short tool schemas, the same in every request; a
passing test run without its command line; a stale result stubbed only when that saves more
than re-sending what follows it costs, counted on what is sent (repeats already stubbed)."""

from __future__ import annotations

import json

from agent.history import SentHistory
from agent.messages import Message, Text, ToolCall, ToolResult
from agent.models.scripted import ScriptedModel
from agent.runner import SolveOptions, loop_registry, run_session
from tests.solve_kit import PYTEST, edit, finish, make_repo, plan, turn

TASK = "clamp(15, 0, 10) returns 0 but should return 10"
REPEAT = "[unchanged: as the same call above]"


def test_the_session_tools_are_short_and_sent_the_same_in_every_request(tmp_path):
    repo = make_repo(tmp_path / "r")
    model = ScriptedModel(
        [
            turn("", ("run_tests", {"target": "tests/test_calc.py"})),
            plan(),
            edit(),
            turn("", ("run_tests", {"target": "tests/test_calc.py::nope"})),
            finish(),
        ]
    )
    result = run_session(SolveOptions(task=TASK, cwd=repo, model=model), [])
    assert result.outcome.status == "solved", result.outcome
    specs = [json.dumps([t.__dict__ for t in r.tools]) for r in model.requests]
    assert len(set(specs)) == 1  # byte-identical: the provider's cache keeps hitting
    tools = model.requests[0].tools
    assert len(specs[0]) < 5_500, len(specs[0])  # 6,400 before the schemas were trimmed
    for spec in tools:
        assert len(spec.description) <= 220 and spec.description.count(". ") <= 1, spec
        assert spec.input_schema.get("required") != []  # an empty list says nothing
    # A passing run is its counts; the command comes with a run that has something to look at.
    results = [
        p.content
        for m in model.requests[-1].messages
        for p in m.parts
        if isinstance(p, ToolResult) and p.content.startswith("Tests:")
    ]
    passed, missing = results[0], results[-1]
    assert passed.startswith("Tests: 2 passed (") and "Command:" not in passed
    assert "Command: " in missing and "tests/test_calc.py::nope" in missing


def test_the_rules_are_said_once_in_the_system_prompt_not_per_tool(tmp_path):
    repo = make_repo(tmp_path / "r")
    specs = {t.name: t for t in loop_registry(PYTEST, repo).specs()}
    edit_old = specs["edit_file"].input_schema["properties"]["old"]
    assert "description" not in edit_old  # the system prompt says how `old` is copied
    target = specs["run_tests"].input_schema["properties"]["target"]["description"]
    assert '"tests/test_x.py::TestK::test_y"' in target and "pytest node ids" not in target
    model = ScriptedModel([plan(), edit(), finish()])
    run_session(SolveOptions(task=TASK, cwd=repo, model=model), [])
    system = model.requests[0].system
    assert "edit_file's `old` without them" in system and "pytest node ids" not in system


def _session(repeats: int) -> list[Message]:
    """A file read, read again unchanged `repeats` times, then edited."""
    body = "\n".join(f"line_{n} = {n}  # worth eliding on its own" for n in range(40))
    messages = [Message("user", [Text("task")])]
    for n in range(repeats + 1):
        messages += [
            Message("assistant", [ToolCall(f"r{n}", "read_file", {"path": "a.py"})]),
            Message("user", [ToolResult(f"r{n}", body)]),
        ]
    messages += [
        Message(
            "assistant", [ToolCall("e", "edit_file", {"path": "a.py", "old": "line_0", "new": "x"})]
        ),
        Message("user", [ToolResult("e", "Edited a.py.")]),
    ]
    return messages


def test_repeats_already_sent_as_stubs_do_not_make_a_stale_read_worth_a_rebuild():
    messages = _session(repeats=8)
    history = SentHistory(200_000)
    sent = history.messages(messages, prefix_chars=10_000, batch=False)
    # The one full read left is under a fifth of the request: re-sending all that follows it
    # would cost more than stubbing it saves, so the request stays as the cache holds it.
    assert sent[2].parts[0].content == messages[2].parts[0].content
    assert [m.parts[0].content for m in sent[4:19:2]] == [REPEAT] * 8
    assert not history.stubs


def test_a_stale_read_that_is_a_fifth_of_the_request_is_stubbed_between_steps():
    messages = _session(repeats=0)
    sent = SentHistory(200_000).messages(messages, prefix_chars=3_000, batch=False)
    stub = sent[2].parts[0].content
    assert stub == "[40 lines left out: a.py was changed after it; call again if needed]"
