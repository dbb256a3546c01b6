"""Node's built-in test runner behind `npm test`: real runs in the sandbox, a solved session,
and run_tests described with the runner's id syntax."""

from __future__ import annotations

import shutil

import pytest

from agent.runner import SolveOptions, run_session
from agent.tools.run import run_tests_structured
from tests.session_snapshot import Recorder
from tests.solve_kit import committed, edit, finish, plan
from tests.test_tools_helpers import make_ctx

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs node")

CALC = (
    "function clamp(v, lo, hi) {\n  if (v < lo) return lo;\n  if (v > hi) return lo;\n"
    "  return v;\n}\nmodule.exports = { clamp };\n"
)
TESTS = """const test = require('node:test');
const assert = require('node:assert');
const { clamp } = require('../calc');

test.describe('clamp', () => {
  test.it('inside', () => { assert.strictEqual(clamp(5, 0, 10), 5); });
  test.it('above', () => { assert.strictEqual(clamp(15, 0, 10), 10); });
});
test('each value', async (t) => {
  for (const v of [11, 3]) {
    await t.test(`v=${v}`, () => { assert.ok(clamp(v, 0, 10) <= 10 && clamp(v, 0, 10) > 2); });
  }
});
"""
PACKAGE = '{"name": "calc", "scripts": {"test": "node --test"}}\n'
SETTINGS = "independent_tests = false\nreproduce = false\n"


def _repo(root):
    return committed(
        root,
        {
            "package.json": PACKAGE,
            "calc.js": CALC,
            "test/calc.test.js": TESTS,
            ".agent.toml": SETTINGS,
        },
    )


def test_node_failures_suites_subtests_missing_ids_and_a_broken_file(tmp_path):
    ctx = make_ctx(_repo(tmp_path), test_command="npm test")
    run = run_tests_structured(ctx, "")
    assert run.runner == "node" and run.source == "report"
    assert {c.test_id: c.outcome for c in run.cases} == {
        "test/calc.test.js::clamp > inside": "passed",
        "test/calc.test.js::clamp > above": "failed",
        "test/calc.test.js::each value": "failed",
    }
    text = run.render()
    assert (
        "FAILED test/calc.test.js::clamp > above - AssertionError [ERR_ASSERTION]: Expected "
        "values to be strictly equal: 0 !== 10"
    ) in text
    assert "SUBTEST v=11 FAILED - AssertionError" in text and "v=3" not in text
    one = run_tests_structured(
        ctx, "'test/calc.test.js::clamp > inside' 'test/calc.test.js::clamp > abov'"
    )
    assert one.ok and [c.test_id for c in one.cases] == ["test/calc.test.js::clamp > inside"]
    assert list(one.missing) == ["test/calc.test.js::clamp > abov"]
    assert one.missing["test/calc.test.js::clamp > abov"][0] == "test/calc.test.js::clamp > above"
    no_file = run_tests_structured(ctx, "test/calc2.test.js::x")
    assert no_file.ok and no_file.missing == {"test/calc2.test.js::x": ["test/calc.test.js"]}
    inside = run_tests_structured(ctx, "'test/calc.test.js::clamp > inside'")
    assert inside.ok and inside.exit_code == 1  # 'above' failed in the file, but not asked for
    (tmp_path / "test" / "broken.test.js").write_text("const x = ;\n")
    broken = run_tests_structured(ctx, "test/broken.test.js")
    assert [(c.test_id, c.collection) for c in broken.failures] == [("test/broken.test.js", True)]
    assert "COLLECTION ERROR in test/broken.test.js - SyntaxError" in broken.render()


def test_a_node_run_that_hangs_is_named_a_timeout(tmp_path):
    root = committed(
        tmp_path,
        {
            "package.json": PACKAGE,
            "test/hang.test.js": "require('node:test')('hangs', () => "
            "new Promise(() => setInterval(() => {}, 1000)));\n",
        },
    )
    run = run_tests_structured(make_ctx(root, test_command="npm test"), "", timeout=3)
    assert run.timed_out and not run.ok
    assert run.render().startswith("Tests TIMED OUT after 3s and were killed")


def test_agent_solve_in_a_node_repository_reaches_solved(tmp_path):
    """A wrong first edit fails for real; the debug round says tracing is Python-only."""
    repo = _repo(tmp_path / "r")
    wrong = edit(old="  if (v > hi) return lo;\n", new="  if (v > hi) return v;\n", path="calc.js")
    fix = edit(old="  if (v > hi) return v;\n", new="  if (v > hi) return hi;\n", path="calc.js")
    model = Recorder(
        [plan(tests=["test/calc.test.js::clamp > above"]), wrong, finish(), fix, finish()]
    )
    result = run_session(
        SolveOptions(
            task="clamp(15, 0, 10) returns 0 but should return 10", cwd=repo, model=model.model
        ),
        [model.sink],
    )
    assert result.outcome.status == "solved", result.outcome
    assert "return hi" in (repo / "calc.js").read_text()
    debug = model.step("debug").text  # what the debug round was told
    assert "FAILED test/calc.test.js::clamp > above - AssertionError" in debug
    assert "trace_test is Python-only" in debug
    described = {repr(r.tools) for r in model.requests}
    assert len(described) == 1  # the same tool schema in every request (the prompt cache)
    run_tests = next(t for t in model.requests[0].tools if t.name == "run_tests")
    target = run_tests.input_schema["properties"]["target"]["description"]
    assert "node ids:" in target and "'test/calc.test.js::clamp > above'" in target


def test_an_id_naming_a_file_outside_the_workspace_is_missing_whether_it_exists_or_not(tmp_path):
    ctx = make_ctx(_repo(tmp_path / "r"), test_command="npm test")
    (tmp_path / "there.test.js").write_text("require('node:test')('x', () => {});\n")
    for outside in (tmp_path / "there.test.js", tmp_path / "absent.test.js"):
        run = run_tests_structured(ctx, f"{outside}::x")
        assert run.missing == {f"{outside}::x": ["test/calc.test.js"]}, run.render()
