"""The loop's test runs: the baseline beside the plan, its cache, no run twice on one tree."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from agent.events import CostUpdated, Finished, PhaseChanged, TestsRun, ToolCallFinished
from agent.models.scripted import ScriptedModel
from agent.runner import SolveOptions, run_session
from tests.session_snapshot import Recorder
from tests.solve_kit import CALC_TESTS, QUIET, edit, finish, make_repo, plan, turn
from tests.test_test_designer import DESIGNED

SLOW_TEST = """

def test_takes_its_time():
    import time
    time.sleep(3)
"""
ABOVE_TEST = """

def test_clamp_above():
    assert clamp(15, 0, 10) == 10
"""
ONE_PLAN = QUIET + "max_plans = 1\ndebug_rounds = 1\n"


def session(repo: Path, answers: list, **options) -> list:
    """Run one session with scripted answers; its events."""
    events: list = []
    run_session(
        SolveOptions(
            cwd=repo,
            model=ScriptedModel(answers),
            task=options.pop("task", "clamp() returns low above the range"),
            **options,
        ),
        [events.append],
    )
    return events


def suite_runs(events: list) -> list[TestsRun]:
    return [e for e in events if isinstance(e, TestsRun)]


def test_the_first_model_call_does_not_wait_for_a_slow_baseline(tmp_path):
    repo = make_repo(tmp_path / "r", QUIET, {"tests/test_calc.py": CALC_TESTS + SLOW_TEST})
    events = session(repo, [plan(), edit(), finish()])
    first_call = next(e for e in events if isinstance(e, CostUpdated))
    baseline = suite_runs(events)[0]
    ready = next(e for e in events if isinstance(e, PhaseChanged) and "repo map ready" in e.detail)
    assert first_call.at < baseline.at - 2  # the plan came back while the 3 s suite still ran
    assert first_call.at - ready.at < 2


def test_the_baseline_result_joins_the_next_request_not_the_next_phase(tmp_path):
    repo = make_repo(tmp_path / "r", QUIET, {"tests/test_calc.py": CALC_TESTS + ABOVE_TEST})
    read = turn("", ("read_file", {"path": "calc.py"}))
    recorder = Recorder([read, plan(), edit(), finish()], settle_at=1)  # the read waits for it
    options = SolveOptions(cwd=repo, model=recorder.model, task="clamp() is wrong")
    run_session(options, [recorder.sink])
    second = recorder.step("plan", 1)  # the plan phase still: the read's result, then the news
    assert "The test suite before any change: 2 passed, 1 failed" in second.text
    assert "Already failing: tests/test_calc.py::test_clamp_above" in second.text
    assert "The test suite before any change" not in recorder.step("code").text  # told once


def early_edit_session(repo: Path, **options) -> list:
    """A session whose model edits during the plan phase, while the 3 s baseline runs."""
    early_edit = turn(
        "",
        (
            "edit_file",
            {
                "path": "calc.py",
                "old": "        return low\n    return value",
                "new": "        return high\n    return value",
            },
        ),
    )
    return session(repo, [early_edit, plan(), finish()], **options)


def test_a_write_stops_a_baseline_still_running_rather_than_waiting(tmp_path):
    repo = make_repo(
        tmp_path / "r", QUIET, {"tests/test_calc.py": CALC_TESTS + ABOVE_TEST + SLOW_TEST}
    )
    events = early_edit_session(repo)
    edited = next(e for e in events if isinstance(e, ToolCallFinished) and e.name == "edit_file")
    stopped = next(
        e
        for e in events
        if isinstance(e, PhaseChanged)
        and e.detail.startswith("the baseline run was stopped: a change began")
    )
    assert edited.at - stopped.at < 2  # it did not wait out the 3 s suite
    runs = suite_runs(events)
    assert len(runs) == 1 and runs[0].at > edited.at and not runs[0].failed  # after the fix
    assert next(e for e in events if isinstance(e, Finished)).status == "solved"
    assert list((repo / ".agent" / "baseline").glob("*.json")) == []  # nothing partial kept


def test_without_bwrap_a_write_waits_for_the_baseline_of_the_start_tree(tmp_path):
    repo = make_repo(
        tmp_path / "r", QUIET, {"tests/test_calc.py": CALC_TESTS + ABOVE_TEST + SLOW_TEST}
    )
    events = early_edit_session(repo, overrides={"sandbox": "none"})
    baseline = suite_runs(events)[0]
    edited = next(e for e in events if isinstance(e, ToolCallFinished) and e.name == "edit_file")
    assert "tests/test_calc.py::test_clamp_above" in baseline.failures  # the start tree's
    assert edited.at >= baseline.at


def test_a_second_session_on_the_same_tree_does_not_rerun_the_baseline(tmp_path):
    repo = make_repo(tmp_path / "r", ONE_PLAN)

    def once_cached(request):  # a session ending sooner stops its baseline: nothing cached
        while not list((repo / ".agent" / "baseline").glob("*.json")):
            time.sleep(0.05)
        return "I stop here."

    quits = [plan(), once_cached, "Still stopping.", "Done talking."]
    assert len(suite_runs(session(repo, list(quits)))) == 1
    again = session(repo, list(quits))
    assert suite_runs(again) == []
    assert any(isinstance(e, PhaseChanged) and "(cached)" in e.detail for e in again)
    for cached in (repo / ".agent" / "baseline").glob("*.json"):
        cached.write_text("{not json")
    assert len(suite_runs(session(repo, list(quits)))) == 1  # a corrupt cache is ignored


def test_verify_does_not_run_the_same_tests_twice_on_one_tree(tmp_path):
    repo = make_repo(tmp_path / "r", ONE_PLAN)
    wrong = edit(old="    return a + b\n", new="    return a - b\n")
    events = session(repo, [plan(), wrong, finish(), finish()])
    edited = next(e.at for e in events if isinstance(e, ToolCallFinished) and e.name == "edit_file")
    after_edit = [r for r in suite_runs(events) if r.at > edited and "::" not in r.command]
    # The suite after the change, then the start tree's, where test_add passed; round 2
    # saw the same tree and ran neither again.
    assert len(after_edit) == 2 and after_edit[0].failed and not after_edit[1].failed
    assert any(
        isinstance(e, PhaseChanged) and e.detail.startswith("already ran on this tree")
        for e in events
    )


def test_affected_tests_that_are_the_whole_suite_run_once_as_the_suite(tmp_path):
    repo = make_repo(
        tmp_path / "r",
        QUIET + "full_suite_s = 0.5\n",
        {
            "tests/test_calc.py": CALC_TESTS
            + ABOVE_TEST.replace("15", "5").replace("== 10", "== 5")
            + SLOW_TEST.replace("(3)", "(1)")
        },
    )
    events = session(repo, [plan(), edit(), finish()])
    edited = next(e.at for e in events if isinstance(e, ToolCallFinished) and e.name == "edit_file")
    after_edit = [r for r in suite_runs(events) if r.at > edited]
    assert len(after_edit) == 1
    assert "tests/test_calc.py" not in after_edit[0].command  # the suite, not a file of it


def test_the_designed_tests_run_with_the_targets_in_one_invocation(tmp_path):
    repo = make_repo(tmp_path / "r", "reproduce = false\ntraces = false\nmax_plans = 1\n")
    events = session(
        repo,
        [plan(tests=["tests/test_calc.py::test_clamp_inside"]), DESIGNED, edit(), finish()],
        task="clamp(15, 0, 10) returns 0, should be 10",
    )
    finished = next(e for e in events if isinstance(e, Finished))
    edited = next(e.at for e in events if isinstance(e, ToolCallFinished) and e.name == "edit_file")
    after_edit = [r for r in suite_runs(events) if r.at > edited]
    assert finished.status == "solved"
    assert len(after_edit) == 2  # targets with the designed file, then the suite
    together = after_edit[0].command
    assert "test_calc.py::test_clamp_inside" in together
    assert "test_independent_checks.py" in together
    assert after_edit[0].failures == ("tests/test_independent_checks.py::test_a_wrong_expectation",)
    kept = (repo / "tests" / "test_independent_checks.py").read_text()
    assert "test_above_the_range_gives_high" in kept and "test_a_wrong_expectation" not in kept


STARTS_THEN_SLEEPS = """

def test_runs_long():
    import pathlib, time
    pathlib.Path("started").write_text("")
    time.sleep(3)
    pathlib.Path("survived").write_text("")
"""


def once_the_suite_runs(repo: Path, then):
    """A scripted answer given only once the baseline's suite has started: `then` (an
    exception is raised, as a model call or Ctrl-C would)."""

    def answer(request):
        while not (repo / "started").exists():
            time.sleep(0.05)
        if isinstance(then, BaseException):
            raise then
        return then

    return answer


@pytest.mark.parametrize(
    "settings, then, status",
    [
        ("", "Let me look first.", "error"),  # the model has no second answer
        ("max_turns = 1\n", "Let me look first.", "budget_exhausted"),
        ("", KeyboardInterrupt(), "interrupted"),
    ],
)
def test_a_session_that_ends_first_stops_its_baseline(tmp_path, settings, then, status):
    repo = make_repo(
        tmp_path / "r", ONE_PLAN + settings, {"tests/test_calc.py": CALC_TESTS + STARTS_THEN_SLEEPS}
    )
    events = session(repo, [once_the_suite_runs(repo, then)])
    end = events[-1]
    assert isinstance(end, Finished) and end.status == status
    started = (repo / "started").stat().st_mtime
    assert end.at - started < 3  # the session did not wait for the suite
    stopped = [
        e
        for e in events
        if isinstance(e, PhaseChanged) and e.detail.startswith("the baseline run was stopped")
    ]
    killed = suite_runs(events)
    assert len(stopped) == 1 and len(killed) == 1 and killed[0].errors  # shown, before the end
    time.sleep(max(0.0, started + 5 - time.time()))
    assert not (repo / "survived").exists()  # its process was killed, not left to run on
    assert list((repo / ".agent" / "baseline").glob("*.json")) == []
