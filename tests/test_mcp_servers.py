"""MCP servers started for real from the config path: stdio and streamable HTTP servers written
with the SDK, one that crashes, one that never answers, a huge result, and mcp-server-time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.mcp import session_servers
from agent.mcp.settings import server_specs
from agent.mcp.trust import approve
from agent.messages import ToolCall
from agent.tools import Registry
from agent.tools.executor import plan_turn
from tests.mcp_kit import (
    alive,
    free_port,
    gone_soon,
    mcp_json,
    stdio_entry,
    wait_for_port,
    write_servers,
)
from tests.test_tools_helpers import make_ctx


@pytest.fixture(scope="module")
def started(tmp_path_factory):
    """One session's servers: (SessionServers, registry, ctx, folder), stopped at the end."""
    folder = tmp_path_factory.mktemp("mcp")
    script = write_servers(folder / "servers")
    port = free_port()
    web = subprocess.Popen(
        [sys.executable, str(script), "http", str(port)],
        env={**os.environ, "SERVER_NAME": "web"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    repo = folder / "repo"
    repo.mkdir()
    (repo / ".mcp.json").write_text(
        mcp_json(
            {
                "kit": stdio_entry(script, "kit", env={"GIVEN": "${MCP_TEST_GIVEN}"}),
                "fragile": stdio_entry(script, "fragile", call_timeout_s=3),
                "silent": {
                    "command": "sh",
                    "start_timeout_s": 3,
                    "args": ["-c", f"echo $$ > {script.parent / 'silent.pid'}; exec sleep 3600"],
                },
                "ghost": {"command": "no-such-mcp-server-here"},
                "broken": {
                    "command": "sh",
                    "args": ["-c", "echo 'no database at db:5432' >&2; exit 1"],
                },
                "away": {"url": f"http://127.0.0.1:{free_port()}/mcp"},
                "web": {"type": "http", "url": f"http://127.0.0.1:{port}/mcp"},
                "clock": {
                    "command": sys.executable,
                    "args": ["-m", "mcp_server_time", "--local-timezone", "UTC"],
                },
            }
        )
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(folder / "config"))
        patch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret")
        patch.setenv("MCP_TEST_GIVEN", "handed over")
        try:
            wait_for_port(port, web)
            approve(server_specs(repo), repo)
            with session_servers(repo) as servers:
                registry = Registry(servers.tools)
                yield servers, registry, make_ctx(repo, backend="none"), script.parent
        finally:
            web.terminate()
            web.wait(10)


def run(registry, ctx, name, **arguments):
    return registry.run(ToolCall("c1", name, arguments), ctx)


def test_tools_join_the_registry_as_server__tool_with_their_schemas(started):
    servers, registry, _, _ = started
    names = {t.name for t in registry.tools()}
    assert {"kit__lookup", "kit__note", "web__lookup", "clock__get_current_time"} <= names
    lookup = registry.get("kit__lookup")
    spec = lookup.spec()
    assert spec.input_schema["properties"]["key"]["type"] == "string"
    assert spec.input_schema["required"] == ["key"]
    assert "The value stored under a key." in spec.description
    assert lookup.read_only and not registry.get("kit__note").read_only


def test_a_read_only_and_a_writing_tool_run_on_the_server(started):
    _, registry, ctx, folder = started
    assert run(registry, ctx, "kit__lookup", key="answer").content == "value of answer is 42"
    result = run(registry, ctx, "kit__note", text="remember me")
    assert result.content == "noted: remember me" and not result.is_error
    assert "remember me" in (folder / "notes.txt").read_text()


def test_reads_run_side_by_side_and_writes_wait_in_order(started):
    _, registry, ctx, _ = started
    calls = [
        ToolCall(f"c{i}", name, args)
        for i, (name, args) in enumerate(
            [
                ("kit__lookup", {"key": "a"}),
                ("web__lookup", {"key": "b"}),
                ("kit__note", {"text": "x"}),
                ("kit__lookup", {"key": "c"}),
                ("kit__note", {"text": "y"}),
            ]
        )
    ]
    assert plan_turn(calls, registry, ctx.root) == [set(), set(), {0, 1}, {2}, {0, 1, 2, 3}]


def test_a_missing_argument_is_refused_before_the_server_is_asked(started):
    _, registry, ctx, _ = started
    result = run(registry, ctx, "kit__lookup")
    assert result.is_error and "missing required argument 'key'" in result.content


def test_our_api_keys_are_withheld_unless_the_config_names_them(started):
    _, registry, ctx, _ = started
    assert run(registry, ctx, "kit__env", variable="ANTHROPIC_API_KEY").content == "<unset>"
    assert run(registry, ctx, "kit__env", variable="GIVEN").content == "handed over"
    assert run(registry, ctx, "kit__env", variable="HOME").content == os.environ["HOME"]


def test_a_huge_result_is_capped_like_our_tools_output(started):
    _, registry, ctx, _ = started
    result = run(registry, ctx, "kit__huge")
    assert len(result.content) <= 20_000
    assert result.content.startswith("line 0 ") and "cut from the middle" in result.content
    assert result.content.rstrip().endswith("x" * 60)


def test_a_streamable_http_server_on_loopback(started):
    _, registry, ctx, _ = started
    assert run(registry, ctx, "web__lookup", key="w").content == "value of w is 42"


def test_the_published_time_server_answers(started):
    _, registry, ctx, _ = started
    result = run(registry, ctx, "clock__get_current_time", timezone="UTC")
    assert not result.is_error and '"timezone": "UTC"' in result.content


def test_servers_that_do_not_start_are_named_in_one_line_each(started):
    servers, registry, _, folder = started
    problems = dict(servers.problems)
    assert problems["silent"] == "did not answer within 3 s"
    assert problems["ghost"] == "command not found: no-such-mcp-server-here"
    assert problems["broken"] == "exited before it answered (no database at db:5432)"
    assert problems["away"].startswith("cannot reach http://127.0.0.1:")
    assert all("\n" not in p for p in problems.values())
    assert not any(t.name.startswith(("silent__", "ghost__")) for t in registry.tools())
    assert gone_soon(int((folder / "silent.pid").read_text()))  # the timeout ended it


def test_a_call_that_never_answers_then_a_crash_end_that_server_only(started):
    _, registry, ctx, folder = started
    stalled = run(registry, ctx, "fragile__stall")
    assert stalled.is_error and "gave no answer to stall within 3 s" in stalled.content
    crashed = run(registry, ctx, "fragile__crash")
    assert crashed.is_error and "MCP server fragile" in crashed.content
    assert "gone for the rest of this session" in crashed.content
    again = run(registry, ctx, "fragile__lookup", key="k")
    assert again.is_error and "MCP server fragile is not running" in again.content
    assert gone_soon(int((folder / "fragile.pid").read_text()))
    assert run(registry, ctx, "kit__lookup", key="still").content == "value of still is 42"


def test_servers_stop_with_the_session_even_on_ctrl_c(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    script = write_servers(tmp_path / "servers")
    user_file = tmp_path / "config" / "agent" / "config.toml"
    user_file.parent.mkdir(parents=True)
    user_file.write_text(
        f'[mcp_servers.mine]\ncommand = "{sys.executable}"\n'
        f'args = ["{script}"]\nenv = {{ SERVER_NAME = "mine" }}\n'
    )
    repo = tmp_path / "repo"
    repo.mkdir()
    pid_file = script.parent / "mine.pid"
    with pytest.raises(KeyboardInterrupt):
        with session_servers(repo) as servers:  # the person's own file: no approval needed
            assert [t.name for t in servers.tools][:2] == ["mine__lookup", "mine__note"]
            pid = int(pid_file.read_text())
            assert alive(pid)
            raise KeyboardInterrupt
    assert gone_soon(pid)


def test_nothing_starts_without_servers_and_the_sdk_is_not_loaded(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    code = (
        "import sys; from pathlib import Path; from agent.mcp import session_servers\n"
        f"with session_servers(Path({str(tmp_path)!r})) as s: assert not s.tools\n"
        "print('mcp' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    assert out.stdout.strip() == "False", out.stderr
