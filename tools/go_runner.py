"""`go test` as a test runner: its `-json` event stream read into a `TestRun`.

Test ids are `DIR::TestName` (`./calc::TestClamp`, `.::TestAdd` for the module's root
package); a subtest (`t.Run`) is a subtest of its top-level test. A package that fails to
build is a collection error whose id is its directory.
"""

from __future__ import annotations

import json
import re
import shlex

from agent.tools.testrun import SubtestFailure, TestCase, TestRun

GO_ENV = {"GOCACHE": "/tmp/go-cache", "GOPROXY": "off"}
MAX_OUTPUT_LINES = 30
_LOCATION = re.compile(r"^\s+\S+\.go:\d+: ")
_BUILD_FAILED = re.compile(r"^FAIL\s+(\S+) \[(?:build|setup) failed\]")


def run_go(ctx, command: str, targets: list[str], timeout: int, env: dict | None) -> TestRun:
    """Run `go test -json` on the targets' packages (all of `command`'s when none)."""
    dirs = list(dict.fromkeys(t.split("::")[0] for t in targets))
    names = [t.split("::")[1] for t in targets if "::" in t]
    words = shlex.split(command) + ["-json"]
    if dirs:
        words = [w for w in words if not w.startswith(".")] + dirs
    if names:
        words += ["-run", "^(" + "|".join(re.escape(n.split("/")[0]) for n in names) + ")$"]
    shown = shlex.join(words)
    result = ctx.sandbox.run(
        ["bash", "-c", shown], cwd=ctx.root, timeout=max(timeout, 1), env={**GO_ENV, **(env or {})}
    )
    run = TestRun(
        shown,
        result.exit_code,
        runner="go",
        output=result.stdout + result.stderr,
        duration_s=result.duration_s,
        timed_out=result.timed_out,
        killed_by=result.killed_by,
    )
    cases = read_go_json(result.stdout, module_path(ctx.root), result.stderr)
    if cases or not result.exit_code:
        run.cases, run.source = cases, "report"
    ran = {c.test_id for c in cases}
    run.missing = {t: _nearest(t, ran) for t in targets if "::" in t and t not in ran}
    return run


def module_path(root) -> str:
    """The module path `go.mod` declares ("" without one)."""
    try:
        text = (root / "go.mod").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    found = re.search(r"^module\s+(\S+)", text, re.MULTILINE)
    return found.group(1) if found else ""


def read_go_json(stream: str, module: str, stderr: str = "") -> list[TestCase]:
    """Top-level tests (with their failing subtests) and packages that failed to build."""
    cases: dict[str, TestCase] = {}
    output: dict[str, list[str]] = {}
    for line in stream.splitlines():
        try:
            event = json.loads(line)
        except ValueError:  # go 1.19 writes a package that does not build as plain text
            broken = _BUILD_FAILED.match(line)
            if broken:
                event = {"Package": broken.group(1), "Action": "fail"}
            else:
                continue
        if not isinstance(event, dict):
            continue
        where = _dir(str(event.get("Package", "")), module)
        test, action = event.get("Test"), event.get("Action")
        key = f"{where}::{test}" if test else where
        if action == "output":
            output.setdefault(key, []).append(str(event.get("Output", "")))
        elif action in ("pass", "fail", "skip"):
            _finish(cases, output, key, where, test, action, event, stderr)
    return list(cases.values())


def _finish(cases, output, key, where, test, action, event, stderr) -> None:
    lines = [t.rstrip("\n") for t in output.get(key, []) if not t.startswith(("=== ", "--- "))]
    lines = [t for t in lines if t.strip() and not t.lstrip().startswith("--- ")]
    if not test:  # the package: only a failure without tests (a build error) is a case
        if action == "fail" and not any(k.startswith(where + "::") for k in cases):
            detail = stderr.strip().splitlines() or lines
            cases[where] = TestCase(
                where,
                "error",
                detail[0] if detail else "build failed",
                "\n".join(detail[-MAX_OUTPUT_LINES:]),
                collection=True,
            )
        return
    message = next((t.strip() for t in lines if _LOCATION.match(t)), lines[0] if lines else "")
    outcome = {"pass": "passed", "fail": "failed", "skip": "skipped"}[action]
    top = f"{where}::{str(test).split('/')[0]}"
    if "/" in str(test):
        if outcome == "failed":
            parent = cases.setdefault(top, TestCase(top, "failed"))
            parent.subtests.append(
                SubtestFailure(
                    str(test).split("/", 1)[1], message, "\n".join(lines[-MAX_OUTPUT_LINES:])
                )
            )
        return
    case = cases.setdefault(top, TestCase(top, outcome))
    case.outcome = "failed" if case.subtests else outcome
    case.duration_s = float(event.get("Elapsed") or 0)
    if outcome == "failed" and not case.subtests:
        case.message, case.traceback = message, "\n".join(lines[-MAX_OUTPUT_LINES:])
    elif case.subtests:
        case.message = f"{len(case.subtests)} failing subtests"


def _dir(package: str, module: str) -> str:
    if module and package == module:
        return "."
    if module and package.startswith(module + "/"):
        return "./" + package[len(module) + 1 :]
    return package


def _nearest(test_id: str, known: set[str]) -> list[str]:
    import difflib

    return difflib.get_close_matches(test_id, sorted(known), n=3, cutoff=0.5)
