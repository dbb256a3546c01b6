"""`agent bench mine` on a real repository's history, then `agent bench run` on what it mined:
real git, real sandboxed pytest runs, real worker processes; only the model is scripted."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from agent.bench.executors import InlineExecutor
from agent.bench.harness import run_bench
from agent.bench.mine_cli import mine_tasks
from agent.bench.results import read_rows
from agent.bench.run import BenchSettings
from agent.bench.tasks import as_swebench, load_tasks
from agent.models.scripted import ScriptedModel
from tests.solve_kit import FAST_PYTEST, PYTEST, QUIET, committed, finish, git, plan, turn

TESTS = f"{PYTEST} -q"
CALC = """def add(a, b):
    return a + b


def mul(a, b):
    return abs(a) * b
"""
CALC_TESTS = """from calc import add, mul


def test_add():
    assert add(2, 3) == 5


def test_mul_positive():
    assert mul(2, 3) == 6
"""
MUL_FIXED = CALC.replace("abs(a) * b", "a * b")
NEGATIVE_TEST = """

def test_mul_negative():
    assert mul(-2, 3) == -6
"""
CLAMP = '''

def clamp(value, low, high):
    """`value` limited to the range [low, high]."""
    return max(low, min(high, value))
'''
CLAMP_TESTS = """from calc import clamp


def test_clamp_low():
    assert clamp(-5, 0, 10) == 0


def test_clamp_inside():
    assert clamp(5, 0, 10) == 5
"""
FLAKY_TESTS = """import pathlib


def test_sometimes():
    runs = pathlib.Path(__file__).with_name(".runs")
    count = int(runs.read_text()) + 1 if runs.exists() else 1
    runs.write_text(str(count))
    assert count % 2 == 0
"""


def commit(repo: Path, message: str, files: dict[str, str]) -> str:
    """Write `files` and commit them; returns the commit id."""
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """A project whose history holds a fix, a feature and five commits that are no task."""
    base = tmp_path_factory.mktemp("mine")
    repo = committed(
        base / "calc",
        {
            "calc.py": CALC,
            "tests/test_calc.py": CALC_TESTS,
            ".agent.toml": QUIET + "debug_rounds = 0\nmax_plans = 1\n" + FAST_PYTEST,
            "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
        },
    )
    ids = SimpleNamespace()
    commit(repo, "Explain usage", {"README.md": "Use add and mul.\n"})
    ids.fix = commit(
        repo,
        "Fix mul for negative numbers\n\nmul(-2, 3) gave 6.",
        {"calc.py": MUL_FIXED, "tests/test_calc.py": CALC_TESTS + NEGATIVE_TEST},
    )
    ids.feature = commit(
        repo, "Add clamp", {"calc.py": MUL_FIXED + CLAMP, "tests/test_clamp.py": CLAMP_TESTS}
    )
    commit(
        repo,
        "More add tests",
        {
            "tests/test_more.py": "from calc import add\n\n\n"
            "def test_add_zero():\n    assert add(0, 0) == 0\n"
        },
    )
    ids.passing = commit(
        repo,
        "Tidy add",
        {
            "calc.py": (repo / "calc.py").read_text().replace("a + b", "b + a"),
            "tests/test_more.py": (repo / "tests/test_more.py").read_text()
            + "\n\ndef test_add_order():\n    assert add(1, 2) == 3\n",
        },
    )
    ids.flaky = commit(
        repo,
        "Note on mul",
        {
            "calc.py": (repo / "calc.py").read_text() + "\n# mul is exact for ints\n",
            "tests/test_flaky.py": FLAKY_TESTS,
        },
    )
    out = base / "tasks.jsonl"
    tasks = mine_tasks(repo, TESTS, out, workers=2, timeout=120)
    return SimpleNamespace(
        base=base,
        repo=repo,
        ids=ids,
        out=out,
        tasks=tasks,
        state=[json.loads(line) for line in (base / "tasks.jsonl.state").read_text().splitlines()],
    )


def agent(*argv, cwd=None) -> subprocess.CompletedProcess:
    """The real CLI in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "agent", *map(str, argv)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_fix_and_a_feature_become_tasks_newest_first(history):
    tasks = history.tasks
    assert [t["instance_id"] for t in tasks] == [
        f"calc__{history.ids.feature[:12]}",
        f"calc__{history.ids.fix[:12]}",
    ]
    feature, fix = tasks
    assert fix["kind"] == "bug" and feature["kind"] == "feature"
    assert fix["FAIL_TO_PASS"] == ["tests/test_calc.py::test_mul_negative"]
    assert fix["PASS_TO_PASS"] == [
        "tests/test_calc.py::test_add",
        "tests/test_calc.py::test_mul_positive",
    ]
    # the test module could not even be imported before clamp existed: its tests fail there
    assert feature["FAIL_TO_PASS"] == [
        "tests/test_clamp.py::test_clamp_inside",
        "tests/test_clamp.py::test_clamp_low",
    ]
    assert fix["base_commit"] == git(history.repo, "rev-parse", f"{history.ids.fix}^").strip()
    assert "tests/" not in fix["patch"] and "calc.py" in fix["patch"]
    assert "test_mul_negative" in fix["test_patch"] and "a/calc.py" not in fix["test_patch"]
    assert fix["problem_statement"] == "Fix mul for negative numbers\n\nmul(-2, 3) gave 6."
    assert "calc.py: def clamp(value, low, high)" in feature["problem_statement"]
    assert "limited to the range [low, high]" in feature["problem_statement"]
    assert "max(low" not in feature["problem_statement"]  # the body is the answer


def test_commits_that_are_no_task_are_skipped_with_their_reason(history):
    reasons = {row["commit"]: row["reason"] for row in history.state}
    assert reasons[history.ids.passing] == "no test fails before and passes after"
    assert reasons[history.ids.flaky] == "only flaky tests changed outcome"
    # docs only and tests only are not even candidates
    assert len(reasons) == 4


def test_a_rerun_resumes_and_kind_filters(history):
    result = agent("bench", "mine", history.repo, "--tests", TESTS, "--out", history.out)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("recorded before") == 4
    assert "2 tasks from" in result.stderr
    bugs = history.base / "bugs.jsonl"
    result = agent(
        "bench",
        "mine",
        history.repo,
        "--tests",
        TESTS,
        "--out",
        bugs,
        "--kind",
        "bug",
        "--max",
        "1",
    )
    assert result.returncode == 0, result.stderr
    assert [t["kind"] for t in load_tasks(bugs)] == ["bug"]
    assert "a feature, not a bug" in result.stderr


def test_gold_resolves_every_task_and_empty_none(history):
    for flag, expected in (("--gold", True), ("--empty", False)):
        out = history.base / flag.strip("-")
        result = agent("bench", "run", history.out, flag, "--workers", "1", "--out", out)
        assert result.returncode == 0, result.stderr
        rows = read_rows(out)
        assert [r["resolved"] for r in rows] == [expected, expected], rows
        assert "kind feature" in result.stdout and "project calc" in result.stdout
        predictions = [json.loads(line) for line in (out / "predictions.jsonl").open()]
        assert {p["model_name_or_path"] for p in predictions} == {flag.strip("-")}
        assert bool(predictions[0]["model_patch"]) is expected


def test_the_agent_never_sees_the_hidden_tests_and_its_test_edits_are_put_back(history):
    fix = next(t for t in history.tasks if t["kind"] == "bug")
    script = [
        plan(),
        turn(
            "",
            ("edit_file", {"path": "calc.py", "old": "abs(a) * b", "new": "a * b"}),
            (
                "create_file",
                {
                    "path": "tests/test_calc.py",
                    "overwrite": True,
                    "content": "def test_nothing():\n    pass\n",
                },
            ),
        ),
        finish("mul keeps the sign of a"),
    ]
    model = ScriptedModel(script)
    out = history.base / "solved"
    settings = BenchSettings(model="scripted", sandbox="auto")
    [row] = run_bench([fix], out, settings, InlineExecutor(lambda task: model))
    assert row["resolved"], row
    assert row["reset_test_files"] == ["tests/test_calc.py"]
    sent = json.dumps([request.messages for request in model.requests], default=str)
    assert "test_mul_negative" not in sent


def test_swebench_instances_read_and_predictions_validate(history, tmp_path):
    instances = tmp_path / "instances.jsonl"
    rows = []
    for task in history.tasks:
        row = as_swebench({**task, "repo": "acme/calc"})
        assert isinstance(row["FAIL_TO_PASS"], str)  # JSON-encoded, as SWE-bench holds it
        rows.append({k: v for k, v in row.items() if k not in ("repo_path", "test_command")})
    instances.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert [t["FAIL_TO_PASS"] for t in load_tasks(instances)] == [
        t["FAIL_TO_PASS"] for t in history.tasks
    ]
    repos = tmp_path / "repos"
    shutil.copytree(history.repo, repos / "acme__calc", symlinks=True)
    out = tmp_path / "run"
    result = agent(
        "bench", "run", instances, "--gold", "--repos", repos, "--out", out, "--workers", "1"
    )
    assert result.returncode == 0, result.stderr
    assert all(r["resolved"] for r in read_rows(out))
    predictions = [json.loads(line) for line in (out / "predictions.jsonl").open()]
    assert all(set(p) == {"instance_id", "model_name_or_path", "model_patch"} for p in predictions)
    for prediction in predictions:  # the official harness applies it with `git apply`
        task = next(t for t in history.tasks if t["instance_id"] == prediction["instance_id"])
        work = tmp_path / "apply" / task["instance_id"]
        git(tmp_path, "clone", "-q", str(history.repo), str(work))
        git(work, "checkout", "-q", task["base_commit"])
        subprocess.run(
            ["git", "apply", "--check", "-"],
            cwd=work,
            check=True,
            input=prediction["model_patch"],
            text=True,
        )


def test_predictions_load_with_swebench_itself(history, tmp_path):
    """SWE-bench's own loaders read the instances and the predictions we write."""
    import swebench.harness.utils as swebench

    instances, out = tmp_path / "instances.jsonl", tmp_path / "run"
    instances.write_text("".join(json.dumps(as_swebench(t)) + "\n" for t in history.tasks))
    result = agent("bench", "run", instances, "--empty", "--out", out, "--workers", "1")
    assert result.returncode == 0, result.stderr
    loaded = swebench.get_predictions_from_file(
        str(out / "predictions.jsonl"), str(instances), "test"
    )
    assert {p["instance_id"] for p in loaded} == {t["instance_id"] for t in history.tasks}
    dataset = swebench.load_swebench_dataset(str(instances), "test")
    assert json.loads(dataset[0]["FAIL_TO_PASS"]) == history.tasks[0]["FAIL_TO_PASS"]


def test_since_and_grep_choose_the_commits(history):
    from agent.bench.mine import candidates

    assert [c.commit for c in candidates(history.repo, grep="^fix")] == [history.ids.fix]
    after_feature = [c.commit for c in candidates(history.repo, since=history.ids.feature)]
    assert after_feature == [history.ids.flaky, history.ids.passing]


def test_bad_input_is_one_line_and_nothing_is_written(history, tmp_path):
    out = tmp_path / "t.jsonl"
    for argv, message in (
        ((history.repo, "--tests", TESTS, "--kind", "typo"), "--kind must be one of"),
        ((tmp_path, "--tests", TESTS), "is not the top of a git repository"),
        ((history.repo, "--tests", "make test"), "runs pytest test commands only"),
    ):
        result = agent("bench", "mine", *argv, "--out", out)
        assert result.returncode != 0 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert not out.exists()
