"""The tests a plan names: checked when the plan is submitted, changed with plan_tests, a
missing one named at verify (never a failure), and several reproductions that all must pass.

Real sessions with a scripted model on a small real repository, real pytest in the sandbox.
"""

from __future__ import annotations

import sys

from agent import events as ev
from agent.runner import SolveOptions, run_session
from agent.tools.run import missing_tests
from tests.session_snapshot import Recorder
from tests.solve_kit import CALC, CALC_TESTS, QUIET, edit, finish, make_repo, plan, turn
from tests.test_tools_helpers import make_ctx
from tests.test_tools_helpers import make_repo as make_plain_repo

TASK = "clamp(15, 0, 10) returns 0 but should return 10"
INSIDE = "tests/test_calc.py::test_clamp_inside"
ABOVE = "tests/test_calc.py::test_clamp_above"
BELOW = "tests/test_calc.py::test_clamp_below"
ABOVE_TEST = "\n\ndef test_clamp_above():\n    assert clamp(15, 0, 10) == 10\n"
BELOW_TEST = "\n\ndef test_clamp_below():\n    assert clamp(-5, 0, 10) == 0\n"
LOAD_TESTS = "\n\ndef load_tests(loader, tests, pattern):\n    return tests\n"
ONE_PLAN = QUIET + "debug_rounds = 1\nmax_plans = 1\n"


def solve(repo, answers, task=TASK):
    """Run a session in-process; returns (result, recorder, events)."""
    recorder = Recorder(answers)
    result = run_session(SolveOptions(task=task, cwd=repo, model=recorder.model), [recorder.sink])
    return result, recorder, recorder.events


def targeted_runs(events) -> list[str]:
    return [e.command for e in events if isinstance(e, ev.TestsRun) and "::" in e.command]


def test_a_plan_naming_tests_that_do_not_exist_is_refused_with_the_nearest_ids(tmp_path):
    repo = make_repo(tmp_path / "r", ONE_PLAN, {"tests/test_calc.py": CALC_TESTS + LOAD_TESTS})
    wrong = ["tests/test_calc.py::load_tests", "tests/test_clac.py::test_clamp_inside"]
    result, model, events = solve(repo, [plan(tests=wrong), plan(tests=[INSIDE]), edit(), finish()])
    assert result.outcome.status == "solved", result.outcome
    refusal = model.result("submit_plan")
    assert refusal.is_error
    assert (
        "no such test: tests/test_calc.py::load_tests (nearest existing: "
        f"tests/test_calc.py::test_add, {INSIDE})"
    ) in refusal.content
    # a file that does not exist: the nearest ids come from the whole suite
    assert f"tests/test_clac.py::test_clamp_inside (nearest existing: {INSIDE}" in refusal.content
    assert "new_tests the ones you will write" in refusal.content
    model.check("plan_tests_refused_then_corrected")  # corrected in the next turn, no phase lost
    assert targeted_runs(events)[-1].endswith(INSIDE)  # the corrected plan's test ran


def test_a_new_test_never_written_is_named_at_verify_and_costs_no_debug_round(tmp_path):
    repo = make_repo(tmp_path / "r", ONE_PLAN)
    result, model, events = solve(repo, [plan(new_tests=[ABOVE]), edit(), finish(), finish()])
    assert result.outcome.status == "solved", result.outcome  # the change itself is right
    # plan, edit, finish, finish: told once that the test does not exist (no debug round),
    # then accepted
    model.check("plan_tests_missing_named_at_verify")
    assert f"{ABOVE} (nearest existing: {INSIDE}" in model.step("test").text
    assert "debug" not in [step.phase for step in model.steps()]
    assert f"NO SUCH TEST {ABOVE}" in result.outcome.summary
    assert result.to_dict()["tests"]["missing"] == [ABOVE]
    assert ("test", f"no such test: {ABOVE}") in [
        (e.phase, e.detail) for e in events if isinstance(e, ev.PhaseChanged)
    ]


def test_the_plans_tests_can_be_changed_in_the_code_phase(tmp_path):
    repo = make_repo(tmp_path / "r", ONE_PLAN)
    named_wrong = "tests/test_calc.py::test_clamp_high"
    result, model, events = solve(
        repo,
        [
            plan(new_tests=[named_wrong]),
            turn("", ("plan_tests", {"tests": [named_wrong]})),  # it is not written: refused
            edit(
                "def test_clamp_inside():",
                ABOVE_TEST.strip() + "\n\n\ndef test_clamp_inside():",
                "tests/test_calc.py",
            ),
            turn("", ("plan_tests", {"tests": [ABOVE]})),
            edit(),
            finish(),
        ],
    )
    assert result.outcome.status == "solved", result.outcome
    refusal = model.result("plan_tests")
    assert refusal.is_error
    assert f"no such test: {named_wrong} (nearest existing: " in refusal.content
    assert not model.result("plan_tests", 1).is_error
    assert targeted_runs(events)[-1].endswith(ABOVE)  # verify ran the changed list
    model.check("plan_tests_changed_in_code")  # no "do not exist" turn for the dropped name
    assert ("test", f"the plan's tests are now: {ABOVE}") in [
        (e.phase, e.detail) for e in events if isinstance(e, ev.PhaseChanged)
    ]


def test_two_reproductions_each_must_fail_first_and_both_must_pass(tmp_path):
    both_wrong = CALC.replace(
        "    if value < low:\n        return low\n", "    if value < low:\n        return high\n"
    )
    repo = make_repo(
        tmp_path / "r",
        "independent_tests = false\ntraces = false\ndebug_rounds = 1\nmax_plans = 1\n",
        {"calc.py": both_wrong, "tests/test_calc.py": CALC_TESTS + ABOVE_TEST + BELOW_TEST},
    )
    fix_below = edit(
        "    if value < low:\n        return high\n", "    if value < low:\n        return low\n"
    )
    result, model, events = solve(
        repo,
        [
            plan(bug=True),
            turn("", ("reproduced", {"test_ids": [ABOVE, "tests/test_calc.py::test_add"]})),
            turn("", ("reproduced", {"test_ids": [ABOVE, BELOW]})),
            edit(),
            finish(),  # only one part fixed
            fix_below,
            finish(),
        ],
        task="clamp() returns the wrong bound on both sides of the range",
    )
    assert result.outcome.status == "solved", result.outcome
    # test_add does not fail now: not reproduced; then both confirmed and named in the code
    # phase; both failed before the change, so the suite alone would forgive the unfixed
    # part: the debug round names the one still failing.
    model.check("plan_tests_two_reproductions")
    assert f"FAILED {BELOW}" in model.step("debug").text
    assert all(ABOVE in run and BELOW in run for run in targeted_runs(events)[-2:])


def test_a_file_that_fails_to_import_cannot_be_judged_so_its_ids_are_taken(tmp_path):
    inherited = (
        "import no_such_module\nfrom tests.base import Checks\n\n\nclass TestB(Checks):\n    pass\n"
    )
    files = {"tests/test_ok.py": "def test_a():\n    pass\n", "tests/test_broken.py": inherited}
    command = f"PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {sys.executable} -m pytest -q"
    ctx = make_ctx(make_plain_repo(tmp_path, files), test_command=command)
    assert missing_tests(
        ctx,
        [
            "tests/test_broken.py::TestB::test_inherited",
            "tests/test_ok.py::test_a",
            "tests/test_ok.py",
            "tests/test_ok.py::test_z",
        ],
    ) == {"tests/test_ok.py::test_z": ["tests/test_ok.py::test_a"]}
    go = make_ctx(tmp_path, test_command="go test ./...")
    assert missing_tests(go, ["tests/test_ok.py::test_z"]) == {}  # only pytest's ids are checked


def test_checking_ids_tells_nothing_about_files_outside_the_workspace(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "there.py").write_text("def test_x():\n    pass\n")
    files = {"tests/test_ok.py": "def test_a():\n    pass\n"}
    command = f"PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {sys.executable} -m pytest -q"
    ctx = make_ctx(make_plain_repo(tmp_path / "r", files), test_command=command)
    probes = [
        f"{outside}/there.py::test_x",
        f"{outside}/absent.py::test_x",
        "../outside/there.py::test_x",
        str(outside / "there.py"),
        str(outside / "absent"),
    ]
    # the same answer whether the file exists or not: missing, with the workspace's ids
    assert missing_tests(ctx, probes) == {p: ["tests/test_ok.py::test_a"] for p in probes}
