"""Reading pytest's console output into counts and the failing tests' short tracebacks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected)\b")
_SUMMARY = re.compile(r"^=*\s*((?:\d+ \w+(?:, )?)+|no tests ran)\s*(?:,.*)?\bin [\d.]+s")
_COLLECTED = re.compile(r"^collected (\d+) items?")
_SHORT = re.compile(r"^(FAILED|ERROR) (\S+)(?: - (.*))?$")
_SECTION = re.compile(r"^=+ (FAILURES|ERRORS) =+$")
_BLOCK = re.compile(r"^_{2,} (.+?) _{2,}$")
MAX_TRACEBACK_LINES = 30
MAX_DETAILED = 10


@dataclass
class TestFailure:
    """One failing or erroring test (or a file that failed to collect)."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    test_id: str
    kind: str  # "failed" or "error"
    message: str = ""
    traceback: str = ""


@dataclass
class TestRun:
    """A finished test run: what pytest reported, and the raw output behind it."""

    __test__ = False

    command: str
    exit_code: int
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    collected: int = 0
    failures: list[TestFailure] = field(default_factory=list)
    duration_s: float = 0.0
    timed_out: bool = False
    parsed: bool = False
    output: str = ""

    @property
    def ok(self) -> bool:
        """True when the run completed with no failures and no errors."""
        return self.exit_code == 0 and not self.timed_out

    def render(self) -> str:
        """A compact report the model can act on."""
        if self.timed_out:
            return (f"Tests timed out after {self.duration_s:.0f}s: {self.command}\n"
                    f"Last output:\n{_tail(self.output, 40)}")
        if not self.parsed:
            return (f"Test command exited {self.exit_code} without a pytest summary: "
                    f"{self.command}\n{_tail(self.output, 60)}")
        head = (f"Tests: {self.passed} passed, {self.failed} failed, {self.errors} errors"
                + (f", {self.skipped} skipped" if self.skipped else "")
                + f" (exit {self.exit_code}, {self.duration_s:.1f}s)\nCommand: {self.command}")
        parts = [head]
        for failure in self.failures[:MAX_DETAILED]:
            line = f"{failure.kind.upper()} {failure.test_id}"
            parts.append(line + (f" - {failure.message}" if failure.message else ""))
            if failure.traceback:
                parts.append(_indent(failure.traceback))
        rest = self.failures[MAX_DETAILED:]
        if rest:
            parts.append(f"... and {len(rest)} more: " + ", ".join(f.test_id for f in rest))
        if self.exit_code == 5:
            parts.append("No tests were collected; check the target path or test names.")
        return "\n".join(parts)


def parse_pytest(output: str, command: str, exit_code: int) -> TestRun:
    """Parse pytest output run with `-rfE --tb=short` (any verbosity)."""
    run = TestRun(command=command, exit_code=exit_code, output=output)
    lines = output.splitlines()
    for line in reversed(lines):
        if _SUMMARY.match(line.strip()):
            _count(run, line)
            run.parsed = True
            break
    for line in lines:
        found = _COLLECTED.match(line)
        if found:
            run.collected = int(found.group(1))
    run.collected = run.collected or run.passed + run.failed + run.skipped
    run.failures = _failures(lines)
    return run


def _count(run: TestRun, line: str) -> None:
    for number, word in _COUNT.findall(line):
        name = "errors" if word.startswith("error") else word
        if hasattr(run, name):
            setattr(run, name, int(number))


def _failures(lines: list[str]) -> list[TestFailure]:
    failures: dict[str, TestFailure] = {}
    for line in lines:
        found = _SHORT.match(line)
        if found and found.group(2) not in failures:
            kind = "failed" if found.group(1) == "FAILED" else "error"
            failures[found.group(2)] = TestFailure(found.group(2), kind, found.group(3) or "")
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


def _match_block(title: str, failures: dict[str, TestFailure]) -> TestFailure | None:
    for prefix in ("ERROR at setup of ", "ERROR at teardown of ", "ERROR collecting "):
        title = title.removeprefix(prefix)
    dotted = title.replace(".", "::")
    for test_id, failure in failures.items():
        if test_id == title or test_id.endswith(("::" + dotted, "::" + title)):
            return failure
    return None


def _tail(text: str, count: int) -> str:
    return "\n".join(text.rstrip().splitlines()[-count:])


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
