"""`agent mcp list` and `agent mcp approve`: the MCP servers this repository's sessions use."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add the `mcp` command group to the app."""
    group = typer.Typer(
        help="MCP tool servers: list them, approve a repository's.", no_args_is_help=True
    )
    app.add_typer(group, name="mcp")

    @group.command("list")
    def list_servers(
        start: bool = typer.Option(
            True, "--start/--no-start", help="Start each runnable server to list its tools."
        ),
    ) -> None:
        """Show each configured server, where it is defined, whether it started, and its tools."""
        from rich.console import Console
        from rich.markup import escape

        console = Console()
        rows = server_rows(repository_root(), start)
        if not rows:
            console.print(
                escape(
                    "no MCP servers configured (.mcp.json, [mcp_servers.NAME] in "
                    ".agent.toml or your ~/.config/agent/config.toml)"
                )
            )
        for name, where, summary, status, tools in rows:
            console.print(f"[bold]{escape(name)}[/] [dim]({escape(where)})[/] {escape(summary)}")
            console.print(f"  {escape(status)}")
            for line in tools:
                console.print(f"    {escape(line)}")

    @group.command("approve")
    def approve_servers(
        names: list[str] = typer.Argument(None, help="Servers to approve (default: all)."),
    ) -> None:
        """Let this repository's sessions start the servers its own files define, as they are now.

        A later change to a definition, or to anything in the folders of the repository files
        it names, needs approving again.
        """
        from agent.errors import UserError
        from agent.mcp.settings import server_specs, variables_named
        from agent.mcp.trust import approve

        root = repository_root()
        specs = [s for s in server_specs(root) if s.from_repo]
        known = {s.name for s in specs}
        unknown = [n for n in names or () if n not in known]
        if unknown:
            raise UserError(
                f"no server {unknown[0]!r} in this repository's files; it defines: "
                f"{', '.join(sorted(known)) or 'none'}"
            )
        chosen = [s for s in specs if not names or s.name in names]
        approve(chosen, root)
        for spec in chosen:
            pulled = variables_named(spec)
            extra = f"; it is given ${{{'}, ${'.join(pulled)}}}" if pulled else ""
            typer.echo(f"approved {spec.name}: {spec.summary()} ({spec.where}){extra}")


def server_rows(root: Path, start: bool) -> list[tuple[str, str, str, str, list[str]]]:
    """(name, where, command or URL, status, tool lines) for each configured server."""
    from agent.mcp import not_approved, started_hub
    from agent.mcp.settings import server_specs
    from agent.mcp.tools import registry_tools
    from agent.mcp.trust import is_approved

    specs = server_specs(root)
    runnable = [s for s in specs if is_approved(s, root)]
    hub = started_hub(runnable, root) if start and runnable else None
    rows = []
    try:
        for spec in specs:
            status, tools = ("configured (not started: --no-start)", [])
            if spec not in runnable:
                status = not_approved(spec)
            elif hub is not None:
                server = hub.servers[spec.name]
                if server.status == "started":
                    found = registry_tools(hub, spec.name)
                    status = f"started · {len(found)} tools"
                    tools = [f"{t.name} ({'read' if t.read_only else 'write'})" for t in found]
                else:
                    status = f"failed: {server.problem}"
            rows.append((spec.name, spec.where, spec.summary(), status, tools))
    finally:
        if hub is not None:
            hub.close()
    return rows


def repository_root() -> Path:
    """The repository the command is run in (its top folder), else the current folder."""
    from agent.gitops.plumbing import run_git

    try:
        return Path(run_git(Path.cwd(), "rev-parse", "--show-toplevel").decode().strip())
    except Exception:  # not a git repository: the folder itself
        return Path.cwd()
