"""`go test -json` as the runner: real Go runs in the sandbox, and a solved session."""

from __future__ import annotations

import shutil

import pytest

from agent.models.scripted import ScriptedModel
from agent.runner import SolveOptions, run_session
from agent.tools.run import run_tests_structured
from tests.solve_kit import QUIET, committed, edit, finish, plan
from tests.test_tools_helpers import make_ctx

pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="needs the go toolchain")

CALC = (
    "package calc\n\nfunc Clamp(v, lo, hi int) int {\n\tif v < lo {\n\t\treturn lo\n\t}\n"
    "\tif v > hi {\n\t\treturn lo\n\t}\n\treturn v\n}\n"
)
TESTS = (
    'package calc\n\nimport "testing"\n\nfunc TestInside(t *testing.T) {\n'
    '\tif Clamp(5, 0, 10) != 5 {\n\t\tt.Fatal("inside")\n\t}\n}\n\n'
    "func TestAbove(t *testing.T) {\n\tfor _, v := range []int{11, 15} {\n"
    '\t\tt.Run("v", func(t *testing.T) {\n'
    "\t\t\tif got := Clamp(v, 0, 10); got != 10 {\n"
    '\t\t\t\tt.Errorf("Clamp(%d) = %d, want 10", v, got)\n\t\t\t}\n\t\t})\n\t}\n}\n'
)


def _repo(root):
    files = {
        "go.mod": "module example.com/calc\n\ngo 1.19\n",
        "calc/calc.go": CALC,
        "calc/calc_test.go": TESTS,
        ".agent.toml": QUIET + 'test_command = "go test ./..."\n',
    }
    return committed(root, files)


def test_go_failures_subtests_and_missing_ids(tmp_path):
    ctx = make_ctx(_repo(tmp_path), test_command="go test ./...")
    run = run_tests_structured(ctx, "")
    assert run.source == "report" and (run.passed, run.failed) == (1, 1)
    above = run.failures[0]
    assert above.test_id == "./calc::TestAbove"
    assert [(s.label, s.message) for s in above.subtests] == [
        ("v", "calc_test.go:15: Clamp(11) = 0, want 10"),
        ("v#01", "calc_test.go:15: Clamp(15) = 0, want 10"),
    ]
    assert "SUBTEST v#01 FAILED - calc_test.go:15: Clamp(15) = 0, want 10" in run.render()
    missing = run_tests_structured(ctx, "./calc::TestBelow ./calc::TestInside")
    assert missing.ok and missing.passed == 1 and "./calc::TestBelow" in missing.missing
    (tmp_path / "calc" / "calc.go").write_text(CALC.replace("func Clamp", "func Clamp("))
    broken = run_tests_structured(ctx, "")
    assert [c.test_id for c in broken.failures] == ["./calc"] and broken.failures[0].collection


def test_agent_solve_in_a_go_repository_reaches_solved(tmp_path):
    repo = _repo(tmp_path / "r")
    fix = edit(
        old="\tif v > hi {\n\t\treturn lo\n",
        new="\tif v > hi {\n\t\treturn hi\n",
        path="calc/calc.go",
    )
    model = ScriptedModel([plan(tests=["./calc::TestAbove"]), fix, finish()])
    result = run_session(
        SolveOptions(task="Clamp(15, 0, 10) returns 0 but should return 10", cwd=repo, model=model),
        [],
    )
    assert result.outcome.status == "solved", result.outcome
    assert "return hi" in (repo / "calc" / "calc.go").read_text()
