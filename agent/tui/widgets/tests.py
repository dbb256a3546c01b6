"""The tests pane: the last test run, passed or failed, and the failing tests."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

FAILURES_SHOWN = 12


class TestsPane(Static):
    """The latest TestsRun."""

    def on_mount(self) -> None:
        """Start empty with a hint."""
        self.update(Text("No tests run yet.", style="dim"))

    def show(self, command: str, passed: int, failed: int, errors: int,
             failures: tuple[str, ...], exit_code: int) -> None:
        """Render one run: a verdict line, counts, the command and the failing test ids."""
        ok = failed == 0 and errors == 0 and exit_code in (0, 5)
        text = Text("PASSED" if ok else "FAILED", style="bold green" if ok else "bold red")
        text.append(f"  {passed} passed, {failed} failed, {errors} errors\n")
        text.append(f"$ {command}\n", style="dim")
        for test_id in failures[:FAILURES_SHOWN]:
            text.append("✗ ", style="red")
            text.append(test_id + "\n")
        if len(failures) > FAILURES_SHOWN:
            text.append(f"… and {len(failures) - FAILURES_SHOWN} more\n", style="dim")
        self.update(text)
