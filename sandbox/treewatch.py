"""Bounds on a command's whole process tree, checked while it runs: total memory, number of
processes, bytes written. `run_process` asks `TreeGuard.over()` every `SAMPLE_S` and kills
the tree when it names a limit.

Memory and processes are bounded by a cgroup where the machine allows one
(`agent.sandbox.cgroup`); elsewhere the tree is sampled from /proc (the sum of resident memory,
the count of processes). Bytes written are always sampled: /proc/PID/io `write_bytes`
counts what a process sent towards storage, and a reaped child's bytes are added to its
parent's count, so the sum over the live tree is what the tree wrote (tmpfs, which is
sized on its own, does not count).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from agent.sandbox.cgroup import CommandGroup, hierarchy

log = logging.getLogger("sandbox")
MB = 1024 * 1024
SAMPLE_S = 0.1
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class TreeLimits:
    """What the whole tree of one command may use."""

    memory_mb: int
    max_processes: int
    write_mb: int
    cgroup: bool = True  # False: sample /proc even where a cgroup could be made


class TreeGuard:
    """The limits of one running command: its cgroup (if any) and the /proc samples."""

    def __init__(self, limits: TreeLimits) -> None:
        self.limits = limits
        found = hierarchy() if limits.cgroup else None
        self.group: CommandGroup | None = None
        if found is not None:
            try:
                self.group = CommandGroup(found, limits.memory_mb, limits.max_processes)
            except OSError as error:  # e.g. the group was removed since: sample instead
                log.warning("no cgroup for this command (%s); sampling /proc instead", error)
        self.written = 0  # the most the tree was seen to have written

    def prefix(self) -> list[str]:
        """The argv prefix that starts the command under the guard (joins the cgroup)."""
        return self.group.join_prefix() if self.group is not None else []

    def over(self, root: int) -> str | None:
        """The limit the tree under `root` passed ("memory limit", "process limit",
        "write limit"), or None."""
        from agent.sandbox.process import descendants

        tree = [root, *descendants(root)]
        if self.group is not None:
            reason = self.group.over()
        else:
            reason = self._sampled_over(tree)
        if reason is not None:
            return reason
        self.written = max(self.written, sum(_write_bytes(pid) for pid in tree))
        return "write limit" if self.written > self.limits.write_mb * MB else None

    def _sampled_over(self, tree: list[int]) -> str | None:
        if len(tree) > self.limits.max_processes:
            return "process limit"
        if sum(_resident(pid) for pid in tree) > self.limits.memory_mb * MB:
            return "memory limit"
        return None

    def close(self) -> None:
        """Remove the cgroup (killing anything still in it)."""
        if self.group is not None:
            self.group.close()


def _resident(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _write_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/io", "rb") as io:
            for line in io:
                if line.startswith(b"write_bytes:"):
                    return int(line.split()[1])
    except (OSError, IndexError, ValueError):
        pass
    return 0
