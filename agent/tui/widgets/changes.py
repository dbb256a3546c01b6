"""The changes pane: the files the session changed and their diff, syntax-highlighted."""

from __future__ import annotations

from rich.console import Group
from rich.syntax import Syntax
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from agent.review.marks import runs_code


def split_diff(diff: str) -> dict[str, str]:
    """A multi-file unified diff as {path: that file's diff}, in order."""
    from agent.loop import split_diff as pieces

    return dict(pieces(diff))


def diff_counts(diff: str) -> tuple[int, int]:
    """Lines added and removed in a unified diff."""
    lines = diff.splitlines()
    added = sum(1 for line in lines if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in lines if line.startswith("-") and not line.startswith("---"))
    return added, removed


class ChangesPane(VerticalScroll):
    """Changed files with +/- counts, then each file's diff."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.files: dict[str, str] = {}
        self.touched: list = []  # FilesTouched events: every file, ignored ones included
        self.dark = True

    def compose(self):
        """One static holds the whole rendering; it is rebuilt on every change."""
        yield Static(Text("No changes yet.", style="dim"), id="changes-body")

    def set_diff(self, diff: str) -> None:
        """Show the session's whole diff (replaces what was shown)."""
        self.files = split_diff(diff)
        self.refresh_diff()

    def add_edit(self, path: str, diff: str) -> None:
        """Add one edit's diff (used when no whole-session diff is at hand, e.g. replay)."""
        self.files[path] = (self.files.get(path, "") + "\n" + diff).strip("\n") + "\n"
        self.refresh_diff()

    def add_touched(self, event) -> None:
        """Note files a command or edit touched (a `FilesTouched` event)."""
        self.touched.append(event)
        self.refresh_diff()

    def refresh_diff(self) -> None:
        """Redraw the file list and diffs (e.g. after a light/dark switch)."""
        body = self.query_one("#changes-body", Static)
        others = self._touched_listing()
        if not self.files and not others:
            body.update(Text("No changes.", style="dim"))
            return
        listing = Text()
        for path, diff in self.files.items():
            added, removed = diff_counts(diff)
            listing.append(f"{path} ", style="bold")
            listing.append(f"+{added}", style="green")
            listing.append(f" -{removed}\n", style="red")
        theme = "ansi_dark" if self.dark else "ansi_light"
        diffs = [
            Syntax(
                diff.rstrip("\n"), "diff", theme=theme, background_color="default", word_wrap=True
            )
            for diff in self.files.values()
        ]
        body.update(Group(listing, *others, *diffs))

    def _touched_listing(self) -> list[Text]:
        """Touched files the diff does not show (git-ignored, under .git) and every file that
        runs code later, marked."""
        from agent.review.report import net_changes

        lines = []
        for path, change in net_changes(self.touched).items():
            reason = runs_code(path)
            if path in self.files and not reason:
                continue
            line = Text(f"{change} {path}", style="bold" if reason else "")
            if path not in self.files:
                line.append("  not in the diff", style="dim")
            if reason:
                line.append(f"  ! runs code: {reason}", style="bold red")
            lines.append(line)
        if lines:
            lines.insert(0, Text("Touched files, tracked or not:", style="bold underline"))
        return lines
