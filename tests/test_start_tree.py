"""Verify without waiting for the baseline: failures after a change asked of the start tree."""

from __future__ import annotations

from agent.events import Finished, PhaseChanged, TestsRun, ToolCallFinished
from agent.sandbox import Policy, create_sandbox
from agent.testing.start_tree import run_on_start_tree, start_tree_overlays
from agent.tools.context import ToolContext
from tests.solve_kit import CALC_TESTS, PYTEST, QUIET, edit, finish, git, make_repo, plan
from tests.test_testruns import SLOW_TEST, session, suite_runs

ONE_ROUND = QUIET + "max_plans = 1\ndebug_rounds = 0\n"
ALREADY_BROKEN = """

def test_already_broken():
    assert add(1, 1) == 3
"""
ABOVE = """

def test_clamp_above():
    assert clamp(15, 0, 10) == 10
"""
BROKEN = "tests/test_calc.py::test_already_broken"


def whole_suite_runs(events: list) -> list[TestsRun]:
    """The runs a person sees that ran the whole suite (no test ids or files named)."""
    return [r for r in suite_runs(events) if "::" not in r.command and "tests/" not in r.command]


def asked_of_the_start_tree(events: list) -> list[TestsRun]:
    """The runs right after the loop said it asks the start tree."""
    asked = [
        i
        for i, e in enumerate(events)
        if isinstance(e, PhaseChanged) and e.detail.startswith("did they fail before the change?")
    ]
    return [next(e for e in events[i:] if isinstance(e, TestsRun)) for i in asked]


def test_a_test_failing_before_the_change_is_not_blamed_on_it(tmp_path):
    repo = make_repo(
        tmp_path / "r",
        ONE_ROUND,
        {"tests/test_calc.py": CALC_TESTS + ABOVE + ALREADY_BROKEN + SLOW_TEST},
    )
    events = session(repo, [plan(), edit(), finish()])
    end = next(e for e in events if isinstance(e, Finished))
    assert end.status == "solved"
    assert any(
        isinstance(e, PhaseChanged)
        and e.detail.startswith("the baseline run was stopped: a change began")
        for e in events
    )
    (suite,) = whole_suite_runs(events)  # the one whole-suite run: after the fix
    assert suite.failures == (BROKEN,)
    (asked,) = asked_of_the_start_tree(events)
    assert BROKEN in asked.command and asked.failures == (BROKEN,)  # it failed before too
    assert git(repo, "status", "--porcelain") == " M calc.py\n"  # the start tree only bound


def test_a_regression_the_change_caused_is_caught(tmp_path):
    repo = make_repo(
        tmp_path / "r", ONE_ROUND, {"tests/test_calc.py": CALC_TESTS + ALREADY_BROKEN + SLOW_TEST}
    )
    breaks_add = edit(old="    return a + b\n", new="    return a * b\n")
    events = session(repo, [plan(), breaks_add, finish()])
    end = next(e for e in events if isinstance(e, Finished))
    assert end.status == "not_solved"
    assert "Newly failing (passed before the change): tests/test_calc.py::test_add" in end.summary
    assert BROKEN not in end.summary.split("Newly failing")[1]  # failed before: not blamed
    suite, confirmed = whole_suite_runs(events)  # after the change; the start tree's
    assert set(suite.failures) == {"tests/test_calc.py::test_add", BROKEN}
    (asked,) = asked_of_the_start_tree(events)
    assert asked.failures == (BROKEN,)  # test_add passed on the start tree, alone
    assert confirmed.at > asked.at and confirmed.failures == (BROKEN,)  # and in its suite
    assert "return a * b" in (repo / "calc.py").read_text()  # the change itself left as made


def test_a_session_whose_suite_passes_after_the_change_runs_it_once(tmp_path):
    repo = make_repo(
        tmp_path / "r", ONE_ROUND, {"tests/test_calc.py": CALC_TESTS + ABOVE + SLOW_TEST}
    )
    events = session(repo, [plan(), edit(), finish()])
    edited = next(e.at for e in events if isinstance(e, ToolCallFinished) and e.name == "edit_file")
    assert next(e for e in events if isinstance(e, Finished)).status == "solved"
    (suite,) = whole_suite_runs(events)
    assert suite.at > edited and not suite.failures
    assert asked_of_the_start_tree(events) == []  # no failure: the start tree not needed


def test_files_added_deleted_and_changed_are_seen_as_at_the_start(tmp_path):
    helper = "def helper():\n    return 1\n"
    checks = """import pathlib

from calc import add


def test_start_files():
    assert add(2, 3) == 5
    assert pathlib.Path("pkg/helper.py").read_text().startswith("def helper")
    assert not pathlib.Path("pkg/new.py").exists()
    assert pathlib.Path("lib/added.py").read_text() == ""
"""
    repo = make_repo(
        tmp_path / "r", ONE_ROUND, {"pkg/helper.py": helper, "tests/test_start.py": checks}
    )
    start = git(repo, "write-tree")
    (repo / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    (repo / "pkg" / "helper.py").unlink()
    (repo / "pkg" / "new.py").write_text("x = 1\n")  # in a folder bound as it was: absent
    (repo / "lib").mkdir()
    (repo / "lib" / "added.py").write_text("x = 1\n")  # a file added since: empty
    git(repo, "add", "-A")
    now = git(repo, "write-tree").strip()
    git(repo, "reset", "-q")
    overlays = start_tree_overlays(repo, start.strip(), now, tmp_path)
    assert sorted(str(target) for _, target in overlays) == ["calc.py", "lib/added.py", "pkg"]
    ctx = ToolContext(repo, create_sandbox(Policy(workspace=repo)), test_command=PYTEST)
    report = run_on_start_tree(ctx, start.strip(), now, ["tests/test_start.py"], lambda e: None)
    assert report is not None and report.passed == 1 and not report.failing
    assert not (repo / "pkg" / "helper.py").exists()  # today's tree left as it is
    assert "a - b" in (repo / "calc.py").read_text()
