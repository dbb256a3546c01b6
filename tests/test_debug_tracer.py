"""The tracer on real code, run by real pytest inside the real sandbox."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agent.debug.calltree import bottom_up, failing_path, focused_test
from agent.debug.coverage_map import PytestCommand
from agent.debug.render import render_trace
from agent.debug.trace_run import trace_tests
from tests.solve_kit import PYTEST

LIB = """
import json
import os
import re


def fact(n):
    if n <= 1:
        return 1
    return n * fact(n - 2)


def evens(limit):
    for i in range(limit):
        if i % 2 == 0:
            yield i


def lookup(table, key):
    return table[key]


def describe(table, key):
    value = lookup(table, key)
    return f"{key}={value}"


def biggest(items):
    return max(items)


def _hook(obj):
    return {k.upper(): v for k, v in obj.items()}


def load(text):
    return json.loads(text, object_hook=_hook)


def _shout(match):
    return match.group(0).upper()


def loud(text):
    return re.sub(r"[a-z]+", _shout, text)


def total(items):
    acc = 0
    for x in items:
        acc += x
    return acc - 1


def child_work():
    return "child"


def spawn():
    pid = os.fork()
    if pid == 0:
        child_work()
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def churn(n):
    for i in range(n):
        biggest([i, i + 1])
    return lookup({}, "missing")
"""

TESTS = """
from lib import fact, evens, describe, biggest, load, loud, total, spawn, churn


def test_recursion():
    assert fact(4) == 24


def test_generator():
    assert list(evens(5)) == [0, 2, 4, 6]


def test_exception():
    assert describe({"a": 1}, "b") == "b=2"


def test_large():
    assert biggest(list(range(100000))) == -1


def test_c_extensions():
    assert load('{"a": {"b": 1}}') == {"A": {"B": 1}}
    assert loud("ab cd") == "AB CD!"


def test_loop():
    result = total(range(1000))
    assert result == 499500


def test_fork():
    assert spawn() > 0
    assert False, "after fork"


def test_churn():
    churn(3000)
"""


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("traced")
    (root / "lib.py").write_text(textwrap.dedent(LIB))
    (root / "tests").mkdir()
    (root / "tests" / "test_lib.py").write_text(textwrap.dedent(TESTS))
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


@pytest.fixture(scope="module")
def traces(repo: Path) -> dict[str, dict]:
    names = ["recursion", "generator", "exception", "large", "c_extensions", "loop", "fork"]
    ids = [f"tests/test_lib.py::test_{n}" for n in names]
    found = trace_tests(repo, ids, PytestCommand.parse(PYTEST), keep_in=repo / ".agent" / "traces")
    return {t["test"].split("::test_")[-1]: t for t in found}


def _calls(trace: dict, func: str) -> list[dict]:
    return [c for c in trace["calls"] if c["func"] == func]


def test_recursion_records_each_level_with_its_argument(traces: dict) -> None:
    calls = _calls(traces["recursion"], "fact")
    assert [c["args"]["n"] for c in calls] == ["4", "2", "0"]
    assert [c["ret"] for c in calls] == ["8", "2", "1"]
    assert calls[1]["parent"] == calls[0]["id"]
    text = render_trace(traces["recursion"])
    assert "fact(n=4) returned 8" in text and "assert 8 == 24" in text


def test_generator_yields_are_recorded_per_resume(traces: dict) -> None:
    calls = _calls(traces["generator"], "evens")
    assert [c["ret"] for c in calls if "yield" in c["kind"]] == ["0", "2", "4"]
    assert calls[0]["kind"] == "yield" and calls[1]["kind"] == "resume-yield"


def test_exception_path_goes_from_test_to_where_it_arose(traces: dict) -> None:
    path = failing_path(traces["exception"])
    assert [c["func"] for c in path.chain] == ["test_exception", "describe", "lookup"]
    assert path.raised_in["func"] == "lookup"
    assert path.raised_in["exc"]["type"] == "KeyError"
    assert [c["func"] for c in bottom_up(traces["exception"])] == ["lookup", "describe"]
    assert "lookup(table={'a': 1}, key='b') raised KeyError" in render_trace(traces["exception"])


def test_large_objects_are_shown_bounded(traces: dict) -> None:
    call = _calls(traces["large"], "biggest")[0]
    assert len(call["args"]["items"]) < 300 and "..." in call["args"]["items"]
    assert call["ret"] == "99999"
    assert Path(traces["large"]["artifact"]).stat().st_size < 20_000


def test_callbacks_from_c_code_are_attached_to_the_repo_caller(traces: dict) -> None:
    trace = traces["c_extensions"]
    load = _calls(trace, "load")[0]
    hooks = _calls(trace, "_hook")
    assert len(hooks) == 2 and all(h["parent"] == load["id"] for h in hooks)
    loud = _calls(trace, "loud")[0]
    assert [c["ret"] for c in _calls(trace, "_shout")] == ["'AB'", "'CD'"]
    assert loud["ret"] == "'AB CD'"


def test_loops_keep_first_and_last_iterations(traces: dict) -> None:
    call = _calls(traces["loop"], "total")[0]
    seen_x = [s[2]["x"] for s in call["steps"] if "x" in s[2]]
    assert seen_x[:3] == ["0", "1", "2"] and seen_x[-1] == "999"
    assert call["omitted_steps"] > 1900
    text = render_trace(traces["loop"])
    assert "steps (middle iterations) omitted" in text
    assert "total(items=range(0, 1000)) returned 499499" in text
    assert "<- its result reached the failing line" in text


def test_a_forking_test_leaves_one_clean_artifact(repo: Path, traces: dict) -> None:
    trace = traces["fork"]
    assert trace["outcome"] == "failed" and "after fork" in trace["failure"]["message"]
    assert [c["func"] for c in trace["calls"]] == ["test_fork", "spawn"]  # not the child's
    artifacts = list((repo / ".agent" / "traces").glob("test_fork-*"))
    assert len(artifacts) == 1
    json.loads(artifacts[0].read_text())


def test_caps_bound_events_and_bytes_but_keep_the_failure(repo: Path) -> None:
    [trace] = trace_tests(
        repo,
        ["tests/test_lib.py::test_churn"],
        PytestCommand.parse(PYTEST),
        max_events=500,
        max_bytes=20_000,
        keep_in=repo / ".agent" / "traces" / "capped",
    )
    assert trace["truncated"] and trace["dropped_calls"] > 2500
    assert len(json.dumps(trace)) < 21_000
    path = failing_path(trace)
    assert [c["func"] for c in path.chain] == ["test_churn", "churn", "lookup"]
    assert "KeyError" in render_trace(trace)


def test_captured_arguments_become_a_focused_unit_test(repo: Path, traces: dict) -> None:
    call = _calls(traces["exception"], "lookup")[0]
    source = focused_test(call, expected="None")
    assert source is not None and "lookup(table={'a': 1}, key='b')" in source
    (repo / "tests" / "test_focused.py").write_text(source)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "tests/test_focused.py"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert "KeyError" in run.stdout and "1 failed" in run.stdout
    assert focused_test(_calls(traces["large"], "biggest")[0], "1") is None  # cut short


def test_runaway_recursion_is_traced_without_breaking_the_tracer(repo: Path) -> None:
    (repo / "runaway.py").write_text("def down(n):\n    return down(n + 1)\n")
    (repo / "tests" / "test_runaway.py").write_text(
        "from runaway import down\n\n\ndef test_down():\n    down(0)\n"
    )
    [trace] = trace_tests(repo, ["tests/test_runaway.py::test_down"], PytestCommand.parse(PYTEST))
    assert trace["failure"]["message"].startswith("RecursionError")
    downs = [c for c in trace["calls"] if c["func"] == "down"]
    assert len(downs) > 500 and downs[0]["args"] == {"n": "0"}
    assert failing_path(trace).raised_in["func"] == "down"
