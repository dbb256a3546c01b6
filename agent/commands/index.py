"""`agent map` and `agent index`: the ranked repository map and the index behind it."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add the map and index commands to the app."""
    app.command("map")(map_command)
    app.command("index")(index_command)


def map_command(
    path: Path = typer.Argument(Path("."), help="A directory inside the git repository."),
    tokens: int = typer.Option(900, "--tokens", "-t", min=1, help="Token budget (a hard cap)."),
    focus: list[str] = typer.Option(
        [], "--focus", "-f", help="A path, symbol or words to lean toward (repeatable)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: the map and its definitions."),
) -> None:
    """Print a ranked map of the repository's definitions within a token budget."""
    from agent.index import RepoIndex

    with RepoIndex.open(path, progress=_progress_printer()) as index:
        focus = [_focus_item(item, index.root) for item in focus]
        if as_json:
            typer.echo(index.map_json(focus, tokens))
        else:
            typer.echo(index.repo_map(focus, tokens), nl=False)


def index_command(
    path: Path = typer.Argument(Path("."), help="A directory inside the git repository."),
    stats: bool = typer.Option(False, "--stats", help="Show counts by language and skip reason."),
) -> None:
    """Build or refresh the repository index (the cache under .agent/)."""
    from agent.index import RepoIndex

    with RepoIndex.open(path, progress=_progress_printer()) as index:
        numbers = index.stats()
    typer.echo(
        f"indexed {numbers['files']} files ({numbers['parsed']} parsed, "
        f"{numbers['reparsed']} re-parsed now) in {numbers['seconds']:.2f} s"
    )
    if stats:
        for line in _stats_lines(numbers):
            typer.echo(line)


def _stats_lines(numbers: dict) -> list[str]:
    rows = [
        ("files", numbers["files"]),
        ("parsed", numbers["parsed"]),
        ("symbols", numbers["symbols"]),
        ("references", numbers["references"]),
        ("syntax errors (files)", numbers["syntax_errors"]),
    ]
    rows += [(f"language {name}", count) for name, count in numbers["languages"].items()]
    rows += [(f"skipped {reason}", count) for reason, count in numbers["skipped"].items()]
    rows.append(("time (s)", f"{numbers['seconds']:.3f}"))
    width = max(len(label) for label, _ in rows)
    return [f"  {label:<{width}}  {value}" for label, value in rows]


def _focus_item(item: str, root: Path) -> str:
    """Paths given relative to the current directory become repo-relative."""
    candidate = Path(item)
    if candidate.exists():
        try:
            return candidate.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return item
    return item


def _progress_printer():
    """A progress callback that writes to a terminal's stderr once a run passes ~1 s."""
    import sys
    import time

    if not sys.stderr.isatty():
        return None
    started = time.monotonic()
    state = {"shown": False}

    def show(done: int, total: int) -> None:
        if time.monotonic() - started < 1.0 and not state["shown"]:
            return
        state["shown"] = True
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\rindexing {done}/{total} files{end}")
        sys.stderr.flush()

    return show
