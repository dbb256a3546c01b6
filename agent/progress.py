"""Human-readable progress for `agent solve`: one consumer of the loop's events."""

from __future__ import annotations

import json
from typing import TextIO

from rich.markup import escape

from agent import events as ev

ARGUMENT_PREVIEW = 70


class ProgressPrinter:
    """Prints phases, tool calls, plans, tests and cost as they happen."""

    def __init__(self, stream: TextIO, color: bool) -> None:
        from rich.console import Console

        self.console = Console(
            file=stream, force_terminal=color, no_color=not color, highlight=False, soft_wrap=True
        )
        self.cost = 0.0

    def __call__(self, event: ev.Event) -> None:
        """Render one event (unknown or quiet events print nothing)."""
        handler = getattr(self, f"_on_{event.kind}", None)
        if handler:
            handler(event)

    def _on_session_started(self, e: ev.SessionStarted) -> None:
        verb = "resumed" if e.resumed else "started"
        self.console.print(f"[bold]session {e.session_id}[/] {verb} · model {escape(e.model)}")

    def _on_phase_changed(self, e: ev.PhaseChanged) -> None:
        detail = f" [dim]({escape(e.detail)})[/]" if e.detail else ""
        self.console.print(f"[bold cyan]▸ {e.phase}[/]{detail}")

    def _on_plan_updated(self, e: ev.PlanUpdated) -> None:
        if not all(s == "pending" for s in e.statuses):
            return
        self.console.print(f"  [bold]plan {e.plan_number}:[/] {escape(e.reading)}")
        for step in e.steps:
            self.console.print(f"    · {escape(step)}")

    def _on_tool_call_started(self, e: ev.ToolCallStarted) -> None:
        args = json.dumps(e.arguments, ensure_ascii=False)
        if len(args) > ARGUMENT_PREVIEW:
            args = args[: ARGUMENT_PREVIEW - 1] + "…"
        self.console.print(f"  [dim]→ {e.name} {escape(args)}[/]")

    def _on_tool_call_finished(self, e: ev.ToolCallFinished) -> None:
        if e.is_error:
            first = e.output.strip().splitlines()[0] if e.output.strip() else "error"
            self.console.print(f"    [yellow]✗ {e.name}: {escape(first[:100])}[/]")

    def _on_edit_applied(self, e: ev.EditApplied) -> None:
        added = sum(
            1 for line in e.diff.splitlines() if line.startswith("+") and not line.startswith("+++")
        )
        removed = sum(
            1 for line in e.diff.splitlines() if line.startswith("-") and not line.startswith("---")
        )
        self.console.print(f"  [green]✎ {escape(e.path)}[/] [dim]+{added} -{removed}[/]")

    def _on_files_touched(self, e: ev.FilesTouched) -> None:
        for entry in e.files:
            if entry["runs_code"] and "__pycache__/" not in entry["path"]:
                self.console.print(
                    f"  [yellow]! {entry['change']} {escape(entry['path'])}: "
                    f"runs code later ({escape(entry['runs_code'])})[/]"
                )

    def _on_tests_run(self, e: ev.TestsRun) -> None:
        color = "green" if e.failed == 0 and e.errors == 0 and e.exit_code in (0, 5) else "red"
        self.console.print(
            f"  [{color}]tests: {e.passed} passed, {e.failed} failed, "
            f"{e.errors} errors[/] [dim]{escape(e.command)}[/]"
        )
        for test_id in e.failures[:5]:
            self.console.print(f"    [red]✗ {escape(test_id)}[/]")

    def _on_cost_updated(self, e: ev.CostUpdated) -> None:
        self.cost = e.cost_usd

    def _on_question_asked(self, e: ev.QuestionAsked) -> None:
        self.console.print(f"  [yellow]? {escape(e.question)}[/]")
        for option in e.options:
            self.console.print(f"    - {escape(option)}")
        if e.assumption:
            self.console.print(f"  [yellow]assumed: {escape(e.assumption)}[/]")

    def _on_server_problem(self, e: ev.ServerProblem) -> None:
        self.console.print(f"  [yellow]✗ MCP server {escape(e.server)}: {escape(e.problem)}[/]")

    def _on_finished(self, e: ev.Finished) -> None:
        color = "green" if e.status == "solved" else "red"
        self.console.print(
            f"[bold {color}]{e.status}[/]: {escape(e.stop_reason)} · ${self.cost:.4f}"
        )
        if e.summary:
            self.console.print(escape(e.summary))


class JsonlPrinter:
    """Streams every event as one JSON line (`--jsonl`)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, event: ev.Event) -> None:
        """Write the event as a JSON line and flush, so readers see it at once."""
        self.stream.write(json.dumps(ev.to_dict(event), default=str) + "\n")
        self.stream.flush()
