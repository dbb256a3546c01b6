"""Which MCP servers a session may start: `.mcp.json`, `[mcp_servers.NAME]` tables, the user file.

Read, in this order (a later definition of the same name replaces an earlier one):
pyproject.toml's `[tool.agent.mcp_servers.NAME]`, `.mcp.json`'s `mcpServers`, `.agent.toml`'s
`[mcp_servers.NAME]` (the repository's), then the person's own file (`user_config_path()`),
which a repository can never override. Repository servers start only once approved
(agent/mcp/trust.py).
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.errors import UserError

DEFAULT_START_TIMEOUT_S = 30.0
DEFAULT_CALL_TIMEOUT_S = 120.0
TRANSPORTS = {
    "stdio": "stdio",
    "http": "http",
    "streamable-http": "http",
    "streamable_http": "http",
    "streamableHttp": "http",
}
NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
KEYS = {
    "type",
    "transport",
    "command",
    "args",
    "env",
    "url",
    "headers",
    "start_timeout_s",
    "call_timeout_s",
}
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True)
class ServerSpec:
    """One configured MCP server: how to reach it and where it was defined."""

    name: str
    where: str  # the file that defined it, for messages
    from_repo: bool  # defined by the repository's files (needs the person's approval)
    transport: str  # stdio | http
    command: str = ""
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    start_timeout_s: float = DEFAULT_START_TIMEOUT_S
    call_timeout_s: float = DEFAULT_CALL_TIMEOUT_S

    def definition(self) -> dict[str, Any]:
        """What the server runs or reaches, as configured (before `${VAR}` expansion)."""
        if self.transport == "stdio":
            return {"command": self.command, "args": list(self.args), "env": self.env}
        return {"url": self.url, "headers": self.headers}

    def summary(self) -> str:
        """`VAR=value command arg ...` or the URL, for tables and the approval: the person
        approves what they can see (an `env` may carry LD_PRELOAD or PYTHONPATH)."""
        if self.transport == "stdio":
            settings = [f"{name}={shlex.quote(value)}" for name, value in self.env.items()]
            return " ".join([*settings, self.command, *self.args])
        return self.url


def user_config_path() -> Path:
    """The person's own settings file: $XDG_CONFIG_HOME/agent/config.toml."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "agent" / "config.toml"


def server_specs(root: Path) -> list[ServerSpec]:
    """Every MCP server configured for the repository at `root`, the person's file last."""
    found: dict[str, ServerSpec] = {}
    for where, table, from_repo in _tables(Path(root)):
        if not isinstance(table, dict):
            raise UserError(
                f"{where}: the MCP servers must be a table of NAME = {{...}}, "
                f"not {type(table).__name__}"
            )
        for name, raw in table.items():
            spec = parse_server(name, raw, where, from_repo)
            if spec.from_repo and name in found and not found[name].from_repo:
                continue
            found[name] = spec
    return list(found.values())


def _tables(root: Path) -> list[tuple[str, Any, bool]]:
    """(where, servers table, from the repository) in the order they apply."""
    from agent.config import _pyproject_tool_tables, _read_toml

    tables = []
    agent_table = _pyproject_tool_tables(root).get("agent", {})
    if isinstance(agent_table, dict) and "mcp_servers" in agent_table:
        tables.append(("pyproject.toml [tool.agent.mcp_servers]", agent_table["mcp_servers"], True))
    if (root / ".mcp.json").is_file():
        tables.append((".mcp.json", _mcp_json(root), True))
    local = _read_toml(root / ".agent.toml")
    if "mcp_servers" in local:
        tables.append((".agent.toml [mcp_servers]", local["mcp_servers"], True))
    user = user_config_path()
    if user.is_file():
        try:
            data = tomllib.loads(user.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise UserError(f"{user} is not valid TOML: {error}") from error
        if "mcp_servers" in data:
            tables.append((f"{user} [mcp_servers]", data["mcp_servers"], False))
    return tables


def _mcp_json(root: Path) -> Any:
    """`mcpServers` of the repository's .mcp.json, read without following a link out."""
    from agent.confine import LeavesWorkspace, read_text_inside

    try:
        data = json.loads(read_text_inside(root, ".mcp.json"))
    except LeavesWorkspace as error:
        raise UserError(f".mcp.json not read: {error}") from error
    except (ValueError, UnicodeDecodeError) as error:
        raise UserError(f".mcp.json is not valid JSON ({error}); fix or remove it") from error
    if not isinstance(data, dict) or not isinstance(data.get("mcpServers", {}), dict):
        raise UserError('.mcp.json must be an object like {"mcpServers": {"NAME": {...}}}')
    return data.get("mcpServers", {})


def parse_server(name: str, raw: Any, where: str, from_repo: bool) -> ServerSpec:
    """One server's table checked: a `ServerSpec`, or a one-line `UserError` naming it."""
    label = f"MCP server {name!r} in {where}"
    if not NAME.match(name) or "__" in name:
        raise UserError(
            f"{label}: a server name is letters, digits, - and _ (no '__'), up to 40 characters"
        )
    if not isinstance(raw, dict):
        raise UserError(f"{label} must be a table with `command` or `url`")
    if not where.startswith(".mcp.json"):  # other agents' keys in .mcp.json are let be
        unknown = sorted(set(raw) - KEYS)
        if unknown:
            raise UserError(
                f"{label}: unknown key {unknown[0]!r}; known: {', '.join(sorted(KEYS))}"
            )
    transport = _transport(raw, label)
    values = {
        "command": _text(raw, "command", label),
        "url": _text(raw, "url", label),
        "args": tuple(_strings(raw, "args", label, list)),
        "env": _strings(raw, "env", label, dict),
        "headers": _strings(raw, "headers", label, dict),
        "start_timeout_s": _seconds(raw, "start_timeout_s", DEFAULT_START_TIMEOUT_S, label),
        "call_timeout_s": _seconds(raw, "call_timeout_s", DEFAULT_CALL_TIMEOUT_S, label),
    }
    if transport == "stdio" and not values["command"]:
        raise UserError(f"{label}: a stdio server needs `command`")
    if transport == "http" and not values["url"].startswith(("http://", "https://")):
        raise UserError(f"{label}: an HTTP server needs a `url` starting with http:// or https://")
    return ServerSpec(name, where, from_repo, transport, **values)


def _transport(raw: dict, label: str) -> str:
    given = raw.get("type", raw.get("transport"))
    if given is None:
        if "command" in raw and "url" in raw:
            raise UserError(f"{label}: give `command` (stdio) or `url` (HTTP), not both")
        if "command" not in raw and "url" not in raw:
            raise UserError(f"{label} needs `command` (a stdio server) or `url` (streamable HTTP)")
        return "stdio" if "command" in raw else "http"
    if not isinstance(given, str) or given not in TRANSPORTS:
        raise UserError(
            f'{label}: unknown transport {given!r}; use "stdio" or "http" (streamable HTTP)'
        )
    return TRANSPORTS[given]


def _text(raw: dict, key: str, label: str) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str):
        raise UserError(f"{label}: `{key}` must be a string, not {value!r}")
    return value


def _strings(raw: dict, key: str, label: str, kind: type) -> Any:
    value = raw.get(key, kind())
    if kind is list and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    if (
        kind is dict
        and isinstance(value, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    ):
        return dict(value)
    expected = "a list of strings" if kind is list else "a table of strings"
    raise UserError(f"{label}: `{key}` must be {expected}, not {value!r}")


def _seconds(raw: dict, key: str, default: float, label: str) -> float:
    value = raw.get(key, default)
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise UserError(f"{label}: `{key}` must be a number of seconds more than 0, not {value!r}")
    return float(value)


def expand(text: str, environ: dict[str, str] | None = None) -> str:
    """`${VAR}` and `${VAR:-default}` replaced from the person's environment ("" if unset)."""
    source = os.environ if environ is None else environ
    return _VARIABLE.sub(lambda m: source.get(m.group(1)) or (m.group(2) or ""), text)


def variables_named(spec: ServerSpec) -> list[str]:
    """The environment variables the definition pulls in with `${VAR}`."""
    text = json.dumps(spec.definition())
    return sorted({m.group(1) for m in _VARIABLE.finditer(text)})
