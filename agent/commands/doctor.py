"""`agent doctor`: report what this machine offers the agent, in one readable table."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the doctor command to the app."""

    @app.command()
    def doctor() -> None:
        """Check git, Python, the tree-sitter grammars, the sandbox (with a self-test) and API keys.

        Exits 1 if something the agent needs is missing, and says how to fix it.
        """
        from rich.console import Console
        from rich.table import Table

        table = Table(title="agent doctor", show_lines=False)
        for column in ("check", "status", "detail"):
            table.add_column(column)
        needed_ok = True
        for name, ok, detail, needed in _checks():
            mark = "[green]ok[/]" if ok else ("[red]missing[/]" if needed else "[yellow]no[/]")
            table.add_row(name, mark, detail)
            needed_ok &= ok or not needed
        Console().print(table)
        raise typer.Exit(0 if needed_ok else 1)


def _checks():
    """(name, ok, detail, needed) for every check, in display order."""
    import os
    import platform
    import shutil
    import subprocess
    import sys

    yield (
        "python",
        sys.version_info >= (3, 11),
        f"{platform.python_version()} at {sys.executable}",
        True,
    )
    git = shutil.which("git")
    version = (
        subprocess.run([git, "--version"], capture_output=True, text=True).stdout.strip()
        if git
        else ""
    )
    yield "git", bool(git), version or "install git", True
    yield from _grammar_checks()
    yield from _sandbox_checks()
    for variable in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
        present = bool(os.environ.get(variable))
        yield (
            variable,
            present,
            "set" if present else "not set (needed for that provider only)",
            False,
        )
    yield from _mcp_checks()


def _grammar_checks():
    from agent.index.languages import LANGUAGES, grammar

    loaded, failed = [], []
    for language in LANGUAGES:
        try:
            grammar(language)
            loaded.append(language)
        except Exception as error:  # a broken wheel is reported, not fatal
            failed.append(f"{language} ({type(error).__name__})")
    detail = ", ".join(loaded) + (f"; failed: {', '.join(failed)}" if failed else "")
    yield "tree-sitter grammars", not failed, detail, True


def _sandbox_checks():
    from agent.sandbox import detect, self_test

    backend, explanation = detect()
    yield "sandbox backend", backend is not None, backend or explanation, True
    if backend is not None:
        ok, detail = self_test(backend)
        yield "sandbox self-test", ok, detail, True
    yield _tree_bounds_check()


def _tree_bounds_check():
    """How each command's whole tree is held to its memory and process bounds here."""
    from agent.sandbox.cgroup import hierarchy, mechanism

    return "command tree bounds", hierarchy() is not None, mechanism(), False


def _mcp_checks():
    """One row per MCP server configured here: started (with its tool count) or why not."""
    from agent.commands.mcp import repository_root, server_rows
    from agent.errors import UserError

    try:
        rows = server_rows(repository_root(), start=True)
    except UserError as error:
        yield "mcp servers", False, str(error), False
        return
    for name, where, _summary, status, _tools in rows:
        yield f"mcp {name}", status.startswith("started"), f"{status} ({where})", False
