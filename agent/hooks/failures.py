"""Failing tests as `file:line: message` lines, the form editors and CI logs link to.

Each failure gives one line at the test's own frame naming the test and its error, then one
line per deeper frame inside the repository (`calc.py:12: in clamp`), read from pytest's
short tracebacks. Paths under the temporary export are shown repo-relative.
"""

from __future__ import annotations

import re

FRAME = re.compile(r"^(\S[^:]*\.py):(\d+): in (\S+)")
FILE_LINE = re.compile(r'File "([^"]+\.py)", line (\d+)')
MAX_FAILURES = 20


def failure_lines(run, content_root: str) -> list[str]:
    """`file:line: message` lines for the failing tests of a `agent.tools.testrun.TestRun`."""
    lines: list[str] = []
    for failure in run.failures[:MAX_FAILURES]:
        message = _error_text(failure)
        frames = _frames(failure.traceback, content_root)
        label = f"{failure.kind.upper()} {failure.test_id}"
        if not frames:
            where = failure.test_id.split("::")[0]
            lines.append(f"{where}:1: {label}: {message}".rstrip(": "))
            continue
        path, line, _ = frames[0]
        lines.append(f"{path}:{line}: {label}: {message}".rstrip(": "))
        lines += [f"{p}:{n}: in {function}" for p, n, function in frames[1:]]
    for failure in run.failures[:MAX_FAILURES]:
        lines += _subtest_lines(failure, content_root)
    if len(run.failures) > MAX_FAILURES:
        lines.append(f"... and {len(run.failures) - MAX_FAILURES} more failing tests")
    return lines


def _subtest_lines(failure, content_root: str) -> list[str]:
    """One line per failing subtest, at its own frame when the traceback gives one."""
    lines = []
    for sub in failure.subtests:
        frames = _frames(sub.traceback, content_root)
        path, line = frames[0][:2] if frames else (failure.test_id.split("::")[0], "1")
        lines.append(f"{path}:{line}: SUBTEST {sub.label} of {failure.test_id}: {sub.message}")
    return lines


def _frames(traceback: str, content_root: str) -> list[tuple[str, str, str]]:
    """(path, line, function) of each frame inside the repository, outermost first."""
    frames = []
    prefix = content_root.rstrip("/") + "/"
    for text in traceback.splitlines():
        found = FRAME.match(text)
        if found:
            path = found.group(1).removeprefix(prefix)
            if not path.startswith("/"):
                frames.append((path, found.group(2), found.group(3)))
            continue
        located = FILE_LINE.search(text)  # e.g. a SyntaxError while importing
        if located and located.group(1).startswith(prefix):
            frames.append((located.group(1).removeprefix(prefix), located.group(2), "<module>"))
    return frames


def _error_text(failure) -> str:
    """The error in one line: pytest's short message, else the first `E` line."""
    if failure.message:
        return failure.message.strip()
    for text in failure.traceback.splitlines():
        if text.startswith("E "):
            return text[1:].strip()
    return ""
