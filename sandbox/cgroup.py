"""A control group per command, where the machine lets us make one: the kernel then bounds
the memory and the number of processes of the whole tree, however it forks.

cgroup v2 is used when our own group delegates the memory and pids controllers to its
children; else cgroup v1, when the memory and pids hierarchies are mounted and writable
(as root, or where they were delegated). Each command's group is made under the group we
already run in, so any limit placed on us still holds. Where neither works,
`agent.sandbox.treewatch` samples the tree from /proc instead; `mechanism()` says which applies.
"""

from __future__ import annotations

import functools
import itertools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

MB = 1024 * 1024
# Moves the starting shell into the groups (each file after it up to "--"), then becomes
# the command, so everything the command starts is born inside them.
JOIN = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'
_names = itertools.count(1)


@dataclass(frozen=True)
class Hierarchy:
    """Where per-command groups go: cgroup v2 (one folder) or v1 (memory and pids)."""

    version: int
    memory: Path
    pids: Path


def mechanism() -> str:
    """How a command's tree is bounded on this machine, in words for `agent doctor`."""
    found = hierarchy()
    if found is None:
        return (
            "a watchdog sampling the process tree every 0.1 s (no writable cgroup "
            "with the memory and pids controllers here)"
        )
    where = found.memory if found.version == 2 else f"{found.memory} and {found.pids}"
    return f"cgroup v{found.version} ({where})"


@functools.cache
def hierarchy() -> Hierarchy | None:
    """The writable cgroup hierarchy for per-command groups, or None (probed once)."""
    for candidate in (_v2(), _v1()):
        if candidate is not None and _writable(candidate):
            return candidate
    return None


def _own_groups() -> dict[str, str]:
    """controller (or "" for v2) -> our group's path, from /proc/self/cgroup."""
    groups = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return {}
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if controllers else [""]:
            groups[name] = path
    return groups


def _mounts(kind: str) -> list[tuple[Path, set[str]]]:
    """(mount point, options) of every filesystem of type `kind`."""
    found = []
    for line in Path("/proc/self/mounts").read_text().splitlines():
        fields = line.split()
        if len(fields) > 3 and fields[2] == kind:
            found.append((Path(fields[1]), set(fields[3].split(","))))
    return found


def _v2() -> Hierarchy | None:
    own = _own_groups().get("")
    if own is None:
        return None
    for mount, _ in _mounts("cgroup2"):
        folder = mount / own.lstrip("/")
        try:
            delegated = set((folder / "cgroup.subtree_control").read_text().split())
        except OSError:
            continue
        if {"memory", "pids"} <= delegated:
            return Hierarchy(2, folder, folder)
    return None


def _v1() -> Hierarchy | None:
    own, folders = _own_groups(), {}
    for mount, options in _mounts("cgroup"):
        for controller in ("memory", "pids"):
            if controller in options and controller in own:
                folders[controller] = mount / own[controller].lstrip("/")
    if len(folders) < 2:
        return None
    return Hierarchy(1, folders["memory"], folders["pids"])


def _writable(found: Hierarchy) -> bool:
    probe = f"agent-probe-{os.getpid()}"
    made = []
    try:
        for base in {found.memory, found.pids}:
            (base / probe).mkdir()
            made.append(base / probe)
        return True
    except OSError:
        return False
    finally:
        for folder in made:
            _remove(folder)


class CommandGroup:
    """The cgroup(s) of one command: limits set, joined by the command's first process,
    watched for the limits being hit, and removed when the command is over."""

    def __init__(self, found: Hierarchy, memory_mb: int, max_processes: int) -> None:
        self.found = found
        name = f"agent-{os.getpid()}-{next(_names)}"
        self.folders = sorted({found.memory / name, found.pids / name})
        try:
            for folder in self.folders:
                folder.mkdir()
            self._limit(memory_mb * MB, max_processes)
        except OSError:
            self.close()
            raise

    def _limit(self, memory: int, processes: int) -> None:
        if self.found.version == 2:
            group = self.folders[0]
            _write(group / "memory.max", memory)
            _write(group / "memory.swap.max", 0, optional=True)
            _write(group / "pids.max", processes)
            return
        memory_group, pids_group = self._v1_groups()
        _write(memory_group / "memory.limit_in_bytes", memory)
        _write(memory_group / "memory.memsw.limit_in_bytes", memory, optional=True)
        _write(pids_group / "pids.max", processes)

    def _v1_groups(self) -> tuple[Path, Path]:
        memory = next(f for f in self.folders if f.parent == self.found.memory)
        pids = next(f for f in self.folders if f.parent == self.found.pids)
        return memory, pids

    def join_prefix(self) -> list[str]:
        """An argv prefix that starts the command inside the group(s)."""
        procs = [str(folder / "cgroup.procs") for folder in self.folders]
        return ["/bin/sh", "-c", JOIN, "sh", *procs, "--"]

    def over(self) -> str | None:
        """ "memory limit" once the kernel had to kill for memory, "process limit" once a
        fork was refused; else None."""
        if self.found.version == 2:
            group = self.folders[0]
            memory_events, pids_events = group / "memory.events", group / "pids.events"
        else:
            memory_group, pids_group = self._v1_groups()
            memory_events = memory_group / "memory.oom_control"
            pids_events = pids_group / "pids.events"
        if _counter(memory_events, "oom_kill") > 0:
            return "memory limit"
        if _counter(pids_events, "max") > 0:
            return "process limit"
        return None

    def close(self) -> None:
        """Kill whatever is left in the group(s) and remove them."""
        for folder in self.folders:
            for _ in range(50):
                pids = _members(folder)
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.02)
            _remove(folder)


def _write(path: Path, value: int, optional: bool = False) -> None:
    try:
        path.write_text(str(value))
    except OSError:
        if not optional:
            raise


def _counter(path: Path, name: str) -> int:
    try:
        for line in path.read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == name:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _members(folder: Path) -> list[int]:
    try:
        return [int(pid) for pid in (folder / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return []


def _remove(folder: Path) -> None:
    # A group is busy for a moment after its last process exits.
    for _ in range(100):
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.005)
