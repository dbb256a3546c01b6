"""Reading a JUnit XML report that a sandboxed run wrote into the workspace.

The file is hostile input: it is opened without following links, must be a regular file of
bounded size, and may not declare a DTD (no entity expansion). pytest's test ids are
rebuilt from the xunit1 `file` attribute and the dotted `classname`.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from xml.etree import ElementTree

from agent.tools.testrun import SubtestFailure, TestCase

MAX_REPORT_BYTES = 64 * 1024 * 1024
MAX_TRACEBACK_LINES = 30
MAX_MESSAGE_CHARS = 500
_SUBTESTS_SUMMARY = re.compile(r"^contains \d+ failed subtests?$")


class ReportUnreadable(Exception):
    """The report is missing, not a regular file, too big or not well-formed XML."""


def read_report_file(path: Path) -> bytes:
    """The report's bytes, refusing links, special files and oversized files."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        raise ReportUnreadable(str(error)) from error
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_REPORT_BYTES:
            raise ReportUnreadable("not a regular file of a sane size")
        return handle.read(MAX_REPORT_BYTES + 1)


def parse_xml(data: bytes) -> ElementTree.Element:
    """The XML's root element; a DTD (and with it any entity) is refused."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ReportUnreadable("the report declares a DTD")
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise ReportUnreadable(f"not well-formed: {error}") from error


def pytest_cases(
    data: bytes, root: Path, subtest_labels: dict[str, list[str]] | None = None
) -> list[TestCase]:
    """Every <testcase> of pytest's report as a `TestCase` with its pytest node id.

    A test case's first problems are its failing subtests: as many as `subtest_labels`
    names for its id (pytest writes no labels into the XML), or all of them when pytest's
    "contains N failed subtests" summary is there.
    """
    labels = subtest_labels or {}
    return [_pytest_case(element, root, labels) for element in parse_xml(data).iter("testcase")]


def _pytest_case(
    element: ElementTree.Element, root: Path, labels: dict[str, list[str]]
) -> TestCase:
    test_id = pytest_node_id(
        element.get("classname", ""), element.get("name", ""), element.get("file", ""), root
    )
    case = TestCase(test_id, "passed", duration_s=_float(element.get("time")))
    problems = [child for child in element if child.tag in ("failure", "error")]
    skipped = element.find("skipped")
    if problems:
        case.outcome = "failed" if any(p.tag == "failure" for p in problems) else "error"
        case.collection = any(p.get("message") == "collection failure" for p in problems)
        own = [p for p in problems if not _SUBTESTS_SUMMARY.match(p.get("message", ""))]
        named = labels.get(test_id, [])
        count = len(own) if len(own) < len(problems) else min(len(named), len(own))
        case.subtests = [
            SubtestFailure(named[i] if i < len(named) else "", _message(p), _traceback(p))
            for i, p in enumerate(own[:count])
        ]
        own = own[count:]
        if own:
            case.message, case.traceback = _message(own[0]), _traceback(own[0])
        else:
            case.message = f"{len(case.subtests)} failing subtests"
    elif skipped is not None:
        case.outcome = "xfailed" if skipped.get("type") == "pytest.xfail" else "skipped"
        case.message = _message(skipped)
    return case


def pytest_node_id(classname: str, name: str, file: str, root: Path) -> str:
    """pytest's node id from junitxml's mangled address (`tests.test_x.TestK`, `test_m`)."""
    if file:
        module = re.sub(r"\.py$", "", file).replace("/", ".")
        if classname == module or classname.startswith(module + "."):
            inner = classname[len(module) + 1 :].split(".") if classname != module else []
            return "::".join([file, *inner, name])
        if not classname:  # a collection error: the file is the id
            return file
    parts = classname.split(".")
    for cut in range(len(parts), 0, -1):
        path = "/".join(parts[:cut]) + ".py"
        if (root / path).is_file():
            return "::".join([path, *parts[cut:], name])
    return "::".join(p for p in (file or classname, name) if p)


def _message(element: ElementTree.Element) -> str:
    text = (element.get("message") or "").strip()
    first = text.splitlines()[0] if text else ""
    return first[:MAX_MESSAGE_CHARS]


def _traceback(element: ElementTree.Element) -> str:
    lines = (element.text or "").strip("\n").splitlines()
    return "\n".join(lines[-MAX_TRACEBACK_LINES:])


def _float(text: str | None) -> float:
    try:
        return float(text or 0)
    except ValueError:
        return 0.0
