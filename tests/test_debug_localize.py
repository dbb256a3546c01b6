"""Fault localization on a small real repository, through the library and the CLI."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from agent.debug.localize import localize
from tests.solve_kit import PYTEST

# `normalize` and `scale` run for exactly the same tests, so coverage alone ties them;
# the trace shows where the exception arose. In `report`, `summary` returns the wrong
# value the test asserts on.
SHAPES = """
def normalize(values):
    top = max(values)
    return [v / top for v in values]


def scale(values, factor):
    return [v * factor for v in normalize(values)]


def clamp(value, low, high):
    return max(low, min(value, high))
"""

REPORT = """
from pkg.shapes import clamp


def count_words(text):
    return len(text.split())


def summary(text):
    words = count_words(text)
    return f"{words - 1} words"


def headline(text):
    return text.strip().title()


def ratio(text, limit):
    return clamp(count_words(text) / limit, 0, 1)
"""

TESTS_SHAPES = """
from pkg.shapes import clamp, scale


def test_scale():
    assert scale([1, 2], 2) == [1.0, 2.0]


def test_scale_zero():
    assert scale([0, 0], 2) == [0, 0]


def test_clamp():
    assert clamp(5, 0, 3) == 3
"""

TESTS_REPORT = """
from pkg.report import headline, ratio, summary


def test_summary():
    assert summary("a b c") == "3 words"


def test_headline():
    assert headline(" hello world ") == "Hello World"


def test_ratio():
    assert ratio("a b", 4) == 0.5
"""


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("loc")
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "shapes.py").write_text(textwrap.dedent(SHAPES))
    (root / "pkg" / "report.py").write_text(textwrap.dedent(REPORT))
    (root / "tests").mkdir()
    (root / "tests" / "test_shapes.py").write_text(textwrap.dedent(TESTS_SHAPES))
    (root / "tests" / "test_report.py").write_text(textwrap.dedent(TESTS_REPORT))
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


def test_the_function_a_test_asserted_on_ranks_first(repo: Path) -> None:
    loc = localize(repo, ["tests/test_report.py::test_summary"], f"{PYTEST} tests")
    assert loc.failing == ["tests/test_report.py::test_summary"]
    assert loc.passing >= 2  # test_ratio touches count_words too
    top = loc.ranked[0]
    assert (top.function, top.path) == ("summary", "pkg/report.py")
    assert any("asserted on" in why for why in top.reasons)
    assert [s.function for s in loc.ranked].index("count_words") > 0


def test_where_the_exception_arose_breaks_a_coverage_tie(repo: Path) -> None:
    loc = localize(repo, ["tests/test_shapes.py::test_scale_zero"], f"{PYTEST} tests")
    assert loc.ranked[0].function == "normalize"
    assert any("ZeroDivisionError arose here" in why for why in loc.ranked[0].reasons)
    plain = {s.function: s.ochiai for s in loc.ochiai_ranked}
    assert plain["normalize"] == plain["scale"]  # the spectrum alone cannot tell them apart
    assert "clamp" not in [s.function for s in loc.ranked]  # never run by the failing test


def test_cli_localize_and_trace(repo: Path) -> None:
    out = subprocess.run(
        ["agent", "localize", "tests/test_report.py::test_summary", "--tests", f"{PYTEST} tests"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    first = out.stdout.splitlines()[1]
    assert first.strip().startswith("1. summary  pkg/report.py:")
    out = subprocess.run(
        ["agent", "trace", "tests/test_shapes.py::test_scale_zero"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert "normalize(values=[0, 0]) raised ZeroDivisionError" in out.stdout
    assert (repo / ".agent" / "traces").is_dir()
    out = subprocess.run(
        ["agent", "trace", "tests/test_shapes.py::test_nothing"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "did not run" in out.stderr
    assert "Traceback" not in out.stderr


def test_model_tools_trace_and_localize(repo: Path) -> None:
    from agent.messages import ToolCall
    from agent.sandbox import Policy, create_sandbox
    from agent.tools import ToolContext, default_registry

    registry = default_registry()
    names = [spec.name for spec in registry.specs()]
    assert "trace_test" in names and "localize" in names
    ctx = ToolContext(
        repo, create_sandbox(Policy(workspace=repo)), test_command=f"{PYTEST} -q tests"
    )
    traced = registry.run(
        ToolCall(
            "1",
            "trace_test",
            {"test_id": "tests/test_report.py::test_summary", "focus": ["summary"]},
        ),
        ctx,
    )
    assert not traced.is_error, traced.content
    assert "summary(text='a b c') returned '2 words'" in traced.content
    assert "words=3" in traced.content  # summary's locals, line by line
    ranked = registry.run(
        ToolCall("2", "localize", {"test_ids": ["tests/test_report.py::test_summary"]}), ctx
    )
    assert ranked.content.splitlines()[1].strip().startswith("1. summary")
    missing = registry.run(ToolCall("3", "trace_test", {"test_id": "tests/test_x.py::nope"}), ctx)
    assert missing.is_error and "did not run" in missing.content


def test_debug_brief_for_the_loop(repo: Path) -> None:
    from agent.debug.report import debug_brief

    text = debug_brief(repo, ["tests/test_report.py::test_summary"], f"{PYTEST} tests")
    ranking, trace = text.split("\n\nTest ", 1)
    assert ranking.splitlines()[1].strip().startswith("1. summary")
    assert "summary(text='a b c') returned '2 words'" in trace
    assert "words=3" in trace  # line by line inside the top-ranked function


CLI_TESTS = """
import shutil
import subprocess
import sys


def _run():
    code = "from pkg.report import summary; print(summary('a b c'))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout


def test_cli_one():
    assert _run().strip() == "3 words"


def test_cli_two():
    assert "3" in _run()


def test_cli_three():
    assert _run().endswith("words\\n") and "3" in _run()
"""


def test_evidence_skips_failing_tests_that_run_the_code_in_another_process(repo, tmp_path):
    from agent.debug.report import debug_evidence

    root = tmp_path / "loc"
    shutil.copytree(repo, root)
    (root / "tests" / "test_a_cli.py").write_text(textwrap.dedent(CLI_TESTS))
    failing = [f"tests/test_a_cli.py::test_cli_{n}" for n in ("one", "two", "three")]
    text, traced = debug_evidence(
        root, [*failing, "tests/test_report.py::test_summary"], f"{PYTEST} tests"
    )
    assert traced == "tests/test_report.py::test_summary"
    assert "No function under the repository root" not in text
    assert text.splitlines()[1].strip().startswith("1. summary")
