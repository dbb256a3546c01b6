"""run_command and run_tests through the real bubblewrap sandbox, parsing real pytest output."""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor

from agent.sandbox import Policy, create_sandbox
from agent.tools import ToolContext
from agent.tools.run import run_tests_structured
from tests.test_tools_helpers import call, make_ctx, make_repo

PROJECT = {
    "calc.py": "def add(a, b):\n    return a + b\n",
    "tests/test_ok.py": (
        "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\n"
        "def test_add_zero():\n    assert add(0, 0) == 0\n"
    ),
    "tests/test_bad.py": (
        "import pytest\nfrom calc import add\n\n\n"
        "def test_wrong():\n    expected = 5\n    assert add(2, 2) == expected\n\n\n"
        "@pytest.fixture\ndef broken():\n    raise RuntimeError('fixture exploded')\n\n\n"
        "def test_uses_broken(broken):\n    assert broken\n\n\n"
        "class TestGroup:\n    def test_inner(self):\n        print('noise')\n"
        "        assert add(1, 1) == 3\n"
    ),
    "tests/test_syntax.py": "def test_x(:\n    pass\n",
    "tests/test_import.py": "import no_such_module\n\n\ndef test_y():\n    pass\n",
}


def _ctx(tmp_path):
    # The sandbox scrubs the environment: run this interpreter by its full path.
    # Plugin autoload off: third-party plugins installed here only slow each run down.
    command = f"PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {sys.executable} -m pytest -q"
    return make_ctx(make_repo(tmp_path, PROJECT), test_command=command)


def test_passing_tests(tmp_path):
    ctx = _ctx(tmp_path)
    text = call(ctx, "run_tests", target="tests/test_ok.py").content
    assert text.startswith("Tests: 2 passed (")
    assert "\n" not in text  # a passing run is its counts: nothing to look into
    command = run_tests_structured(ctx, "tests/test_ok.py").command
    assert "-rfE --tb=short" in command and command.endswith("tests/test_ok.py")


def test_failures_and_errors_with_short_tracebacks(tmp_path):
    ctx = _ctx(tmp_path)
    run = run_tests_structured(ctx, "tests/test_bad.py")
    assert (run.passed, run.failed, run.errors, run.exit_code) == (0, 2, 1, 1)
    by_id = {f.test_id: f for f in run.failures}
    wrong = by_id["tests/test_bad.py::test_wrong"]
    assert wrong.kind == "failed" and "assert 4 == 5" in wrong.message
    assert (
        "assert add(2, 2) == expected" in wrong.traceback and "E   assert 4 == 5" in wrong.traceback
    )
    inner = by_id["tests/test_bad.py::TestGroup::test_inner"]
    assert "assert add(1, 1) == 3" in inner.traceback and "noise" not in inner.traceback
    broken = by_id["tests/test_bad.py::test_uses_broken"]
    assert broken.kind == "error" and "fixture exploded" in broken.traceback
    text = run.render()
    assert text.splitlines()[0].startswith("Tests: 0 passed, 2 failed, 1 error (exit 1,")
    assert "FAILED tests/test_bad.py::test_wrong - assert 4 == 5" in text
    assert "ERROR tests/test_bad.py::test_uses_broken" in text


def test_collection_errors(tmp_path):
    ctx = _ctx(tmp_path)
    run = run_tests_structured(ctx, "tests/test_syntax.py tests/test_import.py")
    assert (run.passed, run.failed, run.errors, run.exit_code) == (0, 0, 2, 2)
    assert run.source == "report" and all(f.collection for f in run.failures)
    assert "COLLECTION ERROR in tests/test_syntax.py" in run.render()
    by_id = {f.test_id: f for f in run.failures}
    assert set(by_id) == {"tests/test_syntax.py", "tests/test_import.py"}
    assert "SyntaxError" in by_id["tests/test_syntax.py"].traceback
    assert "No module named 'no_such_module'" in by_id["tests/test_import.py"].traceback


def test_unknown_target_and_bad_command(tmp_path):
    ctx = _ctx(tmp_path)
    missing = run_tests_structured(ctx, "tests/test_ok.py::test_nothing_here")
    assert missing.exit_code == 4 and missing.passed == 0
    nearest = missing.missing["tests/test_ok.py::test_nothing_here"]
    assert {"tests/test_ok.py::test_add", "tests/test_ok.py::test_add_zero"} <= set(nearest)
    ctx.test_command = "false"
    odd = call(ctx, "run_tests").content
    assert odd.startswith("Test command FAILED (exit 1, ") and odd.endswith(
        "no per-test report for this command): false"
    )


def test_run_command_in_the_sandbox(tmp_path):
    ctx = _ctx(tmp_path)
    result = call(ctx, "run_command", command="echo out; echo err >&2; exit 3").content
    assert result.splitlines()[:2] == ["$ echo out; echo err >&2; exit 3", result.splitlines()[1]]
    assert result.splitlines()[1].startswith("exit code 3 (")
    assert "--- stdout ---\nout\n--- stderr ---\nerr" in result
    call(ctx, "run_command", command="touch made.txt; mkdir __pycache__; touch __pycache__/c.pyc")
    assert (tmp_path / "made.txt").exists() and (tmp_path / "__pycache__/c.pyc").exists()
    assert ctx.take_changed_files() == ["made.txt"]  # bytecode caches are not edits
    slow = call(ctx, "run_command", command="sleep 5", timeout=1).content
    assert "timed out after 1s and was killed" in slow


def test_run_command_cannot_reach_the_network(tmp_path):
    ctx = _ctx(tmp_path)
    script = (
        "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 53), timeout=2)\n"
        "    print('connected')\nexcept OSError as e:\n    print('no network', e)\n"
    )
    result = call(ctx, "run_command", command=f'{sys.executable} -c "{script}"').content
    assert "no network" in result


def test_a_target_replaces_the_test_paths_of_the_project_command(tmp_path):
    command = f"PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {sys.executable} -m pytest -q tests"
    ctx = make_ctx(make_repo(tmp_path, PROJECT), test_command=command)
    run = run_tests_structured(ctx, "tests/test_ok.py::test_add")
    assert (run.passed, run.failed, run.errors) == (1, 0, 0)  # not the whole tests/ folder
    assert run.command.endswith(" tests/test_ok.py::test_add")


def test_a_command_beside_a_test_run_cannot_reach_its_report(tmp_path):
    # The scratch folder is every command's to write; the report is the run's alone, so a
    # command running beside the baseline cannot rewrite its verdicts.
    scratch = tmp_path / "cache" / "sid"
    scratch.mkdir(parents=True)
    slow = {"tests/test_slow.py": "import time\n\n\ndef test_slow():\n    time.sleep(2)\n"}
    root = make_repo(tmp_path / "repo", slow)
    box = create_sandbox(Policy(workspace=root, writable=(scratch,)), "bwrap")
    command = f"PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {sys.executable} -m pytest -q"
    ctx = ToolContext(root, box, test_command=command, scratch=scratch)
    runs = tmp_path / "cache" / "sid.runs"
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(run_tests_structured, ctx, "tests/test_slow.py")
        deadline = time.monotonic() + 30
        while not list(runs.glob("run-*")) and time.monotonic() < deadline:
            time.sleep(0.02)
        (folder,) = runs.glob("run-*")  # the run's own folder, beside the scratch folder
        hostile = box.run(
            ["bash", "-c", f'ls -A "{scratch}"; echo forged > "{folder}/report.xml"'],
            cwd=root,
        )
        run = running.result()
    assert hostile.stdout == ""  # nothing of the run in the scratch folder
    assert hostile.exit_code != 0 and "No such file or directory" in hostile.stderr
    assert run.source == "report" and run.passed == 1  # its own report, read after the run
    assert list(runs.iterdir()) == []  # and removed
