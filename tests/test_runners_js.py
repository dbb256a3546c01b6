"""jest and vitest through their JSON reports: real runs in the sandbox, and a TypeScript
repository solved with vitest.

Both come from the npm registry, installed once into a cache folder kept between runs
($AGENT_TEST_CACHE, else ~/.cache/agent-tests) and hard-linked into each test's project.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from agent.runner import SolveOptions, run_session
from agent.tools.run import run_tests_structured
from tests.session_snapshot import Recorder
from tests.solve_kit import committed, edit, finish, plan
from tests.test_tools_helpers import make_ctx

pytestmark = pytest.mark.skipif(shutil.which("npm") is None, reason="needs node and npm")

PACKAGES = ("vitest@3.2.7", "jest@29.7.0")
SETTINGS = "independent_tests = false\nreproduce = false\n"
JEST_TESTS = """const { clamp } = require('../calc');

describe('clamp', () => {
  test('inside', () => { expect(clamp(5, 0, 10)).toBe(5); });
  test('above', () => { expect(clamp(15, 0, 10)).toBe(10); });
});
"""
CALC_JS = (
    "function clamp(v, lo, hi) {\n  if (v < lo) return lo;\n  if (v > hi) return lo;\n"
    "  return v;\n}\nmodule.exports = { clamp };\n"
)
CALC_TS = (
    "export function clamp(v: number, lo: number, hi: number): number {\n"
    "  if (v < lo) return lo;\n  if (v > hi) return lo;\n  return v;\n}\n"
)
VITEST_TESTS = """import { describe, expect, it } from 'vitest';
import { clamp } from '../src/calc';

describe('clamp', () => {
  it('inside', () => { expect(clamp(5, 0, 10)).toBe(5); });
  it('above', () => { expect(clamp(15, 0, 10)).toBe(10); });
});
"""


@pytest.fixture(scope="module")
def node_modules() -> Path:
    """vitest and jest installed once (the folder is kept for later runs)."""
    cache = Path(os.environ.get("AGENT_TEST_CACHE") or Path.home() / ".cache" / "agent-tests")
    folder = cache / ("js-" + "-".join(p.replace("@", "") for p in PACKAGES))
    if not (folder / "node_modules" / ".bin" / "vitest").exists():
        work = folder.with_name(folder.name + f".{os.getpid()}")
        work.mkdir(parents=True, exist_ok=True)
        (work / "package.json").write_text('{"name": "runners", "private": true}\n')
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefer-offline", *PACKAGES],
            cwd=work,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            reachable = (
                subprocess.run(["npm", "ping"], capture_output=True, check=False).returncode == 0
            )
            if not reachable:
                pytest.skip("npm cannot reach its registry to install vitest and jest")
            raise AssertionError(f"npm install failed:\n{done.stderr[-2000:]}")
        try:
            work.rename(folder)
        except OSError:  # another run installed it first
            shutil.rmtree(work, ignore_errors=True)
    return folder / "node_modules"


def _project(root: Path, node_modules: Path, files: dict[str, str]) -> Path:
    committed(root, {".gitignore": "node_modules/\n", ".agent.toml": SETTINGS, **files})
    subprocess.run(["cp", "-al", str(node_modules), str(root / "node_modules")], check=True)
    return root


def test_jest_failures_missing_ids_and_a_file_that_does_not_load(tmp_path, node_modules):
    package = '{"name": "calc", "scripts": {"test": "jest"}}\n'
    root = _project(
        tmp_path,
        node_modules,
        {"package.json": package, "calc.js": CALC_JS, "test/calc.test.js": JEST_TESTS},
    )
    ctx = make_ctx(root, test_command="npm test")
    run = run_tests_structured(ctx, "")
    assert run.runner == "jest" and run.source == "report"
    assert {c.test_id: c.outcome for c in run.cases} == {
        "test/calc.test.js::clamp > inside": "passed",
        "test/calc.test.js::clamp > above": "failed",
    }
    assert (
        "FAILED test/calc.test.js::clamp > above - Error: expect(received).toBe(expected) "
        "// Object.is equality Expected: 10 Received: 0"
    ) in run.render()
    some = run_tests_structured(
        ctx, "test/calc.test.js::clamp > inside test/calc.test.js::clamp > abov"
    )
    assert some.ok and [c.test_id for c in some.cases] == ["test/calc.test.js::clamp > inside"]
    assert some.missing["test/calc.test.js::clamp > abov"][0] == "test/calc.test.js::clamp > above"
    (root / "test" / "broken.test.js").write_text("const x = ;\n")
    broken = run_tests_structured(ctx, "test/broken.test.js")
    assert [(c.test_id, c.collection) for c in broken.failures] == [("test/broken.test.js", True)]
    assert "COLLECTION ERROR in test/broken.test.js" in broken.render()


def test_agent_solve_in_a_typescript_repository_reaches_solved(tmp_path, node_modules):
    """vitest runs the TypeScript tests; a wrong first edit fails for real, then the fix."""
    package = '{"name": "calc", "scripts": {"test": "vitest run"}}\n'
    repo = _project(
        tmp_path / "r",
        node_modules,
        {"package.json": package, "src/calc.ts": CALC_TS, "test/calc.test.ts": VITEST_TESTS},
    )
    wrong = edit(
        old="  if (v > hi) return lo;\n", new="  if (v > hi) return v;\n", path="src/calc.ts"
    )
    fix = edit(
        old="  if (v > hi) return v;\n", new="  if (v > hi) return hi;\n", path="src/calc.ts"
    )
    model = Recorder(
        [plan(tests=["test/calc.test.ts::clamp > above"]), wrong, finish(), fix, finish()]
    )
    result = run_session(
        SolveOptions(
            task="clamp(15, 0, 10) returns 0 but should return 10", cwd=repo, model=model.model
        ),
        [model.sink],
    )
    assert result.outcome.status == "solved", result.outcome
    debug = model.step("debug").text  # what the debug round was told
    assert "FAILED test/calc.test.ts::clamp > above - AssertionError: expected 15 to be 10" in debug
    assert "vitest ids:" in repr(model.requests[0].tools)
    assert "Command:" not in debug  # the failures listed explain the exit code
