"""Node's built-in test runner, vitest and jest: which one a project's test command runs, and
how to run one test id, several, or the whole suite with a report we can read.

`npm test` is looked through to package.json's `test` script; a script that is more than one
runner's command line (`tsc && jest`) is run as it is, judged by its exit status only. The
report goes to a folder bound writable for that run alone (`agent.tools.run_folders`; else a
hidden file at the root), is read as hostile input and deleted. Ids are `FILE::NAME` (see
`agent.tools.js_reports`): one id runs its file (jest and vitest also filter by the test's
full name), and only the cases under the requested ids are kept; requested ids that did not
run are reported missing, not failed.
"""

from __future__ import annotations

import functools
import json
import re
import shlex
import subprocess
from pathlib import Path

from agent.confine import exists_inside
from agent.tools.js_reports import SEPARATOR, jest_cases, node_cases
from agent.tools.junit import ReportUnreadable, read_report_file
from agent.tools.pytest_runner import nearest_ids
from agent.tools.run_folders import report_place
from agent.tools.testrun import TestRun

JS_ENV = {"CI": "1", "NO_COLOR": "1", "FORCE_COLOR": "0"}
NODE_REPORTER = Path(__file__).with_name("node_reporter.mjs")
_NPM_TEST = (["npm", "test"], ["npm", "t"], ["npm", "run", "test"])
_ASSIGNMENT = re.compile(r"^\w+=")  # `NODE_ENV=test jest`: more than the runner's words
_OUR_OPTIONS = ("--test-reporter", "--reporter", "--outputFile", "--json", "--watch")


def js_runner(test_command: str, root: Path) -> tuple[str, list[str]] | None:
    """("node" | "vitest" | "jest", the runner's command words), or None for another command."""
    try:
        words = shlex.split(test_command)
    except ValueError:
        return None
    if any(words[: len(npm)] == npm for npm in _NPM_TEST) and len(words) <= 3:
        words = _test_script(root)
    if words[:1] == ["npx"]:
        words = words[1:]
    if not words or any(w in ("&&", "||", ";", "|") or _ASSIGNMENT.match(w) for w in words):
        return None
    program = Path(words[0]).name
    if program == "node" and "--test" in words:
        return "node", words
    if program in ("vitest", "jest"):
        local = root / "node_modules" / ".bin" / program
        bare = "/" not in words[0] and local.exists()
        return program, [f"node_modules/.bin/{program}" if bare else words[0], *words[1:]]
    return None


def _test_script(root: Path) -> list[str]:
    from agent.confine import LeavesWorkspace, read_text_inside

    try:
        scripts = json.loads(read_text_inside(root, "package.json")).get("scripts") or {}
        return shlex.split(str(scripts.get("test") or ""))
    except (OSError, LeavesWorkspace, ValueError, AttributeError):
        return []


def run_js(
    ctx, kind: str, words: list[str], targets: list[str], timeout: int, env: dict | None
) -> TestRun:
    """Run `kind` on the targets' files (the whole suite when none) and read its report."""
    absent = [t for t in targets if not exists_inside(ctx.root, t.split("::")[0])]
    present = [t for t in targets if t not in absent]
    if absent and not present:
        return TestRun(
            "(nothing run)",
            0,
            runner=kind,
            source="report",
            missing={t: _nearest_files(t, ctx.root) for t in absent},
        )
    with report_place(ctx, ".json") as (report, own):
        shown, real = command_words(kind, words, present, report)
        result = ctx.sandbox.run(
            ["bash", "-c", shlex.join(real)],
            cwd=ctx.root,
            timeout=max(timeout, 1),
            env={**JS_ENV, **wasm_options(), **(env or {})},
            writable=own,
        )
        try:
            data = read_report_file(report)
        except ReportUnreadable:
            data = None
    run = TestRun(
        shlex.join(shown),
        result.exit_code,
        runner=kind,
        output=result.stdout + result.stderr,
        duration_s=result.duration_s,
        timed_out=result.timed_out,
        killed_by=result.killed_by,
    )
    if data is not None and not result.timed_out:
        try:
            cases = node_cases(data, ctx.root) if kind == "node" else jest_cases(data, ctx.root)
            run.cases, run.source = cases, "report"
        except ReportUnreadable:
            return run
        _keep_requested(run, present)
    run.missing.update({t: _nearest_files(t, ctx.root) for t in absent})
    return run


@functools.lru_cache(maxsize=1)
def wasm_options() -> dict[str, str]:
    """NODE_OPTIONS letting WebAssembly start under the sandbox's address-space limit.

    V8 reserves ~10 GB of address space per Wasm memory for its trap handler, over the
    limit, and vitest's tooling uses Wasm; Node 20.15+ can do without the handler. The
    system's node (not the workspace's) is asked once whether it knows the option.
    """
    option = "--disable-wasm-trap-handler"
    try:
        known = (
            subprocess.run(
                ["node", option, "-e", "0"], cwd="/", capture_output=True, timeout=30, check=False
            ).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        known = False
    return {"NODE_OPTIONS": option} if known else {}


def command_words(
    kind: str, words: list[str], targets: list[str], report: Path
) -> tuple[list[str], list[str]]:
    """(the command as shown to the model, the command run with its report options)."""
    base = [w for w in words if not w.startswith(_OUR_OPTIONS)]
    if targets:  # the targets replace the script's own paths
        base = [base[0], *[w for w in base[1:] if w.startswith("-") or w == "run"]]
    files = list(dict.fromkeys(t.split("::")[0] for t in targets))
    names = [t.split("::", 1)[1] for t in targets if "::" in t]
    if kind == "node":
        shown = [*base, *files]
        return shown, [
            base[0],
            f"--test-reporter={NODE_REPORTER}",
            f"--test-reporter-destination={report}",
            *shown[1:],
        ]
    if kind == "vitest":
        if len(base) == 1 or base[1].startswith("-") or base[1] == "watch":
            base = [base[0], "run", *base[2 if base[1:2] == ["watch"] else 1 :]]
        shown = [*base, *files] + (["-t", _name_pattern(names)] if names else [])
        return shown, [*shown, "--reporter=json", f"--outputFile={report}"]
    shown = [*base, *(["--runTestsByPath", *files] if files else [])]
    shown += ["-t", _name_pattern(names)] if names else []
    return shown, [*shown, "--json", f"--outputFile={report}"]


def _name_pattern(names: list[str]) -> str:
    """jest's and vitest's -t: the full names, titles joined by spaces, exactly."""
    full = [re.escape(" ".join(name.split(SEPARATOR))) for name in names]
    return "^(?:" + "|".join(full) + ")$"


def _keep_requested(run: TestRun, targets: list[str]) -> None:
    """Only the cases under the requested ids; requested ids that did not run are missing."""
    ids = [t for t in targets if "::" in t]
    if not ids:
        return
    known = [c.test_id for c in run.cases]

    def under(case_id: str, target: str) -> bool:
        return case_id == target or case_id.startswith(target + SEPARATOR)

    whole = {t for t in targets if "::" not in t}
    run.narrowed = True
    run.cases = [
        c
        for c in run.cases
        if c.collection
        or c.test_id.split("::")[0] in whole
        or any(under(c.test_id, t) for t in ids)
    ]
    ran = {c.test_id for c in run.cases}
    run.missing = {
        t: nearest_ids(t, known)
        for t in ids
        if not any(under(r, t) for r in ran) and not any(c.collection for c in run.cases)
    }


def _nearest_files(target: str, root: Path) -> list[str]:
    """The test files named most like the missing target's file (node_modules not walked)."""
    import difflib
    import os

    files = []
    for folder, dirs, names in os.walk(root):  # links to folders are not followed
        dirs[:] = [d for d in dirs if d not in ("node_modules", ".git", ".agent")]
        files += [
            (Path(folder) / n).relative_to(root).as_posix()
            for n in names
            if ".test." in n or ".spec." in n
        ]
    return difflib.get_close_matches(target.split("::")[0], sorted(files), n=3, cutoff=0.3)
