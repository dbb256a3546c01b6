"""The plan-code-test loop driven by a scripted model on real repositories, real pytest, real bwrap."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from agent import events as ev
from agent.models.recording import RecordingModel
from agent.models.scripted import ScriptedModel
from agent.runner import SolveOptions, run_session
from tests.session_snapshot import Recorder
from tests.solve_kit import CALC, CALC_TESTS, QUIET, edit, finish, git, make_repo, plan, turn

ABOVE_TEST = "\n\ndef test_clamp_above():\n    assert clamp(15, 0, 10) == 10\n"
TASK = "clamp(15, 0, 10) returns 0 but should return 10"


def solve(repo, answers, task=TASK, **options):
    """Run a session in-process; returns (result, recorder, events)."""
    recorder = Recorder(answers)
    result = run_session(
        SolveOptions(task=task, cwd=repo, model=recorder.model, **options), [recorder.sink]
    )
    return result, recorder, recorder.events


def test_a_bug_is_reproduced_for_real_then_fixed(tmp_path):
    repo = make_repo(tmp_path / "r", "independent_tests = false\ntraces = false\n")
    head = git(repo, "rev-parse", "HEAD")
    result, model, events = solve(
        repo,
        [
            plan(bug=True, new_tests=["tests/test_calc.py::test_clamp_above"]),
            edit(
                "def test_clamp_inside():",
                ABOVE_TEST.strip() + "\n\n\ndef test_clamp_inside():",
                "tests/test_calc.py",
            ),
            turn("", ("reproduced", {"test_ids": ["tests/test_calc.py::test_clamp_above"]})),
            edit(),
            finish(),
        ],
    )
    assert result.outcome.status == "solved", result.outcome
    assert "return high" in (repo / "calc.py").read_text()
    runs = [e for e in events if isinstance(e, ev.TestsRun)]
    reproduction = [r for r in runs if r.command.endswith("test_clamp_above")]
    assert reproduction[0].failed == 1 and reproduction[-1].passed == 1
    model.check("solve_reproduced_then_fixed")  # the reproduction confirmed, then the code phase
    assert "::" not in " ".join(model.step("reproduce").told)  # no test failed, none is offered
    assert git(repo, "rev-parse", "HEAD") == head  # left uncommitted, HEAD untouched
    assert sorted(result.files) == ["calc.py", "tests/test_calc.py"]
    assert "+        return high" in result.diff


def test_an_already_failing_test_can_be_named_as_the_reproduction(tmp_path):
    repo = make_repo(
        tmp_path / "r",
        "independent_tests = false\ntraces = false\n",
        {"tests/test_calc.py": CALC_TESTS + ABOVE_TEST},
    )
    above = "tests/test_calc.py::test_clamp_above"
    result, model, _ = solve(
        repo, [plan(bug=True), turn("", ("reproduced", {"test_ids": [above]})), edit(), finish()]
    )
    assert result.outcome.status == "solved", result.outcome
    # The reproduce phase offers the failing test; a real run confirms it, then the code phase.
    model.check("solve_named_reproduction")


@pytest.mark.parametrize("named_by", ["plan", "task"])
def test_a_named_test_that_already_fails_is_the_reproduction_without_a_turn(tmp_path, named_by):
    repo = make_repo(
        tmp_path / "r",
        "independent_tests = false\ntraces = false\n",
        {"tests/test_calc.py": CALC_TESTS + ABOVE_TEST},
    )
    above = "tests/test_calc.py::test_clamp_above"
    tests, task = ([above], TASK) if named_by == "plan" else ([], f"{above} fails: {TASK}")
    result, model, _ = solve(repo, [plan(bug=True, tests=tests), edit(), finish()], task=task)
    assert result.outcome.status == "solved", result.outcome
    # plan, edit, finish: no turn spent on reproducing, the baseline run is the reproduction
    model.check(f"solve_reproduction_named_by_{named_by}")


def test_an_edit_that_fails_to_apply_is_shown_and_retried(tmp_path):
    repo = make_repo(tmp_path / "r")
    result, model, _ = solve(
        repo, [plan(), edit(old="    if value > high:\n        return lo\n"), edit(), finish()]
    )
    assert result.outcome.status == "solved"
    error = model.result("edit_file")
    assert error.is_error and "return low" in error.content  # the closest lines are shown
    model.check("solve_edit_retried")
    assert "return high" in (repo / "calc.py").read_text()


def test_a_plan_whose_check_disagrees_is_revised(tmp_path):
    repo = make_repo(tmp_path / "r")
    result, model, events = solve(repo, [plan(agrees=False), plan(agrees=True), edit(), finish()])
    assert result.outcome.status == "solved"
    model.check("solve_plan_revised")  # verify: the plan's check disagrees, it is revised
    assert "return low = 0" in model.step("verify").text  # its own walkthrough is shown
    assert any(isinstance(e, ev.PlanUpdated) for e in events)


def test_failing_tests_use_up_the_debug_rounds_then_a_fresh_plan_starts_clean(tmp_path):
    repo = make_repo(
        tmp_path / "r",
        QUIET + "debug_rounds = 1\nmax_plans = 2\n",
        {"tests/test_calc.py": CALC_TESTS + ABOVE_TEST},
    )
    wrong = "    if value > high:\n        return value\n"
    seen_at_second_plan = {}

    def second_plan(request):
        seen_at_second_plan["calc"] = (repo / "calc.py").read_text()
        return plan(tests=["tests/test_calc.py::test_clamp_above"])

    result, model, _ = solve(
        repo,
        [
            plan(tests=["tests/test_calc.py::test_clamp_above"]),
            edit(new=wrong),
            finish(),
            edit(old="        return value\n", new="        return value + 0\n"),
            finish(),
            second_plan,
            edit(),
            finish(),
        ],
    )
    assert result.outcome.status == "solved", result.outcome
    # debug round 1 of 1, then plan 2 in a new conversation seeded by the summary
    model.check("solve_debug_rounds_then_fresh_plan")
    assert "assert 15 == 10" in model.step("debug").text
    assert "return value + 0" in model.step("plan", 1).text  # the failed attempt's diff
    assert seen_at_second_plan["calc"] == CALC  # the failed attempt was undone first


def test_the_debug_phase_shows_the_ranked_suspects_and_the_real_trace(tmp_path):
    repo = make_repo(
        tmp_path / "r",
        "independent_tests = false\nreproduce = false\ndebug_rounds = 1\nmax_plans = 1\n",
        {"tests/test_calc.py": CALC_TESTS + ABOVE_TEST},
    )
    wrong = "    if value > high:\n        return value\n"
    result, model, _ = solve(
        repo,
        [
            plan(tests=["tests/test_calc.py::test_clamp_above"]),
            edit(new=wrong),
            finish(),
            edit(old=wrong),
            finish(),
        ],
    )
    assert result.outcome.status == "solved", result.outcome
    model.check("solve_debug_evidence")  # the debug message carries evidence from real runs
    suspects = model.step("debug").text
    assert "1. clamp" in suspects  # the ranking: coverage spectra and trace evidence
    assert "clamp(value=15, low=0, high=10) returned 15" in suspects  # the observed call


def test_not_solved_after_every_plan_fails(tmp_path):
    repo = make_repo(
        tmp_path / "r",
        QUIET + "debug_rounds = 0\nmax_plans = 1\n",
        {"tests/test_calc.py": CALC_TESTS + ABOVE_TEST},
    )
    result, _, _ = solve(
        repo,
        [
            plan(tests=["tests/test_calc.py::test_clamp_above"]),
            edit(new="    if value > high:\n        return value\n"),
            finish(),
        ],
    )
    assert result.outcome.status == "not_solved"
    assert "after 1 plans" in result.outcome.stop_reason
    assert result.outcome.report.failing == ["tests/test_calc.py::test_clamp_above"]


def test_a_test_the_task_names_must_pass_even_though_it_failed_before(tmp_path):
    repo = make_repo(
        tmp_path / "r",
        QUIET + "debug_rounds = 0\nmax_plans = 1\n",
        {"tests/test_calc.py": CALC_TESTS + ABOVE_TEST},
    )
    named = "tests/test_calc.py::test_clamp_above"
    model = ScriptedModel(
        [plan(tests=[]), edit(new="    if value > high:\n        return value\n"), finish()]
    )
    result = run_session(SolveOptions(task=f"{TASK}; {named} fails", cwd=repo, model=model), [])
    # The suite has no failure the baseline lacked, yet the named test still fails.
    assert result.outcome.status == "not_solved"
    assert result.outcome.report.failing == [named]


def test_a_slow_suite_is_stood_for_by_the_tests_the_change_affects(tmp_path):
    other = "def test_unrelated():\n    assert True\n"
    repo = make_repo(
        tmp_path / "r",
        QUIET + "full_suite_s = 0\n",
        {"tests/test_calc.py": CALC_TESTS + ABOVE_TEST, "tests/test_other.py": other},
    )
    result, _, events = solve(
        repo, [plan(tests=["tests/test_calc.py::test_clamp_above"]), edit(), finish()]
    )
    assert result.outcome.status == "solved"
    runs = [e.command for e in events if isinstance(e, ev.TestsRun)]
    assert runs[-1].endswith("tests/test_calc.py")  # the affected file, not the whole suite
    assert not any(r.endswith(("pytest -q", "tests/test_other.py")) for r in runs[1:])
    assert "Only the affected tests ran" in result.outcome.report.details


@pytest.mark.parametrize(
    "setting, expected",
    [
        ("max_turns = 2", "turn limit reached (2 model calls)"),
        ("max_cost_usd = 1.5", "cost limit reached ($2.00 of $1.50)"),
        ("max_wall_s = 0.001", "time limit reached"),
    ],
)
def test_each_budget_stops_the_run_with_its_reason(tmp_path, setting, expected):
    repo = make_repo(tmp_path / "r", QUIET + setting + "\n")
    costly = [turn("", ("read_file", {"path": "calc.py"}), cost=1.0) for _ in range(5)]
    result, _, _ = solve(repo, costly)
    assert result.outcome.status == "budget_exhausted"
    assert expected in result.outcome.stop_reason


def test_a_model_error_ends_the_session_with_its_message(tmp_path):
    repo = make_repo(tmp_path / "r")
    result, _, _ = solve(repo, [plan()])  # then the scripted model runs out of answers
    assert result.outcome.status == "error"
    assert "no answer for request 2" in result.outcome.stop_reason


def test_two_readings_are_stated_as_an_assumption(tmp_path):
    repo = make_repo(tmp_path / "r")
    readings = ["above the range means > high", "above the range means >= high"]
    result, _, events = solve(repo, [plan(readings=readings), edit(), finish()])
    asked = [e for e in events if e.kind == "question_asked"]
    assert asked and asked[0].options == tuple(readings)
    assert result.to_dict()["assumption"] == readings[0]


def agent_cli(repo, *argv, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "agent", *argv],
        cwd=repo,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        **kwargs,
    )


def test_cli_refuses_a_dirty_tree(tmp_path):
    repo = make_repo(tmp_path / "r")
    (repo / "calc.py").write_text(CALC + "# local change\n")
    done = agent_cli(repo, "solve", TASK, "--model", "scripted")
    assert done.returncode == 2
    assert "uncommitted changes (calc.py)" in done.stderr and "Traceback" not in done.stderr
    assert (repo / "calc.py").read_text().endswith("# local change\n")


def test_cli_json_document_from_a_replayed_session(tmp_path):
    recorded_repo = make_repo(tmp_path / "a")
    recording = tmp_path / "rec"
    model = RecordingModel(ScriptedModel([plan(), edit(), finish()]), recording)
    run_session(SolveOptions(task=TASK, cwd=recorded_repo, model=model), [])
    repo = make_repo(tmp_path / "b")
    done = agent_cli(repo, "solve", TASK, "--model", f"replay:{recording}", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert {
        "session_id",
        "status",
        "stop_reason",
        "summary",
        "diff",
        "files",
        "tests",
        "usage",
        "cost_usd",
        "model_calls",
        "duration_s",
        "delivery",
    } <= set(document)
    assert document["status"] == "solved" and document["files"] == ["calc.py"]
    assert document["tests"]["failed"] == 0 and document["model_calls"] == 3
    assert "+        return high" in document["diff"]
    listed = agent_cli(repo, "sessions", "--json")
    assert document["session_id"] in listed.stdout


def test_undo_restores_the_exact_bytes_including_untracked_files(tmp_path):
    repo = make_repo(tmp_path / "r")
    notes = b"untracked notes\r\nwith CRLF\r\n"
    (repo / "notes.txt").write_bytes(notes)
    result, _, _ = solve(
        repo,
        [
            plan(),
            edit(),
            edit(old="untracked notes", new="edited notes", path="notes.txt"),
            turn("", ("create_file", {"path": "extra.py", "content": "X = 1\n"})),
            finish(),
        ],
        allow_dirty=True,
    )
    assert result.outcome.status == "solved"
    assert (repo / "extra.py").exists() and b"edited" in (repo / "notes.txt").read_bytes()
    done = agent_cli(repo, "undo", "--to-start")
    assert done.returncode == 0, done.stderr
    assert (repo / "calc.py").read_text() == CALC
    assert (repo / "notes.txt").read_bytes() == notes
    assert not (repo / "extra.py").exists()


def test_commit_mode_commits_only_a_solved_change(tmp_path):
    repo = make_repo(tmp_path / "r")
    result, _, _ = solve(repo, [plan(), edit(), finish()], result="commit")
    assert result.delivery["commit"]
    assert git(repo, "log", "-1", "--format=%s").strip() == TASK
    assert git(repo, "status", "--porcelain") == ""


def bridge_answers(folder, answers):
    """Answer the first len(answers) bridge requests, as a program standing in for the model."""
    import os
    import time

    for number, answer in enumerate(answers, 1):
        request = folder / f"{number:04d}.request.json"
        while not request.exists():
            time.sleep(0.05)
        temporary = folder / f".{number:04d}.tmp"
        temporary.write_text(json.dumps(answer))
        os.replace(temporary, folder / f"{number:04d}.response.json")


def as_bridge(response):
    """A scripted turn in the bridge folder's answer format."""
    return {
        "content": [
            {"type": "tool_call", "id": c.id, "name": c.name, "arguments": c.arguments}
            for c in response.message.tool_calls
        ]
    }


def start_bridged_session(repo, folder, answers):
    """`agent solve --model bridge:DIR` in a subprocess, answered up to its next request."""
    import threading
    import time

    process = subprocess.Popen(
        [sys.executable, "-m", "agent", "solve", TASK, "--model", f"bridge:{folder}", "--jsonl"],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    threading.Thread(target=bridge_answers, args=(folder, answers), daemon=True).start()
    waiting = folder / f"{len(answers) + 1:04d}.request.json"
    deadline = time.monotonic() + 120
    while not waiting.exists():
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return process


def test_resume_after_a_kill_continues_the_conversation(tmp_path):
    import signal

    repo = make_repo(tmp_path / "r")
    process = start_bridged_session(
        repo, tmp_path / "bridge", [as_bridge(plan()), as_bridge(edit())]
    )
    process.send_signal(signal.SIGKILL)
    process.wait()
    session_id = json.loads(process.stdout.readline())["session_id"]
    assert "return high" in (repo / "calc.py").read_text()  # the edit before the kill is kept

    model = Recorder([finish()])
    result = run_session(
        SolveOptions(cwd=repo, resume=session_id[:12], model=model.model), [model.sink]
    )
    assert result.outcome.status == "solved" and result.session_id == session_id
    resumed = model.requests[0]
    assert any(c.name == "edit_file" for m in resumed.messages for c in m.tool_calls)
    model.check("solve_resumed")  # told it has resumed; the edit's result was carried over

    done = agent_cli(repo, "undo", "--to-start", "--session", session_id)
    assert done.returncode == 0, done.stderr
    assert (repo / "calc.py").read_text() == CALC


def test_ctrl_c_stops_cleanly_with_exit_130_and_a_resumable_session(tmp_path):
    import signal

    repo = make_repo(tmp_path / "r")
    process = start_bridged_session(repo, tmp_path / "bridge", [as_bridge(plan())])
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    events = [json.loads(line) for line in out.splitlines()]
    assert events[-1]["kind"] == "finished" and events[-1]["status"] == "interrupted"
    assert not list((tmp_path / "bridge").glob("0002.request.json"))  # no stale request left
    listed = json.loads(agent_cli(repo, "sessions", "--json").stdout)
    assert listed[0]["status"] == "interrupted"


def test_worktree_mode_never_touches_the_users_tree(tmp_path):
    repo = make_repo(tmp_path / "r")
    result, _, _ = solve(repo, [plan(), edit(), finish()], worktree=True, result="commit")
    assert result.outcome.status == "solved"
    assert (repo / "calc.py").read_text() == CALC and git(repo, "status", "--porcelain") == ""
    branch = result.delivery["branch"]
    assert "return high" in git(repo, "show", f"{branch}:calc.py")
    assert result.delivery["worktree"] != str(repo)


def test_the_model_starts_from_measured_facts(tmp_path):
    repo = make_repo(tmp_path / "r", QUIET, {"tests/test_calc.py": CALC_TESTS + ABOVE_TEST})

    def plan_once_the_suite_ran(request):  # a slower model: the suite finished meanwhile
        while not list((repo / ".agent" / "baseline").glob("*.json")):
            time.sleep(0.05)
        return plan()

    task = "tests/test_calc.py::test_clamp_above fails: clamp above the range returns low"
    _, model, _ = solve(repo, [plan_once_the_suite_ran, edit(), finish()], task=task)
    # The plan request goes out while the suite runs; the facts (the suite's counts, what
    # already fails, the named tests' run) join the next message.
    model.check("solve_measured_facts")
    assert "assert 0 == 10" in model.step("code").text


def test_a_named_failing_test_is_localized_and_traced_before_the_code(tmp_path):
    repo = make_repo(
        tmp_path / "r",
        "independent_tests = false\n",
        {"tests/test_calc.py": CALC_TESTS + ABOVE_TEST},
    )
    test_id = "tests/test_calc.py::test_clamp_above"
    task = f"{test_id} fails: clamp above the range returns low"
    _, model, _ = solve(repo, [plan(bug=True, tests=[test_id]), edit(), finish()], task=task)
    # The plan went out while the evidence was gathered (ranking suspects, tracing the test);
    # it joins the code phase, which names the test as the reproduction (it already fails).
    model.check("solve_named_failing_test_traced")
    suspects = model.step("code").text
    assert " 1. clamp  calc.py:6" in suspects  # the broken function, ranked first
    assert "clamp(value=15, low=0, high=10) returned 0" in suspects  # what really happened
