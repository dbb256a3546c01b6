"""The SQLite session store: round trips, lookups, concurrent writers, a corrupt file."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from agent import events as ev
from agent.errors import UserError
from agent.messages import Message, Text, ToolCall, ToolResult
from agent.session import SessionStore


@pytest.fixture
def repo(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return tmp_path


def test_events_and_messages_round_trip_and_update_the_session_row(repo):
    store = SessionStore.open(repo)
    session = store.create("fix the add function", "scripted", repo=str(repo), branch="main")
    assert re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{4}", session)
    emitted = [
        ev.SessionStarted(session_id=session, task="fix", model="scripted", repo=str(repo)),
        ev.PhaseChanged(phase="plan", detail="reading app.py"),
        ev.PlanUpdated(reading="add is wrong", steps=("fix", "test"), statuses=("done", "running")),
        ev.ToolCallStarted(call_id="c1", name="read_file", arguments={"path": "app.py"}),
        ev.ToolCallFinished(
            call_id="c1", name="read_file", output="def add", is_error=False, duration_s=0.01
        ),
        ev.TestsRun(command="pytest", passed=3, failed=1, errors=0, failures=("t::x",)),
        ev.CostUpdated(
            input_tokens=1200,
            output_tokens=300,
            cache_read_tokens=800,
            cache_write_tokens=0,
            cost_usd=0.0123,
            model_calls=2,
        ),
    ]
    sink = store.sink(session)
    for event in emitted:
        sink(event)
    assert store.get(session).status == "running"
    sink(ev.Finished(status="solved", stop_reason="tests pass", summary="fixed add"))
    conversation = [
        Message("user", [Text("fix add")]),
        Message("assistant", [Text("reading"), ToolCall("c1", "read_file", {"path": "app.py"})]),
        Message("user", [ToolResult("c1", "def add", is_error=False)]),
    ]
    for message in conversation:
        store.append_message(session, message)

    reopened = SessionStore.open(repo)
    assert reopened.events(session) == [*emitted, store.events(session)[-1]]
    assert reopened.event_dicts(session)[2]["steps"] == ["fix", "test"]
    assert reopened.messages(session) == conversation
    record = reopened.get(session)
    assert (record.status, record.stop_reason, record.summary) == (
        "solved",
        "tests pass",
        "fixed add",
    )
    assert (
        record.cost_usd,
        record.input_tokens,
        record.output_tokens,
        record.cached_tokens,
        record.model_calls,
    ) == (0.0123, 1200, 300, 800, 2)
    assert record.branch == "main" and record.repo == str(repo)
    sink(
        ev.SessionStarted(
            session_id=session, task="fix", model="scripted", repo="/elsewhere", resumed=True
        )
    )
    assert (store.get(session).status, store.get(session).repo) == ("running", "/elsewhere")


def test_lookup_by_prefix_list_order_mark_and_update(repo):
    store = SessionStore.open(repo)
    first = store.create("one", "m")
    second = store.create("two", "m")
    third = store.create("three", "m")
    assert [r.id for r in store.list()] == [third, second, first]
    assert store.latest().id == third
    unique = next(
        first[:n]
        for n in range(1, len(first) + 1)
        if not second.startswith(first[:n]) and not third.startswith(first[:n])
    )
    assert store.get(unique).id == first
    assert store.get(second).task == "two"
    with pytest.raises(UserError, match="ambiguous"):
        store.get(first[:8])
    with pytest.raises(UserError, match="no session 'nope'"):
        store.get("nope")
    with pytest.raises(UserError, match="no session"):
        store.get("2%")  # LIKE wildcards are taken literally
    store.mark(first, "interrupted", "Ctrl-C")
    store.update(first, base_checkpoint="abc123")
    record = store.get(first)
    assert (record.status, record.stop_reason, record.base_checkpoint) == (
        "interrupted",
        "Ctrl-C",
        "abc123",
    )
    with pytest.raises(ValueError):
        store.update(first, cost_usd="1")


def test_store_lives_in_dot_agent_excluded_from_git_with_migrations_recorded(repo):
    SessionStore.open(repo).create("t", "m")
    SessionStore.open(repo)
    assert (repo / ".agent" / "sessions.sqlite").is_file()
    assert ".agent/" in (repo / ".git" / "info" / "exclude").read_text()
    assert not (repo / ".gitignore").exists()
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=repo, check=True, capture_output=True, text=True
    ).stdout
    assert status == ""
    db = sqlite3.connect(repo / ".agent" / "sessions.sqlite")
    assert db.execute("SELECT name FROM migrations ORDER BY name").fetchall() == [
        ("001_sessions_events_messages",),
        ("002_session_owner",),
    ]
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from agent import events as ev
    from agent.session import SessionStore

    root, session, name = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    store = SessionStore.open(root)
    sink = store.sink(session)
    for n in range(150):
        sink(ev.PhaseChanged(phase=name, detail=str(n)))
        if n % 50 == 0:
            store.create(f"{name} {n}", "m")
""")


def test_two_processes_write_the_same_session_at_once(repo):
    store = SessionStore.open(repo)
    session = store.create("shared", "m")
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(repo), session, name])
        for name in ("alpha", "beta")
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]

    events = store.event_dicts(session)
    assert len(events) == 300
    for name in ("alpha", "beta"):
        details = [e["detail"] for e in events if e["phase"] == name]
        assert details == [str(n) for n in range(150)]  # each writer's order is kept
    seqs = [
        row[0]
        for row in sqlite3.connect(repo / ".agent" / "sessions.sqlite").execute(
            "SELECT seq FROM events WHERE session_id = ? ORDER BY seq", (session,)
        )
    ]
    assert seqs == list(range(1, 301))
    assert len(store.list()) == 7


def test_a_corrupt_store_is_moved_aside_and_a_new_one_started(repo):
    (repo / ".agent").mkdir()
    garbage = b"this is not a database" * 100
    (repo / ".agent" / "sessions.sqlite").write_bytes(garbage)

    store = SessionStore.open(repo)

    assert store.notice and "moved to sessions.sqlite.corrupt-" in store.notice
    aside = list((repo / ".agent").glob("sessions.sqlite.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == garbage
    session = store.create("after recovery", "m")
    assert SessionStore.open(repo).get(session).task == "after recovery"
    assert SessionStore.open(repo).notice is None


def test_a_locked_store_is_reported_and_never_moved_aside(repo):
    (repo / ".agent").mkdir()
    holder = sqlite3.connect(repo / ".agent" / "sessions.sqlite", isolation_level=None)
    holder.execute("CREATE TABLE kept (x)")
    holder.execute("BEGIN EXCLUSIVE")  # a rollback-journal database: no one else may read
    try:
        with pytest.raises(UserError, match="cannot be opened: database is locked"):
            SessionStore.open(repo, busy_timeout_s=0.2)
    finally:
        holder.execute("ROLLBACK")
    assert not list((repo / ".agent").glob("*.corrupt-*"))
    store = SessionStore.open(repo)
    assert store.notice is None and store.get(store.create("t", "m")).task == "t"
