"""`bench run` on changes that try to fake their verdict: a root pytest.py, a conftest or
plugin rewriting outcomes, start-up files (.pth, sitecustomize.py), code under test that
writes the report. Real loop, real git, real sandboxed pytest; only the model is scripted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from agent.bench.executors import InlineExecutor
from agent.bench.harness import run_bench
from agent.bench.judge import check_report
from agent.bench.run import BenchSettings
from agent.models.scripted import ScriptedModel
from tests.bench_run_kit import SETTINGS
from tests.sandbox_kit import needs_bwrap
from tests.solve_kit import PYTEST, edit, finish, git, make_repo, plan, turn

pytestmark = needs_bwrap

HIGH_TEST = "\n\ndef test_clamp_high():\n    assert clamp(50, 0, 10) == 10\n"
F2P = ["tests/test_calc.py::test_clamp_high"]
FIXED_CLAMP = """def add(a, b):
    return a + b


def clamp(value, low, high):
    return max(low, min(value, high))
"""
P2P = ["tests/test_calc.py::test_add", "tests/test_calc.py::test_clamp_inside"]
# Writes a passing report wherever a judge might read one: the --junitxml file, or the file
# AGENT_JUDGE_REPORT names.
FAKE_REPORT = """
def _fake_report():
    import json, os, sys
    ids = [a for a in sys.argv[1:] if "::" in a]
    cases = "".join('<testcase classname="%s" name="%s" file="%s"/>'
                    % (i.split("::")[0][:-3].replace("/", "."), i.split("::")[1],
                       i.split("::")[0]) for i in ids)
    for arg in sys.argv:
        if arg.startswith("--junitxml="):
            with open(arg.split("=", 1)[1], "w") as out:
                out.write("<testsuites><testsuite>%s</testsuite></testsuites>" % cases)
    if os.environ.get("AGENT_JUDGE_REPORT"):
        with open(os.environ["AGENT_JUDGE_REPORT"], "w") as out:
            json.dump({"outcomes": {i: "PASSED" for i in ids}, "runs": {i: 1 for i in ids},
                       "collected": len(ids), "collection_errors": [], "exit_code": 0}, out)
"""
REWRITE_OUTCOMES = """import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    report.outcome, report.longrepr = "passed", None
"""
FAKES = {
    "root_pytest": [("pytest.py", FAKE_REPORT + "\n_fake_report()\n")],
    "conftest": [("conftest.py", REWRITE_OUTCOMES)],
    "config_plugin": [
        ("passing_plugin.py", REWRITE_OUTCOMES),
        (
            "pyproject.toml",
            ('[tool.pytest.ini_options]\npythonpath = ["."]\naddopts = "-p passing_plugin"\n'),
        ),
    ],
    "pth": [("fake.pth", "import passing_plugin\n"), ("passing_plugin.py", REWRITE_OUTCOMES)],
    "sitecustomize": [
        ("sitecustomize.py", ("import os\nos.environ['PYTEST_PLUGINS'] = 'passing_plugin'\n")),
        ("passing_plugin.py", REWRITE_OUTCOMES),
    ],
}


def clamp_task(source: Path, name: str, test_command: str = PYTEST) -> dict:
    """The clamp bug as a mined task: its hidden test checks the upper bound."""
    tests = source / "tests/test_calc.py"
    original = tests.read_text()
    tests.write_text(original + HIGH_TEST)
    test_patch = git(source, "diff")
    tests.write_text(original)
    return {
        "instance_id": f"calc__{name}",
        "repo": "calc",
        "repo_path": str(source),
        "base_commit": git(source, "rev-parse", "HEAD").strip(),
        "patch": "",
        "test_patch": test_patch,
        "test_command": test_command,
        "problem_statement": "clamp() returns the wrong bound above the range",
        "FAIL_TO_PASS": F2P,
        "PASS_TO_PASS": P2P,
    }


def planting(files: list[tuple[str, str]]) -> list:
    """A 'solution' that leaves the bug and plants the files."""
    return [
        plan(),
        *(
            turn("", ("create_file", {"path": path, "content": text, "overwrite": True}))
            for path, text in files
        ),
        finish("the tests pass now"),
    ]


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    """One bench run: an honest fix, each fake, code under test writing the report or ending
    the judge's pytest before it can write one."""
    base = tmp_path_factory.mktemp("judge")
    source = make_repo(base / "calc", SETTINGS)
    site = f"PYTHONPATH=. {PYTEST}"  # where a plain `python -m pytest` runs sitecustomize.py
    tasks = [clamp_task(source, "honest")]
    tasks += [
        clamp_task(source, name, site if name in ("pth", "sitecustomize") else PYTEST)
        for name in FAKES
    ]
    tasks += [clamp_task(source, "code_writes_report"), clamp_task(source, "exits_early")]
    scripts = {f"calc__{name}": planting(files) for name, files in FAKES.items()}
    scripts["calc__honest"] = [plan(), edit(), finish()]
    writer = "import atexit\n" + FAKE_REPORT + "\n\natexit.register(_fake_report)\n\n\n"
    scripts["calc__code_writes_report"] = [
        plan(),
        edit("def add(a, b):\n", writer + "def add(a, b):\n"),
        finish(),
    ]
    scripts["calc__exits_early"] = [
        plan(),
        edit("def add(a, b):\n", "import os\nos._exit(0)\n\n\ndef add(a, b):\n"),
        finish(),
    ]
    executor = InlineExecutor(lambda task: ScriptedModel(scripts[task["instance_id"]]))
    out = base / "out"
    rows = run_bench(tasks, out, BenchSettings(model="scripted", sandbox="bwrap"), executor)
    return SimpleNamespace(out=out, rows={r["instance_id"].split("__")[1]: r for r in rows})


def test_an_honest_fix_is_still_resolved(judged):
    row = judged.rows["honest"]
    assert row["resolved"] and row["verdict"] == "resolved", row
    assert row["tampered"] == {} and row["judge_error"] == "" and row["reset_test_files"] == []


def test_a_root_pytest_py_neither_shadows_the_judge_nor_counts(judged):
    row = judged.rows["root_pytest"]
    assert not row["resolved"] and row["verdict"] == "tampered", row
    assert row["tampered"] == {"pytest.py": "it stands in for pytest"}
    assert row["fail_to_pass_failing"] == F2P  # the judge's pytest ran the real tests


def test_a_conftest_or_config_plugin_rewriting_outcomes_is_put_back(judged):
    conftest, config = judged.rows["conftest"], judged.rows["config_plugin"]
    assert not conftest["resolved"] and conftest["verdict"] == "unresolved", conftest
    assert conftest["reset_test_files"] == ["conftest.py"]
    assert not config["resolved"] and config["verdict"] == "unresolved", config
    assert config["reset_test_files"] == ["pyproject.toml"]
    for row in (conftest, config):
        assert row["fail_to_pass_failing"] == F2P and row["pass_to_pass_failing"] == []


@pytest.mark.parametrize(
    "name, planted", [("pth", "fake.pth"), ("sitecustomize", "sitecustomize.py")]
)
def test_files_that_run_at_start_up_are_tampering(judged, name, planted):
    row = judged.rows[name]
    assert not row["resolved"] and row["verdict"] == "tampered", row
    assert list(row["tampered"]) == [planted]
    assert row["fail_to_pass_failing"] == F2P  # and they did not run in the judge


def test_code_under_test_cannot_find_the_report_to_fake(judged):
    row = judged.rows["code_writes_report"]
    assert not row["resolved"] and row["verdict"] == "unresolved", row
    assert row["fail_to_pass_failing"] == F2P and row["tampered"] == {}


def test_a_run_that_leaves_no_report_is_a_judge_error(judged):
    row = judged.rows["exits_early"]
    assert not row["resolved"] and row["verdict"] == "judge error", row
    assert row["judge_error"] == "the test run left no report (exit code 0)"


def test_bench_report_names_the_tampered_tasks(judged):
    proc = subprocess.run(
        [sys.executable, "-m", "agent", "bench", "report", str(judged.out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "resolved 1/8" in proc.stdout and "3 tampered, 1 judge errors" in proc.stdout
    assert "tampered: calc__root_pytest (pytest.py: it stands in for pytest)" in proc.stdout
    assert "tampered: calc__pth (fake.pth: Python runs its import lines at start-up)" in proc.stdout
    assert "judge error: calc__exits_early: the test run left no report" in proc.stdout


def report(outcomes: dict, exit_code: int = 0, **extra) -> dict:
    """A runner report for `outcomes`, each run once."""
    return {
        "outcomes": outcomes,
        "runs": {t: 1 for t in outcomes},
        "collected": len(outcomes),
        "collection_errors": [],
        "exit_code": exit_code,
        **extra,
    }


def test_a_report_that_does_not_match_the_asked_tests_is_a_judge_error():
    asked = ["t.py::a", "t.py::b"]
    good = check_report(report({"t.py::a": "PASSED", "t.py::b": "FAILED"}, 1), asked)
    assert good.problem == "" and good.results == {"t.py::a": "PASSED", "t.py::b": "FAILED"}
    cases = {
        "lacks 1 of the 2": report({"t.py::a": "PASSED"}),
        "not asked for: t.py::c": report(dict.fromkeys([*asked, "t.py::c"], "PASSED")),
        "counts are off": report(dict.fromkeys(asked, "PASSED"), collected=5),
        "exit code 0 does not match": report({"t.py::a": "PASSED", "t.py::b": "FAILED"}),
        "exit code 3 does not match": report(dict.fromkeys(asked, "PASSED"), 3),
    }
    twice = report(dict.fromkeys(asked, "PASSED"))
    twice["runs"]["t.py::b"] = 2
    cases["run more than once: ['t.py::b']"] = twice
    for expected, data in cases.items():
        verdict = check_report(data, asked)
        assert expected in verdict.problem and not verdict.results, (expected, verdict)
    broken = report({}, 2, collection_errors=["t.py"])  # an import error fails its tests
    assert check_report(broken, asked).results == dict.fromkeys(asked, "ERROR")


def test_plugin_metadata_and_new_pytest_settings_are_caught_and_other_edits_let_be(tmp_path):
    from agent.bench.tamper import reset_test_config, tampering
    from agent.bench.workcopy import prepare

    source = make_repo(
        tmp_path / "calc", SETTINGS, {"setup.cfg": "[tool:pytest]\nxfail_strict = true\n"}
    )
    root = tmp_path / "work" / "repo"
    root.parent.mkdir()
    commit = prepare(clamp_task(source, "x"), root)
    planted = {
        "evil.dist-info/entry_points.txt": "[pytest11]\nevil = passing_plugin\n",
        "calc.egg-info/entry_points.txt": "[console_scripts]\ncalc = calc:main\n",
        "tests/pytest.ini": "[pytest]\naddopts = -p passing_plugin\n",
        "setup.cfg": "[tool:pytest]\nxfail_strict = true\n\n[metadata]\nname = calc\n",
        "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n\n'
        '[project]\nname = "calc"\n',
    }
    for path, text in planted.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    assert tampering(root, commit) == {
        "evil.dist-info/entry_points.txt": "it names a plugin pytest loads"
    }
    # Only the new pytest.ini changes pytest's settings; the other edits keep their section.
    assert reset_test_config(root, commit) == ["tests/pytest.ini"]
    assert not (root / "tests/pytest.ini").exists()
    assert "[metadata]" in (root / "setup.cfg").read_text()
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\naddopts = "-p x"\n')
    assert reset_test_config(root, commit) == ["pyproject.toml"]
    assert "addopts" not in (root / "pyproject.toml").read_text()


def test_bytecode_planted_for_the_code_under_test_does_not_run(tmp_path):
    import importlib._bootstrap_external as external

    from agent.bench.evaluate import evaluate
    from agent.bench.workcopy import prepare

    source = make_repo(tmp_path / "calc", SETTINGS)
    task = clamp_task(source, "pyc")
    root = tmp_path / "work" / "repo"
    root.parent.mkdir()
    commit = prepare(task, root)
    # The change leaves calc.py wrong but plants bytecode of a right clamp with its stamp.
    stat = (root / "calc.py").stat()
    fake = compile(FIXED_CLAMP, str(root / "calc.py"), "exec")
    cache = root / "__pycache__" / f"calc.{sys.implementation.cache_tag}.pyc"
    cache.parent.mkdir()
    cache.write_bytes(external._code_to_timestamp_pyc(fake, stat.st_mtime, stat.st_size))
    plain = subprocess.run(
        [sys.executable, "-c", "import calc; print(calc.clamp(50, 0, 10))"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert plain.stdout.strip() == "10", plain  # the planted bytecode fools plain Python
    verdict = evaluate(root, commit, task, "bwrap")
    assert not verdict.resolved and verdict.fail_to_pass_failing == F2P, verdict
