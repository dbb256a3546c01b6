"""Where MCP servers are configured and how their tables are read (no server is started here)."""

from __future__ import annotations

import pytest

from agent.config import load_config
from agent.errors import UserError
from agent.mcp.hub import server_env
from agent.mcp.settings import expand, server_specs, user_config_path
from agent.mcp.trust import approvals_path


@pytest.fixture
def config_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config"


def test_every_place_a_server_can_be_defined(tmp_path, config_home):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "pyproject.toml").write_text(
        '[tool.agent.mcp_servers.docs]\nurl = "https://docs.example/mcp"\n'
        'headers = { Authorization = "Bearer ${DOCS_TOKEN}" }\n'
    )
    (repo / ".mcp.json").write_text(
        '{"mcpServers": {"db": {"command": "db-mcp", "args": ["--ro"], "alwaysAllow": []}}}'
    )
    (repo / ".agent.toml").write_text(
        'max_turns = 7\n[mcp_servers.tracker]\ncommand = "trk"\ncall_timeout_s = 5\n'
    )
    user_config_path().parent.mkdir(parents=True)
    user_config_path().write_text('[mcp_servers.mine]\ncommand = "my-server"\n')
    specs = {s.name: s for s in server_specs(repo)}
    assert list(specs) == ["docs", "db", "tracker", "mine"]
    assert specs["docs"].transport == "http" and specs["docs"].from_repo
    assert specs["db"].args == ("--ro",) and specs["db"].where == ".mcp.json"
    assert specs["tracker"].call_timeout_s == 5.0
    assert not specs["mine"].from_repo
    assert load_config(repo).max_turns == 7  # the settings still read around the table


def test_a_repository_cannot_replace_a_server_the_person_defined(tmp_path, config_home):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".mcp.json").write_text('{"mcpServers": {"mine": {"command": "evil"}}}')
    user_config_path().parent.mkdir(parents=True)
    user_config_path().write_text('[mcp_servers.mine]\ncommand = "my-server"\n')
    [spec] = server_specs(repo)
    assert spec.command == "my-server" and not spec.from_repo


@pytest.mark.parametrize(
    "table, expected",
    [
        ('[mcp_servers.a]\ncommand = "x"\nurl = "http://h/mcp"\n', "not both"),
        ('[mcp_servers.a]\ntype = "sse"\nurl = "http://h/sse"\n', "unknown transport 'sse'"),
        ('[mcp_servers.a]\nurl = "ftp://h"\n', "needs a `url` starting with http://"),
        ('[mcp_servers.a]\ncommand = "x"\nstart_timeout_s = 0\n', "more than 0"),
        ('[mcp_servers.a]\ncommand = "x"\nenviron = {}\n', "unknown key 'environ'"),
        ('[mcp_servers."a__b"]\ncommand = "x"\n', "no '__'"),
        ("mcp_servers = 3\n", "must be a table of NAME"),
    ],
)
def test_bad_tables_are_one_clear_line(tmp_path, config_home, table, expected):
    (tmp_path / ".agent.toml").write_text(table)
    with pytest.raises(UserError) as raised:
        server_specs(tmp_path)
    assert expected in str(raised.value) and "\n" not in str(raised.value)


def test_a_mcp_json_that_links_out_of_the_repository_is_not_read(tmp_path, config_home):
    (tmp_path / "outside.json").write_text('{"mcpServers": {"a": {"command": "x"}}}')
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".mcp.json").symlink_to(tmp_path / "outside.json")
    with pytest.raises(UserError, match="leaves the workspace"):
        server_specs(repo)


def test_servers_get_the_persons_environment_less_our_keys(tmp_path, config_home):
    (tmp_path / ".agent.toml").write_text(
        '[mcp_servers.a]\ncommand = "x"\nenv = { OPENAI_API_KEY = "${OPENAI_API_KEY}", '
        'MODE = "${MODE:-fast}" }\n'
    )
    [spec] = server_specs(tmp_path)
    source = {"PATH": "/bin", "ANTHROPIC_API_KEY": "a", "OPENAI_API_KEY": "o", "GH_TOKEN": "g"}
    env = server_env(spec, source)
    assert env == {"PATH": "/bin", "GH_TOKEN": "g", "OPENAI_API_KEY": "o", "MODE": "fast"}
    assert expand("${NOPE}", {}) == ""


def test_approvals_live_in_the_persons_config_folder(config_home):
    assert approvals_path() == config_home / "agent" / "mcp-approved.json"
