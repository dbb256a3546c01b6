"""`agent sessions`, `show`, `diff` and `undo` as a user runs them, in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from agent import events as ev
from agent.gitops.checkpoints import Workspace
from agent.session import SessionStore
from tests.test_git import files_state, make_repo, user_state

AGENT = [sys.executable, "-c", "from agent.cli import main; main()"]


def agent(root, *args):
    return subprocess.run(
        [*AGENT, *args], cwd=root, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def recorded(tmp_path):
    """A repository with one finished session recorded the way the loop records one."""
    root = make_repo(tmp_path)
    start = files_state(root)
    store = SessionStore.open(root)
    older = store.create("an older task", "scripted")
    session = store.create(
        "fix add so 2 + 2 is 4 " + "with a long explanation " * 5,
        "scripted",
        repo=str(root),
        branch="main",
    )
    workspace = Workspace.open(root)
    store.update(session, base_checkpoint=workspace.checkpoint(session, "start"))
    sink = store.sink(session)
    sink(ev.SessionStarted(session_id=session, task="fix add", model="scripted", repo=str(root)))
    sink(ev.PhaseChanged(phase="plan", detail="one step"))
    sink(ev.PlanUpdated(reading="add subtracts", steps=("use +",), statuses=("done",)))
    sink(ev.ModelText(text="I will ", delta=True))
    sink(ev.ModelText(text="fix it.", delta=True))
    sink(ev.ToolCallStarted(call_id="c1", name="edit_file", arguments={"path": "app.py"}))
    (root / "app.py").write_text("def add(a, b):\n    return a + b\n")
    (root / "test_app.py").write_text("def test():\n    pass\n")
    checkpoint = workspace.checkpoint(session, "edit app.py")
    sink(
        ev.ToolCallFinished(
            call_id="c1",
            name="edit_file",
            output="\n".join(f"line {n}" for n in range(30)),
            is_error=False,
            duration_s=0.2,
        )
    )
    sink(ev.EditApplied(path="app.py", diff="-a - b\n+a + b", checkpoint=checkpoint))
    sink(
        ev.TestsRun(
            command="python -m pytest",
            passed=4,
            failed=1,
            errors=0,
            failures=("test_app.py::test_sub",),
        )
    )
    sink(
        ev.CostUpdated(
            input_tokens=5000,
            output_tokens=700,
            cache_read_tokens=4000,
            cache_write_tokens=0,
            cost_usd=0.0421,
            model_calls=3,
        )
    )
    sink(
        ev.Finished(
            status="not_solved",
            stop_reason="debug rounds used up",
            summary="add fixed; one test still fails",
        )
    )
    return root, session, older, start


def test_sessions_lists_newest_first_as_a_table_and_as_json(recorded):
    root, session, older, _ = recorded
    table = agent(root, "sessions")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert session in lines[1] and older in lines[2]
    assert "not_solved" in lines[1] and "$0.04" in lines[1] and "…" in lines[1]
    as_json = json.loads(agent(root, "sessions", "--json").stdout)
    assert [s["id"] for s in as_json] == [session, older]
    assert as_json[0]["cost_usd"] == 0.0421 and as_json[0]["stop_reason"] == "debug rounds used up"


def test_show_prints_the_transcript_and_json_events(recorded):
    root, session, older, _ = recorded
    # A prefix is enough; both sessions may have started in the same second.
    prefix = next(
        session[:n] for n in range(17, len(session) + 1) if not older.startswith(session[:n])
    )
    shown = agent(root, "show", prefix)
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    for expected in (
        "-- plan: one step",
        "[done] use +",
        "  I will fix it.",
        "> edit_file(path='app.py')",
        "< edit_file ok (0.2s)",
        "    line 7",
        "... (22 more lines)",
        "edited app.py (checkpoint",
        "tests: 4 passed, 1 failed",
        "failing: test_app.py::test_sub",
        "== finished: not_solved (debug rounds used up)",
        "add fixed; one test still fails",
        "cost $0.0421",
        "cached 4000",
    ):
        assert expected in text, expected
    events = json.loads(agent(root, "show", session, "--json").stdout)
    assert [e["kind"] for e in events][:2] == ["session_started", "phase_changed"]
    assert events[-1]["kind"] == "finished"


def test_diff_then_undo_then_undo_the_undo(recorded):
    root, session, _, start = recorded
    before_user = user_state(root)
    shown = agent(root, "diff")
    assert shown.returncode == 0 and "+    return a + b" in shown.stdout
    assert "b/test_app.py" in shown.stdout

    undone = agent(root, "undo")
    assert undone.returncode == 0, undone.stderr
    assert "Restored 2 file(s)" in undone.stdout
    assert files_state(root) == start
    assert agent(root, "diff").stdout == ""

    saved = undone.stdout.split("--to ")[1].split("`")[0]
    redone = agent(root, "undo", "--to", saved)
    assert redone.returncode == 0, redone.stderr
    assert (root / "test_app.py").exists()
    assert agent(root, "undo", "--session", session, "--to-start").returncode == 0
    assert files_state(root) == start
    assert user_state(root) == before_user


@pytest.mark.parametrize(
    "args",
    [
        ("show", "no-such-id"),
        ("undo", "--session", "zzz"),
        ("diff", "--session", "zzz"),
    ],
)
def test_unknown_session_is_one_line_and_exit_2(recorded, args):
    root = recorded[0]
    result = agent(root, *args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no session" in result.stderr
    assert "Traceback" not in result.stderr


def test_commands_outside_a_repository_and_with_no_sessions(tmp_path):
    outside = agent(tmp_path, "sessions")
    assert outside.returncode == 2 and "not inside a git repository" in outside.stderr
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert "No sessions yet" in agent(tmp_path, "sessions").stdout
    undo = agent(tmp_path, "undo")
    assert undo.returncode == 2 and "no sessions yet" in undo.stderr


def test_diff_and_undo_of_a_worktree_session_act_on_its_worktree(tmp_path):
    root = make_repo(tmp_path)
    before = files_state(root)
    store = SessionStore.open(root)
    session = store.create("in a worktree", "scripted")
    path = Workspace.open(root).worktree(session)
    worktree = Workspace.open(path)
    worktree.checkpoint(session, "start")
    store.sink(session)(
        ev.SessionStarted(session_id=session, task="t", model="scripted", repo=str(path))
    )
    (path / "app.py").write_text("changed in the worktree\n")

    shown = agent(root, "diff")
    assert "+changed in the worktree" in shown.stdout
    assert agent(root, "undo").returncode == 0
    assert (path / "app.py").read_text().startswith("def add")
    assert files_state(root) == before
