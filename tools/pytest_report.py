"""The fallback for a pytest run that wrote no report: counts and failing tests read from its
console output, to be shown to the model, never judged (`TestRun.source` is "console")."""

from __future__ import annotations

import re

from agent.tools.testrun import TestCase, TestRun

_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected)\b")
_SUMMARY = re.compile(r"^=*\s*((?:\d+ \w+(?:, )?)+|no tests ran)\s*(?:,.*)?\bin [\d.]+s")
_SHORT = re.compile(r"^(FAILED|ERROR) (\S+)(?: - (.*))?$")
_SECTION = re.compile(r"^=+ (FAILURES|ERRORS) =+$")
_BLOCK = re.compile(r"^_{2,} (.+?) _{2,}$")
MAX_TRACEBACK_LINES = 30
_OUTCOME = {
    "passed": "passed",
    "failed": "failed",
    "error": "error",
    "errors": "error",
    "skipped": "skipped",
    "xfailed": "xfailed",
}


def parse_pytest(output: str, command: str, exit_code: int) -> TestRun:
    """Read pytest output run with `-rfE --tb=short` (any verbosity)."""
    run = TestRun(command=command, exit_code=exit_code, output=output)
    lines = output.splitlines()
    for line in reversed(lines):
        if _SUMMARY.match(line.strip()):
            for number, word in _COUNT.findall(line):
                if word in _OUTCOME:
                    run.console_counts[_OUTCOME[word]] = int(number)
            run.source = "console"
            break
    run.cases = _failures(lines)
    return run


def _failures(lines: list[str]) -> list[TestCase]:
    failures: dict[str, TestCase] = {}
    for line in lines:
        found = _SHORT.match(line)
        if found and found.group(2) not in failures:
            kind = "failed" if found.group(1) == "FAILED" else "error"
            failures[found.group(2)] = TestCase(found.group(2), kind, found.group(3) or "")
    for title, body in _blocks(lines):
        match = _match_block(title, failures)
        if match and not match.traceback:
            match.traceback = _traceback(body)
    return list(failures.values())


def _traceback(body: list[str]) -> str:
    """The block up to any captured output, its last lines kept (the error is at the end)."""
    for i, line in enumerate(body):
        if line.startswith("-") and " Captured " in line:
            body = body[:i]
            break
    return "\n".join(body[-MAX_TRACEBACK_LINES:]).strip("\n")


def _blocks(lines: list[str]) -> list[tuple[str, list[str]]]:
    """(title, lines) of each `____ title ____` block in the FAILURES/ERRORS sections."""
    blocks: list[tuple[str, list[str]]] = []
    in_section = False
    for line in lines:
        if line.startswith("="):
            in_section = bool(_SECTION.match(line))
            continue
        header = _BLOCK.match(line)
        if in_section and header:
            blocks.append((header.group(1), []))
        elif in_section and blocks:
            blocks[-1][1].append(line)
    return blocks


def _match_block(title: str, failures: dict[str, TestCase]) -> TestCase | None:
    for prefix in ("ERROR at setup of ", "ERROR at teardown of ", "ERROR collecting "):
        title = title.removeprefix(prefix)
    dotted = title.replace(".", "::")
    for test_id, failure in failures.items():
        if test_id == title or test_id.endswith(("::" + dotted, "::" + title)):
            return failure
    return None
