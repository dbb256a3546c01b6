"""Independent tests: written without the code, kept only if they fail before and pass after."""

from __future__ import annotations

import pytest

from agent import events as ev
from agent.models.scripted import ScriptedModel
from agent.runner import SolveOptions, run_session
from tests.session_snapshot import Recorder
from tests.solve_kit import edit, finish, make_repo, plan, turn

DESIGNED = """```python
from calc import clamp


def test_above_the_range_gives_high():
    assert clamp(15, 0, 10) == 10


def test_inside_the_range_is_unchanged():
    assert clamp(5, 0, 10) == 5


def test_a_wrong_expectation():
    assert clamp(15, 0, 10) == 11
```"""


@pytest.mark.parametrize(
    "answer", [DESIGNED, DESIGNED.removesuffix("```")], ids=["fenced", "fence-left-open"]
)
def test_designed_tests_are_kept_only_if_they_fail_before_and_pass_after(tmp_path, answer):
    repo = make_repo(tmp_path / "r", "reproduce = false\ntraces = false\n")
    model = ScriptedModel([plan(), answer, edit(), finish()])
    result = run_session(
        SolveOptions(task="clamp(15, 0, 10) returns 0, should be 10", cwd=repo, model=model), []
    )
    assert result.outcome.status == "solved"
    designers = [r for r in model.requests if not r.tools]
    assert len(designers) == 1 and len(designers[0].messages) == 1  # a separate conversation
    prompt = designers[0].messages[0].text  # with no tools
    assert "def clamp(value, low, high)" in prompt and "limited to the range" in prompt
    assert "return low" not in prompt  # bodies hidden: it never sees the code
    kept = (repo / "tests" / "test_independent_checks.py").read_text()
    assert "def test_above_the_range_gives_high" in kept
    assert "test_inside_the_range_is_unchanged" not in kept  # passed before: proves nothing
    assert "test_a_wrong_expectation" not in kept  # still fails after: dropped
    assert not kept.endswith("\n\n")  # no blank lines left where the dropped tests were
    assert "tests/test_independent_checks.py" in result.files
    # the loop writes the kept file, not a command: the review lists it all the same
    assert {(t.path, t.change) for t in result.touched} >= {
        ("tests/test_independent_checks.py", "created")
    }
    assert (
        "Independent tests kept in tests/test_independent_checks.py: "
        "test_above_the_range_gives_high; dropped: test_inside_the_range_is_unchanged "
        "(passed before the change), test_a_wrong_expectation (still fails after the change)"
    ) in result.outcome.summary
    assert result.outcome.report.passed == 3  # the suite's two and the kept one


def test_no_designed_tests_remain_when_none_fails_first(tmp_path):
    repo = make_repo(tmp_path / "r", "reproduce = false\ntraces = false\n")
    passing = "```python\nfrom calc import add\n\n\ndef test_add():\n    assert add(1, 1) == 2\n```"
    model = ScriptedModel([plan(), passing, edit(), finish()])
    result = run_session(SolveOptions(task="clamp above the range", cwd=repo, model=model), [])
    assert result.outcome.status == "solved"
    assert not (repo / "tests" / "test_independent_checks.py").exists()


def test_the_designer_sees_private_definitions_the_plan_names_and_short_docstrings(tmp_path):
    from agent.test_designer import public_interface

    gallery = "\n".join(f"    >>> table(style={n})" for n in range(100))
    (tmp_path / "wrap.py").write_text(
        f'def table(rows):\n    """Format rows.\n\n{gallery}\n    """\n    return rows\n\n\n'
        'class _Wrapper:\n    """Wraps text by display width."""\n\n'
        '    def _len(self, item):\n        """Columns the item takes on a console."""\n'
        "        return len(item)\n\n"
        "    def _hidden(self):\n        return 0\n\n\n"
        "def _unrelated():\n    return 1\n"
    )
    shown = public_interface(tmp_path, ["wrap.py"], {"_Wrapper", "_len", "table"})
    assert "class _Wrapper():" in shown and "def _len(self, item):" in shown
    assert "Columns the item takes on a console." in shown and "return len" not in shown
    assert "_hidden" not in shown and "_unrelated" not in shown
    assert "table(style=30)" in shown and "table(style=60)" not in shown
    assert "... (62 more lines of docstring)" in shown


def test_the_designer_sees_what_the_named_failing_tests_call(tmp_path):
    failing = "\n\ndef test_sum_of_clamped():\n    assert add(clamp(15, 0, 10), 1) == 11\n"
    repo = make_repo(
        tmp_path / "r",
        "reproduce = false\ntraces = false\n",
        {"tests/test_sum.py": "from calc import add, clamp\n" + failing},
    )
    model = ScriptedModel([plan(), DESIGNED, edit(), finish()])
    task = "tests/test_sum.py::test_sum_of_clamped fails: clamp above the range returns low"
    result = run_session(SolveOptions(task=task, cwd=repo, model=model), [])
    assert result.outcome.status == "solved"
    prompt = next(r for r in model.requests if not r.tools).messages[0].text  # the designer's
    assert "def clamp(value, low, high)" in prompt  # named by the task and the plan
    assert "def add(a, b)" in prompt and "Sum of two numbers." in prompt  # the test calls it
    assert "return a + b" not in prompt


REPRODUCTION = "tests/test_calc.py::test_clamp_above"
WRITE_REPRODUCTION = edit(
    "def test_clamp_inside():",
    "def test_clamp_above():\n    assert clamp(15, 0, 10) == 10\n\n\ndef test_clamp_inside():",
    "tests/test_calc.py",
)
KEPT_AND_DROPPED = (
    "Independent tests kept in tests/test_independent_checks.py: "
    "test_above_the_range_gives_high; dropped: test_inside_the_range_is_unchanged "
    "(passed before the change), test_a_wrong_expectation (still fails after the change)"
)


def reproduced_session(tmp_path, designed: str, *reproduce_turns):
    """A bug session: plan, the designer's file, the reproduce phase's turns, the fix."""
    repo = make_repo(tmp_path / "r", "traces = false\n")
    recorder = Recorder(
        [
            plan(bug=True, new_tests=[REPRODUCTION]),
            designed,
            *reproduce_turns,
            turn("", ("reproduced", {"test_ids": [REPRODUCTION]})),
            edit(),
            finish(),
        ]
    )
    task = "clamp(15, 0, 10) returns 0 but should return 10"
    options = SolveOptions(task=task, cwd=repo, model=recorder.model)
    result = run_session(options, [recorder.sink])
    runs = [
        e.command.split("no:cacheprovider")[-1].split()
        for e in recorder.events
        if isinstance(e, ev.TestsRun)
    ]
    return result, recorder, runs


def test_the_reproduction_check_and_the_designed_tests_share_one_run(tmp_path):
    result, recorder, runs = reproduced_session(tmp_path, DESIGNED, WRITE_REPRODUCTION)
    assert result.outcome.status == "solved", result.outcome
    # the baseline, the reproduction with the designed file, the targets with the kept
    # file, the suite: the designed file's own run on the start code is gone
    assert runs == [
        [],
        [REPRODUCTION, "tests/test_independent_checks.py"],
        [REPRODUCTION, "tests/test_independent_checks.py"],
        [],
    ]
    # each side's verdict as if it ran alone: the designed tests' failures are not the bug's
    told = recorder.step("code").text
    assert "Confirmed by a real run: it fails now (0 passed, 1 failed)" in told
    assert "test_independent_checks" not in told
    assert KEPT_AND_DROPPED in result.outcome.summary
    recorder.check("designer_shares_the_reproduction_run")


def test_code_changed_before_reproduced_runs_the_designed_tests_alone_on_the_start_code(tmp_path):
    docstring = edit('"""Sum of two numbers."""', '"""The sum of two numbers."""')
    # passes once the docstring is changed, so it fails on the start code only
    documented = DESIGNED.replace(
        "\n\n\ndef test_a_wrong_expectation",
        "\n\n\ndef test_add_says_the_sum():\n    from calc import add\n\n"
        '    assert add.__doc__ == "The sum of two numbers."\n\n\ndef test_a_wrong_expectation',
    )
    result, recorder, runs = reproduced_session(tmp_path, documented, docstring, WRITE_REPRODUCTION)
    assert result.outcome.status == "solved", result.outcome
    assert runs[1:3] == [[REPRODUCTION], ["tests/test_independent_checks.py"]]
    # run on the tree as it was then, the docstring test would pass and be dropped
    assert (
        "Independent tests kept in tests/test_independent_checks.py: "
        "test_above_the_range_gives_high, test_add_says_the_sum; dropped: "
        "test_inside_the_range_is_unchanged (passed before the change), "
        "test_a_wrong_expectation (still fails after the change)"
    ) in result.outcome.summary


def test_a_designed_file_that_does_not_collect_leaves_the_reproduction_to_its_own_run(tmp_path):
    broken = "```python\nfrom calc import clamp_strictly\n\n\ndef test_x():\n    assert clamp_strictly(1)\n```"
    result, recorder, runs = reproduced_session(tmp_path, broken, WRITE_REPRODUCTION)
    assert result.outcome.status == "solved", result.outcome
    # pytest stops at the designed file's import error, so the reproduction runs again alone
    assert runs[1:3] == [[REPRODUCTION, "tests/test_independent_checks.py"], [REPRODUCTION]]
    told = recorder.step("code").text
    assert "Confirmed by a real run: it fails now (0 passed, 1 failed)" in told
    assert "Independent tests" not in result.outcome.summary
    assert not (tmp_path / "r" / "tests" / "test_independent_checks.py").exists()
