"""Bounds on a command's whole process tree, in the real bwrap sandbox: total memory, number
of processes and bytes written. Each is tried with the cgroup (where this machine allows
one) and with the /proc watchdog used where it does not."""

from __future__ import annotations

import os
import time

import pytest

from agent.sandbox import Policy, create_sandbox
from agent.sandbox.cgroup import hierarchy
from tests.sandbox_kit import area, needs_bwrap  # noqa: F401 - area is a fixture

MB = 1024 * 1024
ALLOCATE_300_MB = (
    "python3 -c 'import time; b = bytearray(300 * 1024 * 1024); "
    'b[::4096] = b"x" * len(b[::4096]); time.sleep(60)\''
)
MECHANISMS = [
    pytest.param(
        True,
        id="cgroup",
        marks=pytest.mark.skipif(
            hierarchy() is None, reason="no writable cgroup with memory and pids here"
        ),
    ),
    pytest.param(False, id="watchdog"),
]
pytestmark = needs_bwrap


def run(workspace, command: str, cgroup: bool, **limits):
    """`command` under bash in the bwrap sandbox with these tree limits; (result, seconds)."""
    policy = Policy(workspace, timeout_s=90, tree_cgroup=cgroup, **limits)
    started = time.monotonic()
    result = create_sandbox(policy, "bwrap").run(["bash", "-c", command])
    return result, time.monotonic() - started


def leftover_groups() -> list[str]:
    """Per-command cgroups of this process that are still there."""
    found = hierarchy()
    if found is None:
        return []
    prefix = f"agent-{os.getpid()}-"
    return [
        p.name
        for base in {found.memory, found.pids}
        for p in base.iterdir()
        if p.name.startswith(prefix)
    ]


@pytest.mark.parametrize("cgroup", MECHANISMS)
def test_twenty_processes_of_300_mb_are_killed_at_the_tree_memory_limit(area, cgroup):
    command = f"for i in $(seq 20); do {ALLOCATE_300_MB} & done; wait; echo survived"
    result, took = run(area, command, cgroup, tree_memory_mb=1024)
    assert result.killed_by == "memory limit", result
    assert result.exit_code == -9 and "survived" not in result.stdout
    assert took < 60
    assert leftover_groups() == []


@pytest.mark.parametrize("cgroup", MECHANISMS)
def test_a_fork_loop_is_stopped_by_the_process_cap(area, cgroup):
    result, took = run(area, "while true; do sleep 60 & done", cgroup, max_processes=64)
    assert result.killed_by == "process limit", result
    assert took < 60
    assert leftover_groups() == []


@pytest.mark.skipif(hierarchy() is None, reason="no writable cgroup with memory and pids here")
def test_a_fork_bomb_is_stopped_by_the_process_cap_of_the_cgroup(area):
    result, took = run(area, ":(){ :|:& };:; sleep 60", True, max_processes=64)
    assert result.killed_by == "process limit", result
    assert took < 30


@pytest.mark.parametrize("cgroup", MECHANISMS)
def test_writing_past_the_write_cap_kills_the_command(area, cgroup):
    # 10 MB at a time: the watch samples the tree's writes, and a whole 100 MB file can land
    # between two samples on a fast disk
    command = (
        "for i in 1 2 3; do for j in $(seq 10); do head -c 10M /dev/zero >> big$i; sleep 0.03;"
        " done; done; echo all written"
    )
    result, _ = run(area, command, cgroup, write_cap_mb=200)
    assert result.killed_by == "write limit", result
    assert "all written" not in result.stdout
    written = sum(p.stat().st_size for p in area.glob("big*"))
    assert written < 300 * MB  # stopped before the third file was complete


@pytest.mark.parametrize("cgroup", MECHANISMS)
def test_a_command_within_its_bounds_is_left_alone(area, cgroup):
    command = (
        "for i in 1 2 3 4 5; do sleep 0.3 & done; head -c 20M /dev/zero > file; "
        f"{ALLOCATE_300_MB.replace('time.sleep(60)', 'time.sleep(0.5)')}; wait; echo done"
    )
    result, _ = run(area, command, cgroup, tree_memory_mb=1024, max_processes=64, write_cap_mb=200)
    assert result.exit_code == 0 and result.killed_by is None, result
    assert result.stdout.strip() == "done"
