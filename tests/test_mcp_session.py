"""A whole session with MCP servers: the model calls a server's tool and sees its answer; a
repository's server needs the person's approval; writes go past the person in suggest mode;
bad config is one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent import events as ev
from agent.mcp.settings import server_specs
from agent.mcp.trust import approve, is_approved
from agent.oversight import Oversight, Verdict
from agent.runner import SolveOptions, run_session
from tests.mcp_kit import mcp_json, stdio_entry, write_servers
from tests.session_snapshot import Recorder
from tests.solve_kit import edit, finish, make_repo, plan, turn

TASK = "clamp(15, 0, 10) returns 0 but should return 10"
ROOT = Path(__file__).parents[1]


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository whose .mcp.json names the kit server (not yet approved)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    script = write_servers(tmp_path / "servers")
    servers = mcp_json({"kit": stdio_entry(script, "kit")})
    return make_repo(tmp_path / "r", files={".mcp.json": servers})


def solve(repo, answers, **options):
    model = Recorder(answers)
    result = run_session(
        SolveOptions(task=TASK, cwd=repo, model=model.model), [model.sink], **options
    )
    return result, model, model.events


def test_the_model_calls_a_server_tool_and_sees_its_answer(repo):
    approve(server_specs(repo), repo)
    result, model, events = solve(
        repo, [plan(), turn("", ("kit__lookup", {"key": "limit"})), edit(), finish()]
    )
    assert result.outcome.status == "solved", result.outcome
    assert "kit__lookup" in [t.name for t in model.requests[0].tools]
    assert model.result("kit__lookup").content == "value of limit is 42"  # what the model saw
    finished = [e for e in events if isinstance(e, ev.ToolCallFinished) and e.name == "kit__lookup"]
    assert finished and finished[0].output == "value of limit is 42" and not finished[0].is_error


def test_a_repository_server_not_approved_is_named_and_never_started(repo, tmp_path):
    result, model, events = solve(repo, [plan(), edit(), finish()])
    assert result.outcome.status == "solved"
    problems = [e for e in events if isinstance(e, ev.ServerProblem)]
    assert [p.server for p in problems] == ["kit"]
    assert "agent mcp approve kit" in problems[0].problem
    assert not any(t.name.startswith("kit__") for t in model.requests[0].tools)
    assert not (tmp_path / "servers" / "kit.pid").exists()  # the program never ran


def test_a_changed_definition_or_a_file_it_runs_needs_approving_again(repo, tmp_path):
    server = tmp_path / "servers" / "server.py"
    (repo / "settings.txt").write_text("a\n")
    entry = stdio_entry(server, "kit")
    entry["args"] = [str(server), "settings.txt"]
    (repo / ".mcp.json").write_text(mcp_json({"kit": entry}))
    approve(server_specs(repo), repo)
    assert is_approved(server_specs(repo)[0], repo)
    (repo / "settings.txt").write_text("planted by a sandboxed command\n")
    assert not is_approved(server_specs(repo)[0], repo)
    approve(server_specs(repo), repo)
    entry["env"]["EXTRA"] = "1"
    (repo / ".mcp.json").write_text(mcp_json({"kit": entry}))
    assert not is_approved(server_specs(repo)[0], repo)
    other = tmp_path / "clone"
    other.mkdir()
    (other / ".mcp.json").write_text(mcp_json({"kit": entry}))
    approve(server_specs(repo), repo)
    assert not is_approved(server_specs(other)[0], other)  # approved for one repository only
    assert not (repo / ".agent").exists() or "mcp" not in os.listdir(repo / ".agent")


def test_in_suggest_mode_a_writing_tool_waits_for_the_person(repo, tmp_path):
    approve(server_specs(repo), repo)
    asked = []

    def person(pending):
        asked.append(pending.call.name)
        if pending.call.name == "kit__note":
            pending.answer(Verdict("reject", feedback="no notes today"))
        else:
            pending.answer(Verdict("approve", pending.call))

    oversight = Oversight("suggest", ask_person=person)
    result, model, _ = solve(
        repo,
        [
            plan(),
            turn("", ("kit__lookup", {"key": "k"}), ("kit__note", {"text": "hi"})),
            edit(),
            finish(),
        ],
        hooks=oversight.hooks(),
    )
    assert result.outcome.status == "solved"
    assert asked[0] == "kit__note" and "kit__lookup" not in asked
    refused = model.result("kit__note")  # the person's reason is the refused call's result
    assert refused.is_error and "no notes today" in refused.content
    assert not model.result("kit__lookup").is_error
    assert not (tmp_path / "servers" / "notes.txt").exists()


def agent_cli(repo, *argv, env=None):
    return subprocess.run(
        [sys.executable, "-m", "agent", *argv],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        timeout=300,
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ('{"mcpServers": {"kit": {"command": "x"', ".mcp.json is not valid JSON"),
        ('{"mcpServers": ["kit"]}', ".mcp.json must be an object like"),
        (
            '{"mcpServers": {"kit": {"type": "carrier-pigeon", "command": "x"}}}',
            "unknown transport 'carrier-pigeon'",
        ),
        ('{"mcpServers": {"kit": {"args": ["x"]}}}', "needs `command` (a stdio server) or `url`"),
        (
            '{"mcpServers": {"kit": {"command": "x", "args": "--fast"}}}',
            "`args` must be a list of strings",
        ),
    ],
)
def test_a_malformed_mcp_json_is_one_line_and_no_traceback(tmp_path, text, expected):
    repo = make_repo(tmp_path / "r", files={".mcp.json": text})
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    for argv in (("solve", "fix it", "--model", "scripted:"), ("mcp", "list")):
        out = agent_cli(repo, *argv, env=env)
        assert out.returncode == 2, out
        assert expected in out.stderr and "Traceback" not in out.stderr
        assert len(out.stderr.strip().splitlines()) == 1


def test_mcp_list_and_approve_from_the_command_line(repo, tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    before = agent_cli(repo, "mcp", "list", env=env)
    assert before.returncode == 0 and "agent mcp approve kit" in before.stdout
    approved = agent_cli(repo, "mcp", "approve", "kit", env=env)
    assert approved.returncode == 0 and approved.stdout.startswith("approved kit: ")
    after = agent_cli(repo, "mcp", "list", env=env)
    assert "started · 7 tools" in after.stdout
    assert "kit__lookup (read)" in after.stdout and "kit__note (write)" in after.stdout
    doctor = agent_cli(repo, "doctor", env={**env, "COLUMNS": "250"})
    assert "mcp kit" in doctor.stdout and "started · 7 tools (.mcp.json)" in doctor.stdout
    unknown = agent_cli(repo, "mcp", "approve", "nope", env=env)
    assert unknown.returncode == 2 and "no server 'nope'" in unknown.stderr


def test_ctrl_c_during_a_session_stops_its_servers(repo, tmp_path):
    import signal
    import time

    from tests.mcp_kit import alive

    approve(server_specs(repo), repo)
    bridge = tmp_path / "bridge"
    process = subprocess.Popen(
        [sys.executable, "-m", "agent", "solve", TASK, "--model", f"bridge:{bridge}"],
        cwd=repo,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 240
    while not list(bridge.glob("*.request.json")) and time.monotonic() < deadline:
        time.sleep(0.2)  # the first model request: the servers are up by then
    pid = int((tmp_path / "servers" / "kit.pid").read_text())
    assert alive(pid)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, (out, err)
    assert "Traceback" not in err
    assert not alive(pid)
