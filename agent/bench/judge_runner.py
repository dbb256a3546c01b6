"""`python -P judge_runner.py PYTEST_ARGS...`: the bench judge's pytest run, in the sandbox.

It is started by absolute path with -P, so neither the working directory nor this file's
folder is on sys.path while pytest is imported: a `pytest.py` or `_pytest/` that the change
added cannot stand in for it. The working directory and the task's PYTHONPATH (passed as
AGENT_JUDGE_PYTHONPATH, so that no `sitecustomize.py` there runs at start-up) go on sys.path
afterwards, where `python -m pytest` would have them. Each test's outcome is written as JSON
to the file AGENT_JUDGE_REPORT names, outside the workspace; the file is opened and the
variable removed before any code of the project runs.

This file imports nothing but the standard library and pytest: the agent's own package is
not on sys.path here.
"""

from __future__ import annotations

import json
import os
import sys


class Recorder:
    """A pytest plugin keeping each test's outcome, the collection errors and the counts."""

    def __init__(self) -> None:
        self.outcomes: dict[str, str] = {}
        self.runs: dict[str, int] = {}
        self.collection_errors: list[str] = []
        self.collected = 0
        self.prefix = ""

    def pytest_sessionstart(self, session) -> None:
        """Node ids are relative to pytest's rootdir; the judge's are relative to the cwd."""
        relative = os.path.relpath(str(session.config.rootpath), os.getcwd())
        self.prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"

    def pytest_collectreport(self, report) -> None:
        """Remember what could not be collected (an import error in a test file)."""
        if report.failed:
            self.collection_errors.append(self.prefix + report.nodeid)

    def pytest_collection_finish(self, session) -> None:
        """How many tests pytest is about to run."""
        self.collected = len(session.items)

    def pytest_runtest_logreport(self, report) -> None:
        """Fold one phase's report into its test's outcome."""
        test_id = self.prefix + report.nodeid
        subtest = type(report).__name__ == "SubtestReport"
        xfail = hasattr(report, "wasxfail")
        if report.when == "call" or (report.when == "setup" and not report.passed):
            if not subtest:
                self.runs[test_id] = self.runs.get(test_id, 0) + 1
            if report.passed:
                outcome = "XPASS" if xfail else "PASSED"
            elif report.skipped:
                outcome = "XFAIL" if xfail else "SKIPPED"
            else:
                outcome = "FAILED" if report.when == "call" else "ERROR"
            if not (subtest and report.passed) and self.outcomes.get(test_id) != "FAILED":
                self.outcomes[test_id] = outcome
        elif report.failed:  # teardown
            self.outcomes[test_id] = "ERROR"

    def report(self, exit_code: int) -> dict:
        """The JSON the judge reads."""
        return {
            "outcomes": self.outcomes,
            "runs": self.runs,
            "collected": self.collected,
            "collection_errors": self.collection_errors,
            "exit_code": exit_code,
        }


def main(args: list[str]) -> int:
    """Run pytest on `args` with the recorder; write its report; return pytest's exit code."""
    report_path = os.environ.pop("AGENT_JUDGE_REPORT")
    extra = os.environ.pop("AGENT_JUDGE_PYTHONPATH", "")
    handle = os.open(report_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    sys.dont_write_bytecode = True
    import pytest

    entries = [os.getcwd(), *(os.path.abspath(p) for p in extra.split(os.pathsep) if p)]
    sys.path[0:0] = entries
    if extra:
        os.environ["PYTHONPATH"] = extra  # for the tests' own child processes
    recorder = Recorder()
    code = int(pytest.main(args, plugins=[recorder]))
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(recorder.report(code), out)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
