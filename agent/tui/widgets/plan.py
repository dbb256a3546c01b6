"""The plan pane: how the task was read and its steps as a live checklist."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

MARKS = {
    "pending": ("○", "dim"),
    "running": ("▶", "bold yellow"),
    "done": ("✓", "bold green"),
    "failed": ("✗", "bold red"),
}


class PlanPane(Static):
    """The latest PlanUpdated, rendered as a checklist."""

    def on_mount(self) -> None:
        """Start empty with a hint."""
        self.border_title = "Plan"
        self.update(Text("No plan yet.", style="dim"))

    def show(
        self, reading: str, steps: tuple[str, ...], statuses: tuple[str, ...], number: int
    ) -> None:
        """Render a plan: its reading, then one line per step with its status mark."""
        self.border_title = f"Plan {number}"
        text = Text(reading + "\n", style="italic")
        for step, status in zip(steps, statuses, strict=False):
            mark, style = MARKS.get(status, ("?", ""))
            text.append(f"{mark} ", style=style)
            text.append(f"{step}\n", style="dim" if status == "pending" else "")
        self.update(text)
