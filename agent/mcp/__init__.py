"""MCP tool servers for a session: configured, approved, started once, stopped with it.

    with session_servers(repo_root, workspace_root) as servers:
        servers.join(parts)   # their tools in the registry, their problems as events
        loop.solve(parts)

Nothing here imports the `mcp` SDK until a server is configured: it costs a second to load.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.mcp.settings import ServerSpec, server_specs


@dataclass
class SessionServers:
    """The tools of the servers that started, and one line for each that did not."""

    tools: list[Any] = field(default_factory=list)  # tools.registry.Tool
    problems: list[tuple[str, str]] = field(default_factory=list)  # (server, what went wrong)
    hub: Any = None  # agent.mcp.hub.McpHub, when a server was started

    def join(self, parts: Any) -> None:
        """Add the tools to the session's registry and report the problems as events."""
        from agent.events import ServerProblem

        for tool in self.tools:
            if parts.registry.get(tool.name) is None:
                parts.registry.add(tool)
        for server, problem in self.problems:
            parts.emit(ServerProblem(server, problem))


def not_approved(spec: ServerSpec) -> str:
    """Why a repository's server did not start, and what to do about it."""
    return (
        f"not started: {spec.where} defines it and you have not approved it as it is now; "
        f"read it with `agent mcp list`, then `agent mcp approve {spec.name}`"
    )


@contextlib.contextmanager
def session_servers(root: Path, cwd: Path | None = None) -> Iterator[SessionServers]:
    """Start the servers configured for the repository at `root` (in `cwd`, default `root`)
    and stop them on the way out, however the session ends."""
    from agent.mcp.trust import is_approved

    specs = server_specs(Path(root))
    found = SessionServers()
    runnable = []
    for spec in specs:
        if is_approved(spec, Path(root)):
            runnable.append(spec)
        else:
            found.problems.append((spec.name, not_approved(spec)))
    if not runnable:
        yield found
        return
    hub = found.hub = started_hub(runnable, Path(cwd or root))
    try:
        for server in hub.servers.values():
            if server.status == "started":
                found.tools.extend(_tools_of(hub, server.spec.name))
            else:
                found.problems.append((server.spec.name, server.problem))
        yield found
    finally:
        hub.close()


def started_hub(specs: list[ServerSpec], cwd: Path) -> Any:
    """A hub with `specs` started (or failed, each with its problem)."""
    from agent.mcp.hub import McpHub

    hub = McpHub(cwd)
    try:
        hub.start(specs)
    except BaseException:
        hub.close()
        raise
    return hub


def _tools_of(hub: Any, server: str) -> list[Any]:
    from agent.mcp.tools import registry_tools

    return registry_tools(hub, server)
