"""`agent tools` lists what the model may call; `agent tool NAME --args JSON` runs one tool."""

from __future__ import annotations

import json
import sys
from typing import Any, Optional

import typer


def register(app: typer.Typer) -> None:
    """Add the tools and tool commands to the app."""

    @app.command("tools")
    def list_tools(
        as_json: bool = typer.Option(False, "--json", help="Print the tool specs as JSON."),
    ) -> None:
        """List the tools the model may call, with their parameters."""
        from agent.tools import default_registry

        registry = default_registry()
        if as_json:
            typer.echo(json.dumps([_spec_json(t) for t in registry.tools()], indent=2))
        else:
            _print_table(registry.tools())

    @app.command("tool")
    def run_tool(
        name: str = typer.Argument(..., help="The tool to run, e.g. read_file."),
        args: str = typer.Option("{}", "--args", help='Its arguments as JSON: \'{"path": "x"}\'.'),
        backend: Optional[str] = typer.Option(  # noqa: UP045 - typer reads the annotation
            None,
            "--sandbox",
            help="auto or bwrap (confined), or none (no isolation; say it explicitly). "
            "Default: the repository's setting, else auto.",
        ),
    ) -> None:
        """Run one tool in this repository exactly as the model would, and print its result.

        Exits 1 when the tool reports an error (the message is what the model would see).
        """
        result = _run_one(name, _parse_args(args), backend)
        sys.stdout.write(result.content.rstrip("\n") + "\n")
        raise typer.Exit(1 if result.is_error else 0)


def _parse_args(args: str) -> dict[str, Any]:
    from agent.errors import UserError

    try:
        arguments = json.loads(args)
    except json.JSONDecodeError as error:
        raise UserError(f"--args is not valid JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(arguments, dict):
        raise UserError('--args must be a JSON object, e.g. \'{"path": "README.md"}\'')
    return arguments


def _run_one(name: str, arguments: dict[str, Any], backend: str | None) -> Any:
    """The tool's result, run through the executor with the repository's sandbox and config."""
    from pathlib import Path

    from agent.config import load_config
    from agent.messages import ToolCall
    from agent.sandbox import create_sandbox, find_workspace, unconfined_warning
    from agent.sandboxing import sandbox_policy
    from agent.tools import ToolContext, default_registry, execute_turn

    root = find_workspace(Path.cwd())
    config = load_config(root, {"sandbox": backend})
    box = create_sandbox(sandbox_policy(root, config), config.sandbox)
    warning = unconfined_warning(box)
    if warning:
        typer.secho(warning, err=True, fg="red", bold=True)
    ctx = ToolContext(root, box, test_command=config.test_command, test_env=config.test_env)
    [result] = execute_turn(
        [ToolCall(id="cli", name=name, arguments=arguments)], default_registry(), ctx
    )
    return result


def _spec_json(tool: Any) -> dict[str, Any]:
    spec = tool.spec()
    return {
        "name": spec.name,
        "description": spec.description,
        "read_only": tool.read_only,
        "input_schema": spec.input_schema,
    }


def _print_table(tools: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("tool", "mode", "parameters", "what it does")
    for t in tools:
        params = ", ".join(
            f"{p.name}{'' if p.required else '?'}: {p.schema.get('type', 'any')}" for p in t.params
        )
        table.add_row(
            t.name, "read" if t.read_only else "write", params, t.description.split("\n\n")[0]
        )
    Console().print(table)
