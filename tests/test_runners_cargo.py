"""`cargo test` as the runner: real builds and runs in the sandbox, and a solved session."""

from __future__ import annotations

import shutil

import pytest

from agent.runner import SolveOptions, run_session
from agent.tools import ToolContext
from agent.tools.run import run_tests_structured
from tests.session_snapshot import Recorder
from tests.solve_kit import committed, edit, finish, plan
from tests.test_tools_helpers import make_ctx

pytestmark = pytest.mark.skipif(shutil.which("cargo") is None, reason="needs cargo")

LIB = """pub fn clamp(v: i32, lo: i32, hi: i32) -> i32 {
    if v < lo {
        lo
    } else if v > hi {
        lo
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside() {
        assert_eq!(clamp(5, 0, 10), 5);
    }

    #[test]
    fn above() {
        println!("checking 15");
        assert_eq!(clamp(15, 0, 10), 10, "clamp above the range");
    }
}
"""
CRASH = "#[test]\nfn aborts() {\n    std::process::abort();\n}\n"
MANIFEST = '[package]\nname = "calc"\nversion = "0.1.0"\nedition = "2021"\n'
SETTINGS = "independent_tests = false\nreproduce = false\n"


def _repo(root, **extra):
    return committed(
        root, {"Cargo.toml": MANIFEST, "src/lib.rs": LIB, ".agent.toml": SETTINGS, **extra}
    )


def test_cargo_failures_crashes_missing_ids_and_build_errors(tmp_path):
    ctx = make_ctx(_repo(tmp_path, **{"tests/crash.rs": CRASH}), test_command="cargo test")
    run = run_tests_structured(ctx, "")
    assert run.runner == "cargo" and run.source == "report"
    assert {c.test_id: c.outcome for c in run.cases} == {
        "src/lib.rs::tests::inside": "passed",
        "src/lib.rs::tests::above": "failed",
        "tests/crash.rs": "error",
    }
    text = run.render()
    assert (
        "FAILED src/lib.rs::tests::above - assertion `left == right` failed: clamp above the range"
    ) in text
    assert "ERROR tests/crash.rs - the test binary crashed" in text and "SIGABRT" in text
    some = run_tests_structured(ctx, "src/lib.rs::tests::inside src/lib.rs::tests::abov")
    assert some.ok and [c.test_id for c in some.cases] == ["src/lib.rs::tests::inside"]
    assert some.missing["src/lib.rs::tests::abov"][0] == "src/lib.rs::tests::above"
    assert "--lib" in some.command and "--exact" in some.command
    (tmp_path / "src" / "lib.rs").write_text(LIB.replace("-> i32 {", "-> i32 {{", 1))
    broken = run_tests_structured(ctx, "src/lib.rs::tests::inside")
    assert [(c.test_id, c.collection) for c in broken.failures] == [("src/lib.rs", True)]
    assert not broken.missing and "COLLECTION ERROR in src/lib.rs - error" in broken.render()
    # Only rustup's toolchains are shown to the sandbox, not its settings or cargo's files.
    home = ctx.sandbox.run(["bash", "-c", "ls -A ~/.rustup; ls -A ~/.cargo"], cwd=ctx.root)
    assert home.stdout.split() == ["toolchains", "bin"] or shutil.which("rustup") is None


def test_agent_solve_in_a_rust_repository_reaches_solved(tmp_path):
    """A wrong first edit fails for real; the debug round says tracing is Python-only."""
    repo = _repo(tmp_path / "r")
    wrong = edit(
        old="    } else if v > hi {\n        lo\n",
        new="    } else if v > hi {\n        v\n",
        path="src/lib.rs",
    )
    fix = edit(
        old="    } else if v > hi {\n        v\n",
        new="    } else if v > hi {\n        hi\n",
        path="src/lib.rs",
    )
    model = Recorder([plan(tests=["src/lib.rs::tests::above"]), wrong, finish(), fix, finish()])
    result = run_session(
        SolveOptions(
            task="clamp(15, 0, 10) returns 0 but should return 10", cwd=repo, model=model.model
        ),
        [model.sink],
    )
    assert result.outcome.status == "solved", result.outcome
    debug = model.step("debug").text  # what the debug round was told
    assert "FAILED src/lib.rs::tests::above - assertion `left == right` failed" in debug
    assert "trace_test is Python-only" in debug
    run_tests = next(t for t in model.requests[0].tools if t.name == "run_tests")
    assert (
        "src/lib.rs::tests::clamps" in run_tests.input_schema["properties"]["target"]["description"]
    )
    assert not (repo / "target").exists()  # builds go to the session's scratch folder


def test_cargo_builds_where_a_command_beside_the_baseline_cannot_write(tmp_path):
    from agent.tools.cargo_runner import cargo_folders, cargo_paths

    scratch = tmp_path / "sid"
    scratch.mkdir()
    ctx = ToolContext(tmp_path / "repo", None, scratch=scratch)
    paths = cargo_paths(ctx)
    folders = cargo_folders(ctx)
    assert {paths["CARGO_TARGET_DIR"], paths["CARGO_HOME"]} == {str(f) for f in folders}
    # beside the scratch folder (every command's), bound writable for the test runs only
    assert {f.parent for f in folders} == {tmp_path / "sid.runs"}
    assert all(f.is_dir() and not f.is_relative_to(scratch) for f in folders)
