"""Test verdicts read from pytest's JUnit XML through the real sandbox: subtests, missing ids,
timeouts, crashes, and the console fallback when no report is written."""

from __future__ import annotations

import sys

from agent.tools.run import run_tests_structured
from tests.test_tools_helpers import call, make_ctx, make_repo

SUBTESTS = """import unittest


class TestParity(unittest.TestCase):
    def test_even(self):
        for i in range(3):
            with self.subTest(i=i):
                self.assertEqual(i % 2, 0, f"odd {i}")


def test_fixture(subtests):
    for i in range(3):
        with subtests.test(msg="small", i=i):
            assert i < 1, f"too big {i}"


def test_fine():
    pass
"""
OTHER = {
    "tests/test_more.py": (
        "def test_alpha():\n    pass\n\n\ndef test_beta():\n    assert 0, 'beta broke'\n"
    ),
    "tests/test_slow.py": "import time\n\n\ndef test_sleeps():\n    time.sleep(30)\n",
    "tests/test_crash.py": "import os\n\n\ndef test_dies():\n    os._exit(3)\n",
}


def _ctx(tmp_path, files):
    command = f"PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {sys.executable} -m pytest -q"
    return make_ctx(make_repo(tmp_path, files), test_command=command)


def test_each_failing_subtest_is_named_with_its_message(tmp_path):
    ctx = _ctx(tmp_path, {"tests/test_sub.py": SUBTESTS})
    run = run_tests_structured(ctx, "tests/test_sub.py")
    assert run.source == "report"
    by_id = {case.test_id: case for case in run.cases}
    even = by_id["tests/test_sub.py::TestParity::test_even"]
    assert even.outcome == "failed"  # pytest itself counts this parent as passed
    assert [(s.label, s.message) for s in even.subtests] == [
        ("(i=1)", "AssertionError: 1 != 0 : odd 1")
    ]
    fixture = by_id["tests/test_sub.py::test_fixture"]
    assert [(s.label, s.message) for s in fixture.subtests] == [
        ("[small] (i=1)", "AssertionError: too big 1"),
        ("[small] (i=2)", "AssertionError: too big 2"),
    ]
    assert by_id["tests/test_sub.py::test_fine"].outcome == "passed"
    text = run.render()
    assert text.startswith("Tests: 1 passed, 2 failed (exit 1,")
    assert "SUBTEST (i=1) FAILED - AssertionError: 1 != 0 : odd 1" in text
    assert "SUBTEST [small] (i=2) FAILED - AssertionError: too big 2" in text
    assert not list(tmp_path.glob(".agent-report-*")), "the report file is left behind"
    from agent.hooks.failures import failure_lines

    hook_lines = failure_lines(run, str(tmp_path))
    assert (
        "tests/test_sub.py:8: SUBTEST (i=1) of tests/test_sub.py::TestParity::test_even: "
        "AssertionError: 1 != 0 : odd 1"
    ) in hook_lines


def test_a_missing_id_is_no_such_test_and_the_others_still_run(tmp_path):
    ctx = _ctx(tmp_path, OTHER)
    run = run_tests_structured(ctx, "tests/test_more.py::test_alpah tests/test_more.py::test_beta")
    assert [c.test_id for c in run.failures] == ["tests/test_more.py::test_beta"]
    assert run.missing["tests/test_more.py::test_alpah"][0] == "tests/test_more.py::test_alpha"
    text = run.render()
    assert "NO SUCH TEST tests/test_more.py::test_alpah" in text
    assert "nearest existing: tests/test_more.py::test_alpha" in text
    assert "FAILED tests/test_more.py::test_beta - AssertionError: beta broke" in text
    only_missing = run_tests_structured(ctx, "tests/test_more.py::test_gamma")
    assert only_missing.ok and only_missing.only_missing and not only_missing.failures


def test_a_timeout_is_named_as_such(tmp_path):
    ctx = _ctx(tmp_path, OTHER)
    run = run_tests_structured(ctx, "tests/test_slow.py", timeout=3)
    assert run.timed_out and not run.ok
    assert run.render().startswith("Tests TIMED OUT after")


def test_a_crash_writes_no_report_and_is_named_a_crash(tmp_path):
    ctx = _ctx(tmp_path, OTHER)
    run = run_tests_structured(ctx, "tests/test_crash.py")
    assert run.source == "exit code" and run.crashed and not run.ok
    assert "The test run CRASHED (exit 3) before the runner wrote its report" in run.render()


def test_a_broken_conftest_falls_back_to_the_console(tmp_path):
    ctx = _ctx(tmp_path, {"tests/conftest.py": "import no_such_plugin_module\n", **OTHER})
    run = run_tests_structured(ctx, "tests/test_more.py")
    assert run.source != "report" and not run.ok and run.crashed
    text = call(ctx, "run_tests", target="tests/test_more.py").content
    assert "CRASHED (exit 4)" in text and "No module named 'no_such_plugin_module'" in text


def test_the_console_is_read_when_no_report_is_left(tmp_path):
    gone = "import os\n\n\ndef pytest_unconfigure(config):\n    os.unlink(config.option.xmlpath)\n"
    ctx = _ctx(tmp_path, {"tests/conftest.py": gone, **OTHER})
    run = run_tests_structured(ctx, "tests/test_more.py")
    assert run.source == "console" and (run.passed, run.failed) == (1, 1) and not run.ok
    assert [c.test_id for c in run.failures] == ["tests/test_more.py::test_beta"]
    assert "read from the console" in run.render()
