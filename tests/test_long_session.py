"""A 300-turn session whose whole history is far past a 200,000-token window runs to its end:
each request stays inside the window and still carries the task, the plan and the latest
test results, while the stored conversation keeps everything."""

from __future__ import annotations

import json

from agent.messages import ModelRequest, part_to_dict
from agent.models import ModelError
from agent.models.scripted import ScriptedModel
from agent.runner import SolveOptions, run_session
from agent.session import SessionStore
from tests.solve_kit import QUIET, edit, finish, make_repo, plan, turn

WINDOW = 200_000
TURNS = 300
TASK = "clamp(15, 0, 10) returns 0 but should return 10"
READING = "clamp() must return high above the range, the plan of this long session"
LINES = 20_000  # data/big.txt: 100 windows of 200 lines, about 10,000 characters each
SETTINGS = QUIET + "debug_rounds = 0\nmax_plans = 1\nmax_turns = 400\n"


def tokens(request: ModelRequest) -> float:
    """The request's size at 2 bytes per token, as a strict provider would refuse it."""
    tools = json.dumps([t.__dict__ for t in request.tools])
    messages = json.dumps([[part_to_dict(p) for p in m.parts] for m in request.messages])
    return len((request.system + tools + messages).encode()) / 2


def within_window(answer):
    """The scripted answer, or the provider's error for a request past the window."""

    def reply(request: ModelRequest):
        if tokens(request) > WINDOW:
            return ModelError(f"prompt is too long: {tokens(request):.0f} tokens > {WINDOW}")
        return answer

    return reply


def script() -> tuple[list, dict[int, int]]:
    """The answers, and for each request number the counter value its latest test run saw."""
    answers, latest, value = [plan(reading=READING)], {1: None}, None
    for number in range(2, TURNS):
        latest[number] = value
        if number % 25 == 0:
            value = number
            answers.append(
                turn(
                    "",
                    (
                        "edit_file",
                        {"path": "counter.py", "old": "VALUE = ", "new": f"VALUE = {value} + 0 * "},
                    ),
                    ("run_tests", {"target": "tests/test_counter.py"}),
                )
            )
        else:
            start = 1 + 200 * (number % 100)
            answers.append(turn("", ("read_file", {"path": "data/big.txt", "start": start})))
    latest[TURNS] = value
    return [*answers, finish()], latest


def test_a_300_turn_session_stays_inside_the_window_with_task_plan_and_latest_results(tmp_path):
    big = "".join(f"row {n:>6}: {'value ' * 6}{n * 7919 % 10007}\n" for n in range(1, LINES + 1))
    repo = make_repo(
        tmp_path / "r",
        SETTINGS,
        {
            "data/big.txt": big,
            "counter.py": "VALUE = 0\n",
            "tests/test_counter.py": "from counter import VALUE\n\n\ndef test_counter():\n"
            "    assert VALUE == -1\n",
        },
    )
    answers, latest = script()
    model = ScriptedModel([within_window(a) for a in answers], name="anthropic:claude-sonnet-4-5")
    result = run_session(SolveOptions(task=TASK, cwd=repo, model=model), [])

    assert result.outcome.status == "solved", result.outcome  # ran to its end, no error
    assert len(model.requests) == TURNS
    stored = SessionStore.open(repo).messages(result.session_id)
    assert sum(len(json.dumps([p.__dict__ for p in m.parts])) for m in stored) / 2 > 3 * WINDOW
    for number, request in enumerate(model.requests, 1):
        sent = json.dumps([[p.__dict__ for p in m.parts] for m in request.messages])
        assert tokens(request) <= 0.6 * WINDOW
        assert TASK in sent
        if number > 1:
            assert READING in sent, number
        if latest[number] is not None:
            assert f"assert {latest[number]} == -1" in sent, number
    dumped = [
        [json.dumps([p.__dict__ for p in m.parts]) for m in r.messages] for r in model.requests
    ]
    rebuilt = [
        n for n, (a, b) in enumerate(zip(dumped, dumped[1:], strict=False), 2) if b[: len(a)] != a
    ]
    assert rebuilt and len(rebuilt) * 8 <= TURNS  # summarized in batches, not every turn


def test_a_result_made_stale_is_stubbed_at_the_next_step_and_kept_in_the_store(tmp_path):
    notes = "".join(
        f"NOTE_{n} = {n}  # a line of notes to make the file worth eliding\n" for n in range(40)
    )
    repo = make_repo(tmp_path / "r", files={"notes.py": notes})
    read = ("read_file", {"path": "notes.py"})
    model = ScriptedModel(
        [
            turn("", read),
            turn(
                "", ("edit_file", {"path": "notes.py", "old": "NOTE_0 = 0", "new": "NOTE_0 = 10"})
            ),
            turn("", read),
            plan(),
            edit(),
            finish(),
        ]
    )
    result = run_session(SolveOptions(task=TASK, cwd=repo, model=model), [])
    assert result.outcome.status == "solved", result.outcome
    first_read = model.requests[1].messages[2].parts[0]
    assert "NOTE_39 = 39" in first_read.content
    # By the next step at the latest the stale read is a one-line stub, and stays one.
    shown = [r.messages[2].parts[0] for r in model.requests[1:]]
    stubbed = [part != first_read for part in shown]
    assert stubbed[-2] and stubbed == sorted(stubbed)  # [-2]: the code phase
    stub = shown[-1]
    assert stub.call_id == first_read.call_id and "NOTE_39" not in stub.content
    assert "notes.py was changed after it" in stub.content and "\n" not in stub.content
    assert "NOTE_39 = 39" in model.requests[4].messages[6].parts[0].content  # the re-read stays
    stored = SessionStore.open(repo).messages(result.session_id)
    assert stored[2].parts[0] == first_read  # the session keeps everything


def test_a_file_read_again_unchanged_is_sent_once_and_the_cached_part_is_untouched(tmp_path):
    notes = "".join(
        f"NOTE_{n} = {n}  # a line of notes to make the file worth eliding\n" for n in range(40)
    )
    repo = make_repo(tmp_path / "r", files={"notes.py": notes})
    read = ("read_file", {"path": "notes.py"})
    model = ScriptedModel([turn("", read), turn("", read), plan(), edit(), finish()])
    result = run_session(SolveOptions(task=TASK, cwd=repo, model=model), [])
    assert result.outcome.status == "solved", result.outcome
    first, again = model.requests[2].messages[2].parts[0], model.requests[2].messages[4].parts[0]
    assert "NOTE_39 = 39" in first.content  # the first read stays whole
    assert again.content == "[unchanged: as the same call above]"
    # Nothing sent before the repeat changed, so the provider's cache still holds it.
    assert model.requests[2].messages[:3] == model.requests[1].messages
    stored = SessionStore.open(repo).messages(result.session_id)
    assert "NOTE_39 = 39" in stored[4].parts[0].content  # the session keeps everything


def test_a_step_start_stubs_a_stale_result_only_when_it_is_worth_re_sending_what_follows():
    from agent.history import SentHistory
    from agent.messages import Message, Text, ToolCall, ToolResult

    def session(tail_reads: int) -> list[Message]:
        messages = [
            Message("user", [Text("task")]),
            Message("assistant", [ToolCall("r", "read_file", {"path": "a.py"})]),
            Message("user", [ToolResult("r", "a = 1\n" * 100)]),
            Message(
                "assistant", [ToolCall("e", "edit_file", {"path": "a.py", "old": "a", "new": "b"})]
            ),
            Message("user", [ToolResult("e", "Edited a.py.")]),
        ]
        for n in range(tail_reads):
            messages += [
                Message("assistant", [ToolCall(f"b{n}", "read_file", {"path": f"{n}.py"})]),
                Message("user", [ToolResult(f"b{n}", f"{n} = 2\n" * 300)]),
            ]
        return messages

    def first_result(messages: list[Message]) -> str:
        sent = SentHistory(200_000).messages(messages, prefix_chars=5_000, batch=True)
        return sent[2].parts[0].content

    assert "a.py was changed after it" in first_result(session(tail_reads=1))
    assert first_result(session(tail_reads=6)) == "a = 1\n" * 100  # kept: the cache holds it
