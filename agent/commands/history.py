"""`agent undo`, `agent diff`, `agent sessions`, `agent show`: looking back at sessions."""

from __future__ import annotations

import sys

import typer

SESSION_HELP = "Session id or unique prefix (default: the latest session)."


def register(app: typer.Typer) -> None:
    """Add the session history commands to the app."""
    app.command("undo")(undo)
    app.command("diff")(diff)
    app.command("sessions")(sessions)
    app.command("show")(show)


def undo(
    session: str = typer.Option(None, "--session", "-s", help=SESSION_HELP),
    to_start: bool = typer.Option(False, "--to-start", help="Go back to where the session began."),
    steps: int = typer.Option(1, "--steps", "-n", help="How many checkpoints to go back."),
    to: str = typer.Option(None, "--to", help="Restore this checkpoint (e.g. one saved by undo)."),
) -> None:
    """Take back a session's changes: one checkpoint, N of them, or all (--to-start).

    The state before the undo is kept as a checkpoint, so an undo can be undone with --to.
    """
    workspace, record = _open_session(session)
    if to:
        restored = workspace.restore(record.id, to)
    elif to_start:
        restored = workspace.undo_to_start(record.id)
    else:
        restored = workspace.undo(record.id, steps)
    target = restored.target
    for path in restored.not_restorable:
        typer.echo(
            f"not restorable: {path} (git-ignored, changed by the session, and over "
            "the size kept for ignored files: ignored_keep_mb)",
            err=True,
        )
    if not restored.paths:
        typer.echo(
            f"Nothing to undo: the files already match checkpoint {target.sha[:8]} "
            f"({target.label})."
        )
        return
    typer.echo(
        f"Restored {len(restored.paths)} file(s) to checkpoint {target.sha[:8]} "
        f"({target.label}) of session {record.id}:"
    )
    for path in restored.paths:
        typer.echo(f"  {path}")
    typer.echo(
        f"The state before this undo is checkpoint {restored.saved[:8]}; "
        f"`agent undo --session {record.id} --to {restored.saved[:8]}` brings it back."
    )


def diff(
    session: str = typer.Option(None, "--session", "-s", help=SESSION_HELP),
    against: str = typer.Option(
        "start", "--against", help="Compare with: start, last, or a checkpoint id."
    ),
) -> None:
    """Show what a session changed in the working tree, as a unified diff."""
    workspace, record = _open_session(session)
    text = workspace.diff(record.id, against)
    hidden = _not_in_diff(workspace, record) if against == "start" else []
    if not text and not hidden:
        typer.echo(f"No changes since {against} of session {record.id}.", err=True)
        return
    typer.echo(_visible(text) if sys.stdout.isatty() else text, nl=False)
    for line in hidden:
        typer.echo(line)


def _visible(text: str) -> str:
    """Control characters (a carriage return that hides the start of a line, escapes) shown
    as ^X on a terminal, so the review shows what the file holds; piped, the diff stays
    byte-exact for `git apply`."""
    shown = []
    for char in text:
        code = ord(char)
        if char in "\n\t" or (32 <= code and code != 127):
            shown.append(char)
        else:
            shown.append("^?" if code == 127 else f"^{chr(code + 64)}")
    return "".join(shown)


def _not_in_diff(workspace, record) -> list[str]:
    """The touched files a git diff does not show (git-ignored, under .git), and every
    touched file that runs code later, as lines after the diff."""
    from agent.review.report import report_lines, session_touched

    touched = session_touched(workspace.root, record.id, _store(workspace.root).events(record.id))
    lines = []
    hidden = report_lines(touched, hidden_only=True)
    if hidden:
        lines += ["", "# Not in the diff above (git-ignored or under .git):", *hidden]
    runs = report_lines([t for t in touched if t.runs_code])
    if runs:
        lines += ["", "# Warning: these run code later (pytest, Python, git, make, CI):", *runs]
    return lines


def sessions(
    as_json: bool = typer.Option(False, "--json", help="Print the sessions as JSON."),
    limit: int = typer.Option(50, "--limit", help="Show at most this many (newest first)."),
) -> None:
    """List this repository's sessions: task, status, cost and time."""
    import json

    store = _store()
    records = store.list(limit=limit)
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in records], indent=2))
        return
    if not records:
        typer.echo('No sessions yet; `agent solve "TASK"` starts one.')
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    rows = [
        [
            r.id,
            r.task,
            r.shown_status,
            f"${r.cost_usd:.2f}",
            _duration(r.updated - r.created),
            _when(r.created),
        ]
        for r in records
    ]
    headers = ("id", "task", "status", "cost", "time", "when")
    widths = [max(len(h), *(len(row[n]) for row in rows)) for n, h in enumerate(headers)]
    room = console.width - sum(widths) + widths[1] - 2 * len(headers)
    for row in rows:  # the task takes whatever width the other columns leave
        row[1] = _shorten(row[1], max(12, min(60, room)))
    table = Table(box=None, header_style="bold")
    for header in headers:
        table.add_column(
            header, justify="right" if header in ("cost", "time") else "left", no_wrap=True
        )
    for row in rows:
        table.add_row(*row)
    console.print(table)


def show(
    session: str = typer.Argument(..., help="Session id or unique prefix."),
    as_json: bool = typer.Option(False, "--json", help="Print the stored events as JSON."),
    tui: bool = typer.Option(False, "--tui", help="Replay it, read-only, in the session screen."),
) -> None:
    """Print a session's transcript: phases, tool calls, tests, cost and the summary."""
    import json

    if tui:
        from agent.commands.tui import replay

        replay(session)
        return
    store = _store()
    record = store.get(session)
    events = store.event_dicts(record.id)
    if as_json:
        typer.echo(json.dumps(events, indent=2))
        return
    for line in transcript(record, events):
        typer.echo(line)


def transcript(record, events: list[dict]) -> list[str]:
    """Readable lines for a session record and its stored events."""
    lines = [
        f"session {record.id}  {record.shown_status}  model {record.model}",
        f"task: {record.task}",
    ]
    streamed: list[str] = []
    for event in events:
        if event["kind"] == "model_text" and event.get("delta"):
            streamed.append(event["text"])
            continue
        if streamed:
            lines += _indented("".join(streamed), "  ")
            streamed = []
        lines += _render(event)
    if streamed:
        lines += _indented("".join(streamed), "  ")
    lines.append(
        f"cost ${record.cost_usd:.4f}  tokens in {record.input_tokens} "
        f"out {record.output_tokens} cached {record.cached_tokens}  "
        f"model calls {record.model_calls}  "
        f"time {_duration(record.updated - record.created)}"
    )
    return lines


def _render(event: dict) -> list[str]:
    """The lines for one stored event (cost updates are summed up at the end instead)."""
    kind = event["kind"]
    if kind == "session_started":
        return [f"== {'resumed' if event.get('resumed') else 'started'} in {event['repo']}"]
    if kind == "phase_changed":
        detail = f": {event['detail']}" if event.get("detail") else ""
        return [f"-- {event['phase']}{detail}"]
    if kind == "plan_updated":
        steps = [
            f"  [{status}] {step}"
            for step, status in zip(event["steps"], event["statuses"], strict=False)
        ]
        return [f"plan {event.get('plan_number', 1)}: {event['reading']}", *steps]
    if kind == "model_text":
        return _indented(event["text"], "  ")
    if kind == "tool_call_started":
        return [f"> {event['name']}({_shorten(_arguments(event['arguments']), 160)})"]
    if kind == "tool_call_finished":
        mark = "error" if event["is_error"] else "ok"
        return [
            f"< {event['name']} {mark} ({event['duration_s']:.1f}s)",
            *_indented(_clip_lines(event["output"], 8), "    "),
        ]
    if kind == "edit_applied":
        checkpoint = f" (checkpoint {event['checkpoint'][:8]})" if event.get("checkpoint") else ""
        return [f"edited {event['path']}{checkpoint}"]
    if kind == "tests_run":
        head = (
            f"tests: {event['passed']} passed, {event['failed']} failed, "
            f"{event['errors']} errors  [{event['command']}]"
        )
        return [head, *(f"  failing: {name}" for name in event.get("failures", []))]
    if kind == "question_asked":
        assumption = [f"  assumed: {event['assumption']}"] if event.get("assumption") else []
        return [f"? {event['question']}", *assumption]
    if kind == "finished":
        return [
            f"== finished: {event['status']} ({event['stop_reason']})",
            *_indented(event.get("summary", ""), "  "),
        ]
    return []


def _open_session(session: str | None):
    """The workspace and session record a history command works on."""
    from pathlib import Path

    from agent.gitops.checkpoints import Workspace

    workspace = Workspace.open(Path.cwd())
    store = _store(workspace.root)
    record = store.get(session) if session else store.latest()
    ran_in = Path(record.repo) if record.repo else None
    # A session run with --worktree lives in its own worktree under .agent/worktrees/.
    if (
        ran_in
        and ran_in.is_dir()
        and ran_in.resolve().is_relative_to(workspace.root / ".agent" / "worktrees")
    ):
        workspace = Workspace.open(ran_in)
    return workspace, record


def _store(root=None):
    from pathlib import Path

    from agent.gitops.checkpoints import Workspace
    from agent.session import SessionStore

    store = SessionStore.open(root or Workspace.open(Path.cwd()).root)
    if store.notice:
        typer.echo(f"agent: {store.notice}", err=True)
    return store


def _arguments(arguments: dict) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in arguments.items())


def _clip_lines(text: str, limit: int) -> str:
    lines = text.rstrip("\n").splitlines()
    if len(lines) <= limit:
        return "\n".join(_shorten(line, 200) for line in lines)
    kept = [_shorten(line, 200) for line in lines[:limit]]
    return "\n".join([*kept, f"... ({len(lines) - limit} more lines)"])


def _indented(text: str, prefix: str) -> list[str]:
    return [prefix + line for line in text.strip("\n").splitlines()]


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split()) if "\n" in text else text
    return text if len(text) <= width else text[: width - 1] + "…"


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


def _when(timestamp: float) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))
