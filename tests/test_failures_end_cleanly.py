"""Failures end a solve with one line and a non-zero exit, and leave no session `running`.

Each case runs `python -m agent solve` in a real repository against a real model path: the
anthropic or openai SDK talking to the loopback server, or a bridge folder. A full disk is a
real one (a small tmpfs); edit_file's size limit is checked through the real tool.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.loopback import LoopbackServer, Reply, anthropic_events, openai_events
from tests.solve_kit import git, make_repo

TASK = "clamp() returns low above the range; it should return high"


def agent(repo, *argv, env=None, timeout=180):
    """`python -m agent ARGV` in `repo`, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "agent", *argv],
        cwd=repo,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def one_error_line(done) -> str:
    """The single line a failed run wrote to stderr (and that it was one line, no traceback)."""
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("agent: "), done.stderr
    return lines[0]


def sessions(repo) -> list[dict]:
    """`agent sessions --json`."""
    listed = agent(repo, "sessions", "--json")
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


def model_env(server: LoopbackServer) -> dict[str, str]:
    return {"ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_API_KEY": "test-key"}


def model_flag(api: str, server: LoopbackServer) -> str:
    if api == "anthropic":
        return "anthropic:claude-test"
    return f"openai:gpt-test@{server.openai_url}"


def _malformed_json(api: str) -> list[tuple[str | None, str]]:
    events = (anthropic_events if api == "anthropic" else openai_events)(Reply(text="thinking"))
    return events[:3] + [(events[3][0], '{"type": "content_block_delta", "index": 0, "delta": {')]


def _delta_for_a_block_never_started() -> list[tuple[str | None, str]]:
    events = anthropic_events(Reply(text="thinking"))
    stray = {
        "type": "content_block_delta",
        "index": 4,
        "delta": {"type": "text_delta", "text": "?"},
    }
    return events[:2] + [("content_block_delta", json.dumps(stray))] + events[2:]


@pytest.mark.parametrize(
    "api, events, said",
    [
        ("anthropic", _malformed_json("anthropic"), "not valid JSON"),
        ("openai", _malformed_json("openai"), "not valid JSON"),
        (
            "anthropic",
            _delta_for_a_block_never_started(),
            "content block 4, which it never started",
        ),
    ],
    ids=["anthropic-malformed-json", "openai-malformed-json", "anthropic-delta-unknown-block"],
)
def test_a_broken_stream_ends_the_session_as_an_error(tmp_path, api, events, said):
    repo = make_repo(tmp_path / "r")
    with LoopbackServer() as server:
        server.script(Reply(events=events))
        done = agent(
            repo, "solve", TASK, "--model", model_flag(api, server), "--json", env=model_env(server)
        )
    assert said in one_error_line(done)
    assert done.returncode == 2
    (record,) = sessions(repo)
    assert record["status"] == "error" and said in record["stop_reason"]
    assert json.loads(done.stdout)["status"] == "error"


@pytest.mark.parametrize(
    "pyproject, said",
    [
        ("tool = 3\n", "`tool` must be a table"),
        ("[tool]\npytest = 3\n", "[tool.pytest] must be a table"),
    ],
)
def test_a_pyproject_whose_tool_is_not_a_table_is_one_line_and_no_session(
    tmp_path, pyproject, said
):
    repo = make_repo(tmp_path / "r", files={"pyproject.toml": pyproject})
    done = agent(repo, "solve", TASK, "--model", "scripted")
    assert said in one_error_line(done) and done.returncode == 2
    assert sessions(repo) == []


def test_a_bridge_path_that_is_a_file_is_one_line_and_no_session(tmp_path):
    repo = make_repo(tmp_path / "r")
    (tmp_path / "answers").write_text("not a folder")
    done = agent(repo, "solve", TASK, "--model", f"bridge:{tmp_path / 'answers'}")
    assert "is a file, not a folder" in one_error_line(done) and done.returncode == 2
    assert sessions(repo) == []


def test_a_dirty_tree_refusal_starts_no_session(tmp_path):
    repo = make_repo(tmp_path / "r")
    (repo / "calc.py").write_text("# changed\n")
    done = agent(repo, "solve", TASK, "--model", "scripted")
    assert "uncommitted changes (calc.py)" in one_error_line(done)
    assert sessions(repo) == []


@pytest.mark.parametrize(
    "name, said",
    [
        ("bad..name", "is not a valid git branch name"),
        ("-rf", "is not a valid git branch name"),
        ("@{-1}", "is not a valid git branch name"),
        ("main", "already exists"),
    ],
)
def test_a_bad_branch_name_is_refused_before_any_session(tmp_path, name, said):
    repo = make_repo(tmp_path / "r")
    git(repo, "checkout", "-q", "-b", "other")  # so @{-1} would name main
    done = agent(repo, "solve", TASK, "--model", "scripted", f"--branch={name}")
    assert said in one_error_line(done) and done.returncode == 2
    assert sessions(repo) == []
    assert git(repo, "branch", "--format=%(refname:short)").split() == ["main", "other"]


def test_commit_on_a_detached_head_is_refused_with_advice(tmp_path):
    repo = make_repo(tmp_path / "r")
    git(repo, "checkout", "-q", "--detach")
    done = agent(repo, "solve", TASK, "--model", "scripted", "--commit")
    line = one_error_line(done)
    assert "HEAD is detached" in line and "--branch" in line
    assert sessions(repo) == []


@pytest.mark.parametrize("api", ["anthropic", "openai"])
def test_tool_arguments_that_are_not_json_reach_the_model_as_that_error(tmp_path, api):
    repo = make_repo(tmp_path / "r")
    broken = {"id": "call_1", "name": "read_file", "input": '{"path": "calc.py'}
    with LoopbackServer() as server:
        server.script(
            Reply(tool_calls=[broken]),
            Reply(
                status=400, error_type="invalid_request_error", error_message="enough for this test"
            ),
        )
        done = agent(repo, "solve", TASK, "--model", model_flag(api, server), env=model_env(server))
        assert "enough for this test" in one_error_line(done)
        answered = server.requests[1].body["messages"]
    if api == "anthropic":
        (result,) = [
            block
            for message in answered
            if isinstance(message["content"], list)
            for block in message["content"]
            if block.get("type") == "tool_result"
        ]
        assert result["tool_use_id"] == "call_1" and result["is_error"] is True
        content = result["content"]
    else:
        (result,) = [message for message in answered if message["role"] == "tool"]
        assert result["tool_call_id"] == "call_1"
        content = result["content"]
    assert "the arguments of read_file were not valid JSON" in content
    assert "Unterminated string" in content  # the parser's own words
    assert '{"path": "calc.py' in content  # and what was sent


def test_a_killed_session_reads_interrupted_process_gone_and_resumes(tmp_path):
    import signal
    import threading

    from tests.solve_kit import edit, finish, plan
    from tests.test_solve import as_bridge, bridge_answers, start_bridged_session

    repo = make_repo(tmp_path / "r")
    process = start_bridged_session(repo, tmp_path / "bridge", [as_bridge(plan())])
    (alive,) = sessions(repo)
    assert alive["status"] == "running" and alive["owner_pid"] == process.pid
    busy = agent(repo, "solve", "--resume", alive["id"], "--model", "scripted")
    # The tree's lock answers first: the live session holds it.
    assert f"session {alive['id']} (pid {process.pid}) is already working" in one_error_line(busy)
    process.send_signal(signal.SIGKILL)
    process.wait()

    (record,) = sessions(repo)
    assert (record["status"], record["stop_reason"]) == ("interrupted", "process gone")
    table = agent(repo, "sessions", env={"COLUMNS": "200"})
    assert "interrupted (process gone)" in table.stdout
    shown = agent(repo, "show", record["id"])
    assert f"session {record['id']}  interrupted (process gone)" in shown.stdout

    folder = tmp_path / "bridge-resumed"
    answers = [as_bridge(edit()), as_bridge(finish())]
    threading.Thread(target=bridge_answers, args=(folder, answers), daemon=True).start()
    done = agent(repo, "solve", "--resume", record["id"], "--model", f"bridge:{folder}", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["session_id"] == record["id"]
    (resumed,) = sessions(repo)
    assert resumed["status"] == "solved"
    assert "return high" in (repo / "calc.py").read_text()


def test_a_session_whose_pid_was_reused_is_not_taken_for_alive(tmp_path):
    import sqlite3

    repo = make_repo(tmp_path / "r")
    done = agent(repo, "solve", TASK, "--model", "scripted")
    assert done.returncode != 0
    db = sqlite3.connect(repo / ".agent" / "sessions.sqlite")
    # A running session owned by a live pid (this test's own) that started at another time.
    db.execute(
        "UPDATE sessions SET status = 'running', owner_pid = ?, owner_start = '1'", (os.getpid(),)
    )
    db.commit()
    db.close()
    (record,) = sessions(repo)
    assert (record["status"], record["stop_reason"]) == ("interrupted", "process gone")


@pytest.fixture
def small_disk(tmp_path):
    """A 24 MB tmpfs of its own (skipped where this process may not mount one)."""
    where = tmp_path / "disk"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(disk) -> None:
    with open(disk / "filler", "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass


def test_a_full_disk_is_one_line_and_the_session_is_not_left_running(small_disk):
    repo = make_repo(small_disk / "r")

    def fill_then_answer(request):
        _fill(small_disk)  # the disk fills up while the model is thinking
        return Reply(text="Here is a long answer that has to be stored. " * 200)

    with LoopbackServer() as server:
        server.script(fill_then_answer)
        done = agent(repo, "solve", TASK, "--model", "anthropic:claude-test", env=model_env(server))
    line = one_error_line(done)
    assert "disk is full" in line
    (small_disk / "filler").unlink()
    (record,) = sessions(repo)
    # Nothing can be written to a full disk, the session's end included; once the process is
    # gone the session reads interrupted (process gone).
    assert (record["status"], record["stop_reason"]) in (
        ("interrupted", "process gone"),
        ("error", line.removeprefix("agent: ")),
    )


def test_no_space_for_an_atomic_write_is_one_line_and_the_session_ends_as_an_error(
    tmp_path, small_disk
):
    repo = make_repo(tmp_path / "r")
    (small_disk / "bridge").mkdir()
    _fill(small_disk)
    done = agent(repo, "solve", TASK, "--model", f"bridge:{small_disk / 'bridge'}")
    line = one_error_line(done)
    assert line.startswith("agent: the disk is full (No space left on device")
    assert done.returncode == 2
    (record,) = sessions(repo)
    assert record["status"] == "error" and "disk is full" in record["stop_reason"]


def test_edit_file_on_a_file_over_10_mb_refuses_at_once(tmp_path):
    import time

    from tests.test_tools_helpers import call, make_ctx
    from tests.test_tools_helpers import make_repo as make_tool_repo

    line = "VALUE_%d = 'a line of a generated module, long enough to add up'\n"
    big = "".join(line % i for i in range(12 * 1024 * 1024 // 64))
    ctx = make_ctx(make_tool_repo(tmp_path / "r", {"generated.py": big}))
    started = time.perf_counter()
    result = call(
        ctx, "edit_file", path="generated.py", old="VALUE_7 = 'not in the file'", new="VALUE_7 = 0"
    )
    assert time.perf_counter() - started < 1.0
    size_mb = len(big) / 1024 / 1024
    assert result.is_error and "run_command" in result.content
    assert (
        f"generated.py is {size_mb:.1f} MB; edit_file edits files of up to 10 MB" in result.content
    )
    assert (tmp_path / "r" / "generated.py").read_text() == big
