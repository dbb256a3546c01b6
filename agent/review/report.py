"""The review's list of touched files: every file the session created, changed or deleted,
tracked or not, ignored or not, marked when it runs code later or cannot be restored.

Built from the session's stored `files_touched` events, so `agent solve`, `agent diff`, the
TUI and the JSON document all show the same list, also for a session that was killed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from agent.review.inventory import CHANGED, CREATED, DELETED, in_git_dir
from agent.review.marks import runs_code

BYTECODE = "__pycache__/"


@dataclass(frozen=True)
class Touched:
    """One file the session touched, as the review shows it."""

    path: str
    change: str  # created | changed | deleted
    tracked: bool
    ignored: bool
    runs_code: str  # why it runs code later, "" when it does not
    restorable: bool = True  # whether `undo --to-start` brings back its starting state

    def to_dict(self) -> dict:
        """The JSON form (`agent solve --json` "touched")."""
        return asdict(self)


def net_changes(events: Iterable) -> dict[str, str]:
    """path -> created/changed/deleted from the session start to its last recorded state;
    a file made and removed again within the session is left out."""
    first: dict[str, str] = {}
    last: dict[str, str] = {}
    from agent.events import to_dict

    for event in events:
        data = event if isinstance(event, dict) else to_dict(event)
        if data["kind"] != "files_touched":
            continue
        for entry in data["files"]:
            first.setdefault(entry["path"], entry["change"])
            last[entry["path"]] = entry["change"]
    net = {}
    for path, change in first.items():
        existed, exists = change != CREATED, last[path] != DELETED
        if existed or exists:
            net[path] = CHANGED if existed and exists else CREATED if exists else DELETED
    return dict(sorted(net.items()))


def touched_files(root: Path, events: Iterable, kept=None) -> list[Touched]:
    """The session's touched files with git's view of each; `kept` is the session's
    `IgnoredState` (None: ignored files were not kept, so none is restorable)."""
    from agent.gitops.plumbing import ignored_among, run_git

    net = net_changes(events)
    if not net:
        return []
    tracked = {os.fsdecode(p) for p in run_git(root, "ls-files", "-z").split(b"\0") if p}
    asked = [p for p in net if p not in tracked and not in_git_dir(p)]
    ignored = ignored_among(root, asked)
    return [
        Touched(
            path,
            change,
            path in tracked,
            path in ignored,
            runs_code(path),
            _restorable(path, change, path in ignored, kept),
        )
        for path, change in net.items()
    ]


def _restorable(path: str, change: str, ignored: bool, kept) -> bool:
    if in_git_dir(path):
        return False
    if not ignored or change == CREATED:
        return True
    return kept is not None and path in kept.kept


def report_lines(touched: list[Touched], hidden_only: bool = False) -> list[str]:
    """Lines for a person: each touched file with its change and marks; bytecode caches
    counted on one line. `hidden_only` keeps the files a git diff does not show."""
    shown = [t for t in touched if not hidden_only or t.ignored or in_git_dir(t.path)]
    bytecode = [t for t in shown if BYTECODE in t.path and not t.tracked]
    lines = [_line(t) for t in shown if t not in bytecode]
    if bytecode:
        lines.append(
            f"  {len(bytecode)} bytecode file(s) under {BYTECODE} "
            "(! runs code: Python runs bytecode in place of the source)"
        )
    return lines


def _line(t: Touched) -> str:
    where = (
        "under .git"
        if in_git_dir(t.path)
        else "git-ignored"
        if t.ignored
        else "tracked"
        if t.tracked
        else "untracked"
    )
    marks = [where]
    if not t.restorable:
        marks.append("NOT restorable by undo")
    text = f"  {t.change:<8} {t.path}  ({', '.join(marks)})"
    if t.runs_code:
        text += f"  ! runs code: {t.runs_code}"
    return text


def session_touched(root: Path, session_id: str, events: Iterable) -> list[Touched]:
    """`touched_files` for a stored session, with its kept ignored files looked up."""
    from agent.gitops.ignored import ignored_state

    return touched_files(root, events, ignored_state(root, session_id))


__all__ = [
    "CHANGED",
    "CREATED",
    "DELETED",
    "Touched",
    "net_changes",
    "report_lines",
    "session_touched",
    "touched_files",
]
