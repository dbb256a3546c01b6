"""The executor: one turn's calls as a DAG, reads in parallel, writes in order, results in order."""

from __future__ import annotations

import threading
import time

from agent.messages import ToolCall
from agent.tools import Registry, default_registry, execute_turn, tool
from agent.tools.executor import plan_turn
from tests.test_tools_helpers import make_ctx, make_repo

LOG: list[tuple[str, str, float]] = []
_log_lock = threading.Lock()


def _note(event: str, label: str) -> None:
    with _log_lock:
        LOG.append((event, label, time.perf_counter()))


@tool(read_only=True, paths=("path",))
def slow_read(ctx, path: str, seconds: float = 0.4) -> str:
    """Read slowly.

    Args:
        path: Which file.
        seconds: How long to take.
    """
    _note("start", f"read {path}")
    time.sleep(seconds)
    _note("end", f"read {path}")
    return (ctx.root / path).read_text()


@tool(read_only=False, paths=("path",))
def slow_append(ctx, path: str, text: str, seconds: float = 0.2) -> str:
    """Append slowly.

    Args:
        path: Which file.
        text: What to append.
        seconds: How long to take.
    """
    _note("start", f"append {text}")
    time.sleep(seconds)
    with open(ctx.root / path, "a") as handle:
        handle.write(text)
    _note("end", f"append {text}")
    return f"appended {text}"


@tool(read_only=True)
def crash(ctx) -> str:
    """Fail."""
    raise ValueError("bad state")


def _registry() -> Registry:
    registry = default_registry()
    for extra in (slow_read, slow_append, crash):
        registry.add(extra)
    return registry


def _calls(*specs: tuple[str, dict]) -> list[ToolCall]:
    return [ToolCall(f"c{i}", name, args) for i, (name, args) in enumerate(specs)]


def _span(label: str) -> tuple[float, float]:
    """When the first call labelled `label` started and ended."""
    times: dict[str, float] = {}
    for event, name, at in LOG:
        if name == label:
            times.setdefault(event, at)
    return times["start"], times["end"]


def test_independent_reads_run_concurrently(tmp_path):
    ctx = make_ctx(make_repo(tmp_path, {f"f{i}.txt": f"file {i}\n" for i in range(4)}))
    calls = _calls(*[("slow_read", {"path": f"f{i}.txt", "seconds": 0.4}) for i in range(4)])
    started = time.perf_counter()
    results = execute_turn(calls, _registry(), ctx)
    elapsed = time.perf_counter() - started
    assert [r.content for r in results] == [f"file {i}\n" for i in range(4)]
    assert [r.call_id for r in results] == ["c0", "c1", "c2", "c3"]
    assert elapsed < 1.0, f"four 0.4 s reads took {elapsed:.2f} s: they did not overlap"


def test_writes_run_in_order_after_earlier_reads_of_the_same_file(tmp_path):
    LOG.clear()
    ctx = make_ctx(make_repo(tmp_path, {"a.txt": "", "b.txt": "b\n"}))
    calls = _calls(
        ("slow_read", {"path": "a.txt", "seconds": 0.3}),
        ("slow_append", {"path": "a.txt", "text": "1", "seconds": 0.2}),
        ("slow_read", {"path": "b.txt", "seconds": 0.3}),
        ("slow_append", {"path": "b.txt", "text": "2", "seconds": 0.0}),
        ("slow_read", {"path": "a.txt", "seconds": 0.0}),
    )
    results = execute_turn(calls, _registry(), ctx)
    assert results[0].content == ""  # the read ran before the append to the same file
    assert results[2].content == "b\n"
    assert results[4].content == "1"  # a read after a write sees the write
    assert (tmp_path / "a.txt").read_text() == "1"
    assert (tmp_path / "b.txt").read_text() == "b\n2"
    first_read, first_append = _span("read a.txt"), _span("append 1")
    assert first_append[0] >= first_read[1]
    assert _span("append 2")[0] >= first_append[1]  # writes one at a time, in order
    assert _span("read b.txt")[0] < first_read[1]  # the other read overlapped the first


def test_run_command_is_a_barrier(tmp_path):
    ctx = make_ctx(make_repo(tmp_path, {"a.txt": "before\n"}))
    calls = _calls(
        ("read_file", {"path": "a.txt"}),
        ("run_command", {"command": "echo after > a.txt"}),
        ("read_file", {"path": "a.txt"}),
    )
    assert plan_turn(calls, _registry(), ctx.root) == [set(), {0}, {1}]
    results = execute_turn(calls, _registry(), ctx)
    assert "1\tbefore" in results[0].content
    assert "1\tafter" in results[2].content
    assert ctx.changed_files == ["a.txt"]


def test_real_edit_then_read_in_one_turn(tmp_path):
    ctx = make_ctx(make_repo(tmp_path, {"m.py": "X = 1\n", "n.py": "Y = 2\n"}))
    calls = _calls(
        ("read_file", {"path": "n.py"}),
        ("edit_file", {"path": "m.py", "old": "X = 1", "new": "X = 10"}),
        ("search", {"pattern": "X = "}),
        ("read_file", {"path": "m.py"}),
    )
    deps = plan_turn(calls, _registry(), ctx.root)
    assert deps == [set(), set(), {1}, {1}]
    results = execute_turn(calls, _registry(), ctx)
    assert "m.py:1: X = 10" in results[2].content
    assert "1\tX = 10" in results[3].content


def test_bad_calls_become_error_results_in_place(tmp_path):
    ctx = make_ctx(make_repo(tmp_path, {"a.txt": "a\n"}))
    started, finished = [], []
    calls = _calls(
        ("no_such_tool", {}),
        ("read_file", {"paht": "a.txt"}),
        ("crash", {}),
        ("read_file", {"path": "a.txt"}),
    )
    results = execute_turn(
        calls,
        _registry(),
        ctx,
        on_start=lambda call: started.append(call.id),
        on_finish=lambda call, result, seconds: finished.append(
            (call.id, result.is_error, seconds)
        ),
    )
    assert [r.is_error for r in results] == [True, True, True, False]
    assert "unknown tool 'no_such_tool'" in results[0].content
    assert "missing required argument 'path'" in results[1].content
    assert results[2].content == "crash failed: ValueError: bad state"
    assert sorted(started) == ["c0", "c1", "c2", "c3"]
    assert sorted(f[0] for f in finished) == ["c0", "c1", "c2", "c3"]
    assert all(seconds >= 0 for _, _, seconds in finished)
    assert execute_turn([], _registry(), ctx) == []


def test_parallel_index_queries_share_one_index(tmp_path):
    files = {f"pkg/m{i}.py": f"def func_{i}():\n    return {i}\n" for i in range(6)}
    ctx = make_ctx(make_repo(tmp_path, files))
    calls = _calls(
        *[("find_symbol", {"name": f"func_{i}"}) for i in range(6)],
        *[("outline", {"path": f"pkg/m{i}.py"}) for i in range(6)],
    )
    results = execute_turn(calls, _registry(), ctx)
    assert all(not r.is_error for r in results), [r.content for r in results if r.is_error]
    for i in range(6):
        assert f"pkg/m{i}.py:1-2: function func_{i}" in results[i].content
        assert f"1-2: def func_{i}():" in results[6 + i].content


def test_finish_marks_the_context_done(tmp_path):
    ctx = make_ctx(make_repo(tmp_path, {"a.txt": "a\n"}))
    assert ctx.finished is None
    calls = _calls(
        ("edit_file", {"path": "a.txt", "old": "a", "new": "b"}),
        ("finish", {"summary": "Changed a to b."}),
    )
    results = execute_turn(calls, _registry(), ctx)
    assert [r.is_error for r in results] == [False, False]
    assert ctx.finished == "Changed a to b."
    assert ctx.take_changed_files() == ["a.txt"] and ctx.take_changed_files() == []
