"""A failing assert in a test helper module shows both values through run_tests (real
bubblewrap sandbox, real pytest), and the plugin that makes it so changes nothing else."""

from __future__ import annotations

import sys

from agent.debug.coverage_map import PytestCommand
from agent.debug.trace_run import trace_tests
from agent.tools.helper_asserts import PLUGIN, with_helper_asserts
from agent.tools.run import run_tests_structured
from tests.solve_kit import PYTEST
from tests.test_tools_helpers import call, make_ctx, make_repo

PYTHON = sys.executable
QUIET = "PYTEST_DISABLE_PLUGIN_AUTOLOAD=1"
HELPER = "def check(a, b):\n    assert a == b\n"
TESTS = (
    "def test_differs():\n    check('abc', 'abd')\n\n\ndef test_same():\n    check('abc', 'abc')\n"
)


def _run(tmp_path, files: dict[str, str], command: str = f"{QUIET} {PYTHON} -m pytest -q"):
    ctx = make_ctx(make_repo(tmp_path / "r", files), test_command=command)
    text = call(ctx, "run_tests", target="").content
    return text, run_tests_structured(ctx, "")


def _shows_both_values(text: str) -> None:
    assert "assert 'abc' == 'abd'" in text
    assert "- abd" in text and "+ abc" in text  # pytest's diff of the two


def test_a_helper_beside_the_tests_in_a_plain_folder(tmp_path):
    text, run = _run(
        tmp_path,
        {"tests/common.py": HELPER, "tests/test_x.py": "from common import check\n\n\n" + TESTS},
    )
    _shows_both_values(text)
    assert (run.passed, run.failed) == (1, 1)


def test_a_helper_in_a_test_package(tmp_path):
    files = {
        "test/__init__.py": "",
        "test/common.py": HELPER,
        "test/test_x.py": "from test.common import check\n\n\n" + TESTS,
    }
    text, run = _run(tmp_path, files)
    _shows_both_values(text)
    assert (run.passed, run.failed) == (1, 1)


def test_a_pythonpath_set_in_the_command_still_finds_the_plugin(tmp_path):
    files = {
        "src/lib.py": "VALUE = 'abd'\n",
        "tests/helpers.py": HELPER,
        "tests/test_x.py": "from helpers import check\nfrom lib import VALUE\n\n\n"
        "def test_differs():\n    check('abc', VALUE)\n",
    }
    text, _ = _run(tmp_path, files, f"{QUIET} PYTHONPATH=src {PYTHON} -m pytest")
    _shows_both_values(text)


def test_a_helper_the_project_imported_first_is_left_alone_without_a_warning(tmp_path):
    files = {
        # The project's own plugin imports the helper before pytest loads ours.
        "pytest.ini": "[pytest]\npythonpath = tests\naddopts = -p plugin\n",
        "tests/plugin.py": "import common  # noqa: F401\n",
        "tests/common.py": HELPER,
        "tests/test_x.py": "from common import check\n\n\n" + TESTS,
    }
    text, run = _run(tmp_path, files)
    assert (run.passed, run.failed) == (1, 1)
    assert "already imported" not in run.output and "already imported" not in text


def test_the_plugin_is_loaded_only_where_pythonpath_reaches_pytest():
    loaded, env = with_helper_asserts("PYTHONPATH=src python -m pytest -q", {"A": "1"})
    assert loaded.endswith(f"-p {PLUGIN}") and loaded.startswith("PYTHONPATH=")
    assert env is not None and env["A"] == "1" and env["PYTHONPATH"].endswith("pytest_plugin")
    for command in ("tox -e py --", "make test", "python -I -m pytest", "cd x && pytest"):
        assert with_helper_asserts(command, None) == (command, None)


def test_the_debug_phase_trace_of_a_failing_helper_shows_both_values(tmp_path):
    repo = make_repo(
        tmp_path / "r",
        {"tests/common.py": HELPER, "tests/test_x.py": "from common import check\n\n\n" + TESTS},
    )
    (trace,) = trace_tests(repo, ["tests/test_x.py::test_differs"], PytestCommand.parse(PYTEST))
    assert trace["outcome"] == "failed"
    assert "assert 'abc' == 'abd'" in trace["failure"]["message"]
