"""Reading `cargo test`'s console into `TestCase`s.

libtest's JSON output needs a nightly toolchain, so on stable the console is the report:
cargo's `Running SRC (...)` line names each test binary's source, libtest prints one
`test NAME ... ok|FAILED|ignored` line per finished test (whole lines, even in parallel) and a
`---- NAME stdout ----` section per failure. Each line is matched exactly and anything else
(a test's stray output) is ignored. A binary without a `test result:` line crashed; a target
that did not compile is a collection error.

Ids are `SRC::PATH` (`src/lib.rs::tests::clamps`, `tests/api.rs::round_trip`); doc tests are
`doc::SRC - ITEM (line N)`.
"""

from __future__ import annotations

import re

from agent.tools.junit import MAX_MESSAGE_CHARS, MAX_TRACEBACK_LINES
from agent.tools.testrun import TestCase

DOC = "doc"
_RUNNING = re.compile(r"^\s+Running (?:unittests )?(\S+) \(")
_DOC_TESTS = re.compile(r"^\s+Doc-tests \S+$")
_TEST = re.compile(r"^test (.+?)(?: - should panic)? \.\.\. (ok|FAILED|ignored)(?:, (.*))?$")
_SECTION = re.compile(r"^---- (.+?) stdout ----$")
_RESULT = re.compile(r"^test result: ")
_LISTED = re.compile(r"^(.+): (?:test|benchmark)$")
_NOT_COMPILED = re.compile(r"^error: could not compile `[^`]+` \((.+?)\)")
_CRASHED = re.compile(r"process didn't exit successfully: .*")
_OUTCOMES = {"ok": "passed", "FAILED": "failed", "ignored": "skipped"}


def cargo_cases(console: str) -> list[TestCase]:
    """Every test the console reports, failures with their panic message and output."""
    cases: dict[str, TestCase] = {}
    source, finished, crashed = "", True, ""
    sections: dict[str, list[str]] = {}
    open_section: list[str] | None = None
    lines = console.splitlines()
    for line in lines:
        started = _binary(line) if line.startswith(" ") else None
        if started is not None:
            _close(cases, source, finished, crashed, sections)
            source, finished, crashed, sections, open_section = started, False, "", {}, None
            continue
        test = _TEST.match(line) if line.startswith("test ") else None
        section = _SECTION.match(line) if line.startswith("---- ") else None
        if test and source:
            key = f"{source}::{test.group(1)}"
            cases[key] = TestCase(key, _OUTCOMES[test.group(2)], test.group(3) or "")
        elif section and source:
            open_section = sections.setdefault(section.group(1), [])
        elif _RESULT.match(line):
            finished, open_section = True, None
        elif line in ("failures:", "successes:"):
            open_section = None
        elif _CRASHED.search(line):
            crashed = _CRASHED.search(line).group(0)
        elif open_section is not None:
            open_section.append(line)
    _close(cases, source, finished, crashed, sections)
    return list(cases.values()) + _not_compiled(lines)


def listed_ids(console: str) -> list[str]:
    """The ids `cargo test -- --list` names."""
    ids, source = [], ""
    for line in console.splitlines():
        started = _binary(line)
        if started is not None:
            source = started
        elif source and _LISTED.match(line):
            ids.append(f"{source}::{_LISTED.match(line).group(1)}")
    return ids


def _binary(line: str) -> str | None:
    if _DOC_TESTS.match(line):
        return DOC
    running = _RUNNING.match(line)
    return running.group(1) if running else None


def _close(cases, source, finished, crashed, sections) -> None:
    """Give the binary's failures their sections; a binary that ended early crashed."""
    for name, text in sections.items():
        case = cases.get(f"{source}::{name}")
        if case is not None:
            body = [t for t in text if t.strip()]
            case.message = _panic_message(body)[:MAX_MESSAGE_CHARS]
            case.traceback = "\n".join(body[:MAX_TRACEBACK_LINES])
    if source and not finished:
        where = f"{source}::" if source != DOC else "doc::"
        ran = [c.test_id for c in cases.values() if c.test_id.startswith(where)]
        cases[source] = TestCase(
            source,
            "error",
            "the test binary crashed before it finished" + (f" ({crashed})" if crashed else ""),
            f"{len(ran)} of its tests had finished",
        )


def _panic_message(body: list[str]) -> str:
    """The panic's message: the line after `panicked at FILE:LINE:COL:` (Rust 1.73+), or the
    old one-line form; else the section's first line."""
    for number, line in enumerate(body):
        if "panicked at" in line:
            if line.rstrip().endswith(":") and number + 1 < len(body):
                return body[number + 1].strip()
            return line.strip()
    return body[0].strip() if body else ""


def _not_compiled(lines: list[str]) -> list[TestCase]:
    """A collection error per target that did not compile, with the compiler's first error."""
    cases = []
    for number, line in enumerate(lines):
        broken = _NOT_COMPILED.match(line)
        if broken:
            errors = [i for i in range(number) if lines[i].startswith("error")]
            first = errors[0] if errors else number
            cases.append(
                TestCase(
                    _target_source(broken.group(1)),
                    "error",
                    lines[first][:MAX_MESSAGE_CHARS],
                    "\n".join(lines[first : first + MAX_TRACEBACK_LINES]),
                    collection=True,
                )
            )
    return cases


def _target_source(what: str) -> str:
    """`lib test` -> src/lib.rs, `test "api"` -> tests/api.rs; else the manifest."""
    named = re.search(r'"([^"]+)"', what)
    if what.startswith("lib"):
        return "src/lib.rs"
    if what.startswith("test") and named:
        return f"tests/{named.group(1)}.rs"
    if what.startswith("bin") and named:
        return f"src/bin/{named.group(1)}.rs"
    return "Cargo.toml"
