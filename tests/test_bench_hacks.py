"""`bench run` against a hostile session: a change that fakes the verdict, a session that
looks for the task's answer. Real git, the real bubblewrap sandbox, real pytest runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.bench.evaluate import evaluate
from agent.bench.workcopy import prepare
from tests import sandbox_kit
from tests.sandbox_kit import needs_bwrap
from tests.solve_kit import PYTEST, git, make_repo

pytestmark = needs_bwrap
area = sandbox_kit.area

PASS_EVERYTHING = """import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    report.outcome, report.longrepr = "passed", None
"""


def hidden_test_task(source: Path) -> dict:
    """A task whose hidden test (added by its test_patch) fails on the base commit."""
    first = (source / "tests/test_calc.py").read_text().splitlines()[0]
    test_patch = (
        "--- a/tests/test_calc.py\n+++ b/tests/test_calc.py\n@@ -1 +1,5 @@\n"
        "+def test_hidden_requirement():\n+    assert 1 + 1 == 3\n+\n+\n"
        f" {first}\n"
    )
    return {
        "instance_id": "calc__hidden",
        "repo": "calc",
        "repo_path": str(source),
        "base_commit": git(source, "rev-parse", "HEAD").strip(),
        "patch": "",
        "test_patch": test_patch,
        "test_command": PYTEST,
        "problem_statement": "x",
        "FAIL_TO_PASS": ["tests/test_calc.py::test_hidden_requirement"],
        "PASS_TO_PASS": [],
    }


@pytest.mark.parametrize("conftest", ["conftest.py", "tests/conftest.py"])
def test_a_conftest_the_change_hides_with_gitignore_does_not_fake_the_verdict(tmp_path, conftest):
    task = hidden_test_task(make_repo(tmp_path / "calc"))
    root = tmp_path / "work" / "repo"
    root.parent.mkdir()
    commit = prepare(task, root)
    (root / ".gitignore").write_text("conftest.py\n.venv/\n")
    (root / conftest).write_text(PASS_EVERYTHING)
    (root / ".venv/lib/tests").mkdir(parents=True)  # an environment the session made
    (root / ".venv/lib/tests/test_pkg.py").write_text("")
    verdict = evaluate(root, commit, task, "bwrap")
    assert not verdict.resolved
    assert verdict.fail_to_pass_failing == task["FAIL_TO_PASS"]
    assert verdict.reset_files == [conftest]
    assert not (root / conftest).exists() and (root / ".venv/lib/tests/test_pkg.py").exists()


GOLD = "gold-answer-5e1f"


def test_the_session_cannot_read_the_tasks_repository_or_the_tasks_file(area):
    from agent.bench.run import BenchSettings, run_task
    from agent.models.scripted import ScriptedModel
    from tests.solve_kit import finish, turn

    source = make_repo(area / "calc")
    task = hidden_test_task(source)
    (source / "calc.py").write_text((source / "calc.py").read_text() + f"# {GOLD}\n")
    git(source, "commit", "-qam", "the fix")
    tasks_file = area / "tasks.jsonl"
    tasks_file.write_text(f'{{"patch": "{GOLD}"}}\n')
    look = (
        f"git -C {source} log -p | grep -c {GOLD[:6]}''{GOLD[6:]}; cat {source}/calc.py {tasks_file}; "
        f"ls {area}"
    )
    model = ScriptedModel([turn("", ("run_command", {"command": look})), finish()])
    settings = BenchSettings(
        model="scripted", sandbox="bwrap", repos=str(area), tasks_file=str(tasks_file)
    )
    row = run_task(task, settings, model=model)
    seen = repr(model.requests)
    assert "run_command" in seen and "calc.py" in seen, row
    assert GOLD not in seen and f"{GOLD[:6]}''{GOLD[6:]}" in seen
    assert "No such file" in seen  # the command ran, and found nothing there


def test_a_hidden_path_holding_the_workspace_is_let_be_and_one_beside_it_is_hidden(area):
    from agent.sandbox import Policy, create_sandbox

    workspace = area / "ws"
    workspace.mkdir()
    (workspace / "mine.txt").write_text("workspace-text\n")
    (area / "answer.txt").write_text(f"{GOLD}\n")
    box = create_sandbox(
        Policy(workspace, timeout_s=30, hidden=(area, area / "answer.txt", workspace / "mine.txt")),
        "bwrap",
    )
    result = box.run(["bash", "-c", f"cat mine.txt; cat {area}/answer.txt"], cwd=workspace)
    assert "workspace-text" in result.stdout and GOLD not in result.stdout, result


def test_the_working_copys_history_does_not_name_the_fix_commit(tmp_path):
    source = make_repo(tmp_path / "calc")
    task = hidden_test_task(source)
    git(source, "commit", "-q", "--allow-empty", "-m", "the fix")
    fix = git(source, "rev-parse", "HEAD").strip()
    task.update(instance_id=f"calc__{fix[:12]}", commit=fix)  # as `bench mine` names it
    root = tmp_path / "work" / "repo"
    root.parent.mkdir()
    prepare(task, root)
    shown = git(root, "log", "--format=%H %s %b")
    assert fix[:7] not in shown
