"""The tests pane: the last test run, passed or failed, and the failing tests."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

FAILURES_SHOWN = 12
OUTPUT_LINES = 60


class TestsPane(Static):
    """The latest TestsRun."""

    __test__ = False  # a widget, not a pytest test class

    def on_mount(self) -> None:
        """Start empty with a hint."""
        self.update(Text("No tests run yet.", style="dim"))

    def show(
        self,
        command: str,
        passed: int,
        failed: int,
        errors: int,
        failures: tuple[str, ...],
        exit_code: int,
        output: str = "",
    ) -> None:
        """Render one run: verdict, counts, command, failing test ids and their short output."""
        ok = failed == 0 and errors == 0 and exit_code in (0, 5)
        text = Text("PASSED" if ok else "FAILED", style="bold green" if ok else "bold red")
        text.append(f"  {passed} passed, {failed} failed, {errors} errors\n")
        text.append(f"$ {command}\n", style="dim")
        for test_id in failures[:FAILURES_SHOWN]:
            text.append("✗ ", style="red")
            text.append(test_id + "\n")
        if len(failures) > FAILURES_SHOWN:
            text.append(f"… and {len(failures) - FAILURES_SHOWN} more\n", style="dim")
        if output.strip():
            lines = output.strip("\n").splitlines()
            shown = lines[:OUTPUT_LINES] + (
                [f"… ({len(lines) - OUTPUT_LINES} more lines)"] if len(lines) > OUTPUT_LINES else []
            )
            text.append("\n" + "\n".join(shown) + "\n", style="dim")
        self.update(text)
