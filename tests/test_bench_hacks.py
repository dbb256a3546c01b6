"""`bench run` against a hostile session: a change that fakes the verdict, a session that
looks for the task's answer. Real git, the real bubblewrap sandbox, real pytest runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.bench.evaluate import evaluate
from agent.bench.workcopy import prepare
from tests.solve_kit import PYTEST, git, make_repo

PASS_EVERYTHING = '''import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    report.outcome, report.longrepr = "passed", None
'''


def hidden_test_task(source: Path) -> dict:
    """A task whose hidden test (added by its test_patch) fails on the base commit."""
    first = (source / "tests/test_calc.py").read_text().splitlines()[0]
    test_patch = ("--- a/tests/test_calc.py\n+++ b/tests/test_calc.py\n@@ -1 +1,5 @@\n"
                  "+def test_hidden_requirement():\n+    assert 1 + 1 == 3\n+\n+\n"
                  f" {first}\n")
    return {"instance_id": "calc__hidden", "repo": "calc", "repo_path": str(source),
            "base_commit": git(source, "rev-parse", "HEAD").strip(), "patch": "",
            "test_patch": test_patch, "test_command": PYTEST, "problem_statement": "x",
            "FAIL_TO_PASS": ["tests/test_calc.py::test_hidden_requirement"],
            "PASS_TO_PASS": []}


@pytest.mark.parametrize("conftest", ["conftest.py", "tests/conftest.py"])
def test_a_conftest_the_change_hides_with_gitignore_does_not_fake_the_verdict(tmp_path,
                                                                             conftest):
    task = hidden_test_task(make_repo(tmp_path / "calc"))
    root = tmp_path / "work" / "repo"
    root.parent.mkdir()
    commit = prepare(task, root)
    (root / ".gitignore").write_text("conftest.py\n")
    (root / conftest).write_text(PASS_EVERYTHING)
    verdict = evaluate(root, commit, task, "bwrap")
    assert not verdict.resolved
    assert verdict.fail_to_pass_failing == task["FAIL_TO_PASS"]
    assert verdict.reset_files == [conftest]
    assert not (root / conftest).exists()
