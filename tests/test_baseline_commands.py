"""A command the model runs beside the baseline: it stops the run only if it changed the tree;
the tests the task names stand for the baseline where it was stopped or still runs."""

from __future__ import annotations

import time
from pathlib import Path

from agent import events as ev
from agent.runner import SolveOptions, run_session
from tests.session_snapshot import Recorder
from tests.solve_kit import CALC_TESTS, QUIET, edit, finish, make_repo, plan, turn

ABOVE = "tests/test_calc.py::test_clamp_above"
SLOW = """

def test_clamp_above():
    assert clamp(15, 0, 10) == 10


def test_takes_its_time():
    import time
    time.sleep(3)
"""
SLOW_SUITE = {"tests/test_calc.py": CALC_TESTS + SLOW}
# ... whose slow test leaves a file in the tree when it starts and one when it ends
MARKING_SUITE = {
    "tests/test_calc.py": CALC_TESTS
    + SLOW.replace(
        "import time", 'import pathlib, time\n    pathlib.Path("started").write_text("")'
    )
    + '    pathlib.Path("slept").write_text("")\n'
}
TASK = "clamp() returns low above the range"
REPRODUCING = "independent_tests = false\ntraces = false\nmax_plans = 1\n"


def command(script: str):
    """A run_command turn."""
    return turn("", ("run_command", {"command": script}))


def solve(repo: Path, answers: list, task: str = TASK, settle_at: int = 2) -> Recorder:
    """A session whose first answer comes at once, beside the baseline; the `settle_at`-th
    waits for the baseline's end (0: none does)."""
    recorder = Recorder(answers, settle_at=settle_at)
    run_session(SolveOptions(task=task, cwd=repo, model=recorder.model), [recorder.sink])
    return recorder


def stops(events: list) -> list[ev.PhaseChanged]:
    return [
        e
        for e in events
        if isinstance(e, ev.PhaseChanged) and e.detail.startswith("the baseline run was stopped")
    ]


def once_exists(path: Path, answer):
    """An answer given only once `path` exists (the suite has started)."""

    def answering(request):
        while not path.exists():
            time.sleep(0.05)
        return answer

    return answering


def test_a_command_that_writes_nothing_of_the_tree_leaves_the_baseline_running(tmp_path):
    repo = make_repo(tmp_path / "r", QUIET, {**SLOW_SUITE, ".gitignore": "*.log\n"})
    # Bytecode and what .gitignore leaves out are no change of what the tests run.
    looks = command(
        "python -c 'import calc; print(calc.clamp(15, 0, 10))' | tee run.log; "
        "python -c 'import py_compile; print(py_compile.compile(\"calc.py\"))'"
    )
    model = solve(repo, [looks, plan(), edit(), finish()])
    events = model.events
    ran = next(e for e in events if isinstance(e, ev.ToolCallFinished) and e.name == "run_command")
    suite = next(e for e in events if isinstance(e, ev.TestsRun))
    assert not ran.is_error and "__pycache__/calc." in ran.output
    touched = {f["path"] for e in events if isinstance(e, ev.FilesTouched) for f in e.files}
    assert "run.log" in touched and any(p.startswith("__pycache__/") for p in touched)
    assert stops(events) == []
    assert suite.at > ran.at and suite.failures == (ABOVE,)  # the whole run, past the command
    assert "Already failing: " + ABOVE in model.step("code").text  # told to the model
    assert list((repo / ".agent" / "baseline").glob("*.json"))  # and cached
    model.check("baseline_beside_a_reading_command", {str(tmp_path): "<tmp>"})


def run_tests_call(target: str):
    """A run_tests turn."""
    return turn("", ("run_tests", {"target": target}))


def test_the_models_test_run_leaves_the_baseline_running(tmp_path):
    repo = make_repo(tmp_path / "r", QUIET, SLOW_SUITE)
    model = solve(repo, [run_tests_call(ABOVE), plan(), edit(), finish()])
    events = model.events
    ran = next(e for e in events if isinstance(e, ev.ToolCallFinished) and e.name == "run_tests")
    assert stops(events) == []
    suite = [e for e in events if isinstance(e, ev.TestsRun) and e.passed + e.failed > 2][0]
    assert suite.at > ran.at and suite.failures == (ABOVE,)  # the whole run, past the call
    assert "Already failing: " + ABOVE in model.step("code").text
    assert "Your first change stopped" not in "\n".join(s.text for s in model.steps())


def test_a_test_run_that_writes_into_the_tree_stops_the_baseline(tmp_path):
    repo = make_repo(tmp_path / "r", QUIET, MARKING_SUITE)
    marking = run_tests_call("tests/test_calc.py::test_takes_its_time")
    model = solve(repo, [marking, plan(), edit(), finish()], settle_at=0)
    (stopped,) = stops(model.events)
    assert stopped.detail.startswith("the baseline run was stopped: a command changed ")
    assert "started" in stopped.detail
    assert "Your first change stopped the suite's run" in model.step("code").text


def test_a_command_that_changes_the_tree_stops_the_baseline_once_it_ended(tmp_path):
    repo = make_repo(tmp_path / "r", QUIET, SLOW_SUITE)
    writes = command("printf 'x = 1\\n' > extra.py")
    model = solve(repo, [writes, plan(), edit(), finish()])
    events = model.events
    ran = next(e for e in events if isinstance(e, ev.ToolCallStarted) and e.name == "run_command")
    (stopped,) = stops(events)
    assert stopped.detail.startswith("the baseline run was stopped: a command changed extra.py")
    assert stopped.at > ran.at  # once it ran, not before
    runs = [e for e in events if isinstance(e, ev.TestsRun)]
    assert len(runs) == 1 and runs[0].at > ran.at and not runs[0].failures  # after the fix
    assert "Your first change stopped the suite's run" in model.step("code").text
    assert list((repo / ".agent" / "baseline").glob("*.json")) == []  # nothing partial kept


def test_a_result_reached_while_a_command_changed_the_tree_is_dropped(tmp_path):
    repo = make_repo(tmp_path / "r", QUIET, MARKING_SUITE)
    # Writes only once the suite's slow test has ended, then the baseline has stored its report.
    late = command(
        "while [ ! -e slept ]; do sleep 0.05; done; sleep 2; printf 'x = 1\\n' > extra.py"
    )
    model = solve(repo, [late, plan(), edit(), finish()])
    events = model.events
    suite = next(e for e in events if isinstance(e, ev.TestsRun))
    (stopped,) = stops(events)
    # (the file the suite's test wrote meanwhile is put down to the command too)
    assert "a command changed extra.py, slept, started;" in stopped.detail
    assert suite.failures == (ABOVE,) and stopped.at > suite.at  # it had finished
    told = model.step("code").text
    assert "Your first change stopped the suite's run" in told and "Already failing" not in told
    assert list((repo / ".agent" / "baseline").glob("*.json")) == []  # the stored one removed
    assert next(e for e in events if isinstance(e, ev.Finished)).status == "solved"


def test_a_failing_named_test_counts_as_reproduced_with_the_baseline_stopped(tmp_path):
    repo = make_repo(tmp_path / "r", REPRODUCING, MARKING_SUITE)
    early_edit = once_exists(repo / "started", edit())  # the named run is over by then
    model = solve(
        repo,
        [early_edit, plan(bug=True), finish()],
        task=f"{TASK}: {ABOVE} fails",
        settle_at=0,
    )
    events = model.events
    assert len(stops(events)) == 1
    phases = [e for e in events if isinstance(e, ev.PhaseChanged) and e.phase == "reproduce"]
    assert [e.detail for e in phases] == [
        f"{ABOVE} already fails (the run of the tests the task names)"
    ]
    assert [s.phase for s in model.steps() if s.number] == ["plan", "plan", "code"]
    assert next(e for e in events if isinstance(e, ev.Finished)).status == "solved"


def test_the_reproduce_phase_does_not_wait_for_a_suite_still_running(tmp_path):
    repo = make_repo(tmp_path / "r", REPRODUCING, SLOW_SUITE)
    model = solve(repo, [plan(bug=True), "I stop here.", "Still stopping."], settle_at=0)
    events = model.events
    planned = next(e for e in events if isinstance(e, ev.CostUpdated))
    asked = next(e for e in events if isinstance(e, ev.PhaseChanged) and e.phase == "reproduce")
    assert asked.at - planned.at < 1.5  # the 3 s suite was not waited for
    assert [s.phase for s in model.steps() if s.number][:2] == ["plan", "reproduce"]
