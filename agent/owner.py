"""Which process owns a session, and whether that process is still alive.

A process is known by its pid and its start time (field 22 of /proc/PID/stat, in clock
ticks since boot), so a pid the system has given to another process since is not taken
for the owner. Where /proc is missing, only the pid is checked.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")


def current_owner() -> tuple[int, str]:
    """This process's pid and start time ('' when it cannot be read)."""
    pid = os.getpid()
    stat = _stat_fields(pid)
    return pid, stat[19] if stat else ""


def owner_alive(pid: int, start: str) -> bool:
    """Whether the process `pid` that started at `start` still runs (unknown owners, pid 0,
    count as alive: nothing is concluded about them)."""
    if pid <= 0:
        return True
    if not PROC.is_dir():
        return _signal_reaches(pid)
    stat = _stat_fields(pid)
    if stat is None or stat[0] in ("Z", "X"):  # gone, or dead and waiting to be reaped
        return False
    return not start or stat[19] == start


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/PID/stat from field 3 (the state) on; None if there is no such process."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # Field 2, the command name, is in parentheses and may itself hold spaces and ')'.
    fields = text[text.rfind(")") + 1 :].split()
    return fields if len(fields) > 19 else None


def _signal_reaches(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    return True
