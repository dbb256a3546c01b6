"""Reading the JavaScript runners' reports into `TestCase`s: the JSON of jest and vitest
(one shape for both), and the JSON lines of our reporter for Node's built-in runner.

Test ids are `FILE::NAME`: the test file relative to the root, then the titles of the
enclosing `describe` blocks and the test's own, joined by " > " (`test/calc.test.js::clamp >
above`). A subtest of Node's `t.test` is a subtest of its test. A file that fails to load is a
collection error whose id is the file. Reports are hostile input: only their shape is trusted.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from agent.tools.junit import MAX_MESSAGE_CHARS, MAX_TRACEBACK_LINES, ReportUnreadable
from agent.tools.testrun import SubtestFailure, TestCase

SEPARATOR = " > "
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_INTERNAL_FRAME = re.compile(r"^\s*at .*(?:\(node:|^\s*at node:|/node_modules/)")
_JEST_OUTCOMES = {
    "passed": "passed",
    "failed": "failed",
    "pending": "skipped",
    "skipped": "skipped",
    "todo": "skipped",
    "disabled": "skipped",
}


def test_id(root: Path, file: str, titles: list[str]) -> str:
    """`FILE::A > B`, the file relative to `root` when it lies inside it."""
    return f"{relative(root, file)}::{SEPARATOR.join(titles)}"


def relative(root: Path, file: str) -> str:
    """`file` relative to `root` (as the runner's absolute path or a file:// URL gave it)."""
    path = file.removeprefix("file://")
    if os.path.isabs(path):
        try:
            return Path(path).relative_to(root).as_posix()
        except ValueError:
            return path
    return Path(path).as_posix()


def jest_cases(data: bytes, root: Path) -> list[TestCase]:
    """Every test of a jest (`--json`) or vitest (`--reporter=json`) report."""
    try:
        report = json.loads(data)
    except ValueError as error:
        raise ReportUnreadable(f"not JSON: {error}") from error
    files = report.get("testResults") if isinstance(report, dict) else None
    if not isinstance(files, list):
        raise ReportUnreadable("no testResults in the report")
    cases = []
    for entry in files:
        if isinstance(entry, dict):
            cases += _jest_file(entry, root)
    return cases


def _jest_file(entry: dict, root: Path) -> list[TestCase]:
    name = str(entry.get("name", ""))
    results = [r for r in entry.get("assertionResults") or [] if isinstance(r, dict)]
    cases = []
    for result in results:
        titles = [str(t) for t in result.get("ancestorTitles") or []] + [str(result.get("title"))]
        outcome = _JEST_OUTCOMES.get(str(result.get("status")), "error")
        failures = [str(m) for m in result.get("failureMessages") or []]
        message, traceback = _message_and_stack(failures[0] if failures else "")
        cases.append(
            TestCase(
                test_id(root, name, titles),
                outcome,
                message,
                traceback,
                _seconds(result.get("duration")),
            )
        )
    if str(entry.get("status")) == "failed" and not any(c.failing for c in cases):
        message, traceback = _message_and_stack(str(entry.get("message") or "failed to run"))
        cases.append(TestCase(relative(root, name), "error", message, traceback, collection=True))
    return cases


def node_cases(data: bytes, root: Path) -> list[TestCase]:
    """Every top-level test (inside its suites) of our Node reporter's JSON lines."""
    pending: dict[tuple[str, int], list[dict]] = {}
    output: dict[str, list[str]] = {}
    for line in data.decode("utf-8", errors="replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        file = str(event.get("file", ""))
        if "output" in event:
            output.setdefault(file, []).append(str(event["output"]))
            continue
        level = int(event.get("nesting") or 0)
        # Node reports a test after its subtests: those finished since are its children.
        event["children"] = pending.pop((file, level + 1), [])
        pending.setdefault((file, level), []).append(event)
    cases = []
    for (file, level), roots in pending.items():
        if level == 0:
            for event in roots:
                cases += _node_tree(event, root, [], output.get(file, []))
    return cases


def _node_tree(event: dict, root: Path, titles: list[str], output: list[str]) -> list[TestCase]:
    name, file = str(event.get("name", "")), str(event.get("file", ""))
    if not titles and name == file:  # the file itself failed: it did not load
        detail = "".join(output).strip() or str(event.get("message") or "failed to load")
        lines = detail.splitlines()
        message = next((t for t in lines if "Error" in t), lines[0] if lines else "")
        return [
            TestCase(
                relative(root, file),
                "error",
                message[:MAX_MESSAGE_CHARS],
                "\n".join(lines[-MAX_TRACEBACK_LINES:]),
                collection=True,
            )
        ]
    if event.get("suite"):
        cases = []
        for child in event["children"]:
            cases += _node_tree(child, root, [*titles, name], output)
        return cases
    case = TestCase(
        test_id(root, file, [*titles, name]),
        _node_outcome(event),
        duration_s=float(event.get("duration_ms") or 0) / 1000,
    )
    case.subtests = [
        SubtestFailure(label, *_message_and_stack(_node_error(sub)))
        for label, sub in _failing_subtests(event["children"], [])
    ]
    if case.subtests:
        case.outcome, case.message = "failed", f"{len(case.subtests)} failing subtests"
    elif case.failing:
        case.message, case.traceback = _message_and_stack(_node_error(event))
    return [case]


def _node_outcome(event: dict) -> str:
    if event.get("skip"):
        return "skipped"
    return "passed" if event.get("outcome") == "pass" else "failed"


def _node_error(event: dict) -> str:
    stack = str(event.get("stack") or "")
    return stack if stack else str(event.get("message") or event.get("failure") or "failed")


def _failing_subtests(children: list[dict], titles: list[str]) -> list[tuple[str, dict]]:
    found = []
    for child in children:
        label = SEPARATOR.join([*titles, str(child.get("name", ""))])
        deeper = _failing_subtests(child["children"], [*titles, str(child.get("name", ""))])
        if deeper:
            found += deeper
        elif child.get("outcome") == "fail" and not child.get("skip"):
            found.append((label, child))
    return found


def _message_and_stack(text: str) -> tuple[str, str]:
    """The error's message (its lines before the stack, on one line) and its first lines."""
    lines = [
        line
        for line in _ANSI.sub("", text).strip("\n").splitlines()
        if not _INTERNAL_FRAME.match(line)
    ]
    head = []
    for line in lines:
        if line.lstrip().startswith("at "):
            break
        head.append(line.strip())
    message = " ".join(part for part in head if part)
    return message[:MAX_MESSAGE_CHARS], "\n".join(lines[:MAX_TRACEBACK_LINES])


def _seconds(milliseconds) -> float:
    try:
        return float(milliseconds or 0) / 1000
    except (TypeError, ValueError):
        return 0.0
