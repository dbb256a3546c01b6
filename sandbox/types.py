"""The sandbox's vocabulary: the policy a sandbox enforces, the result of a run, the protocol."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from agent.errors import UserError
from agent.sandbox.treewatch import TreeLimits

# Called with ("stdout" | "stderr", bytes) as output arrives, for front ends that stream it.
OutputSink = Callable[[str, bytes], None]


class SandboxUnavailable(UserError):
    """The requested sandbox cannot run here; the message says what failed and how to fix it."""


@dataclass(frozen=True)
class Policy:
    """What a sandboxed command may do: where it may write, whether it may use the network,
    and how much time, memory, disk and output it gets.

    `workspace` and the `writable` folders (relative ones are taken from the workspace) are
    writable, except the `read_only` folders inside them (e.g. the person's `.venv`);
    everything else is read-only or hidden, the `hidden` files and folders (absolute paths
    outside the workspace, e.g. a benchmark task's answers) among them. `timeout_s` is wall-clock seconds,
    `cpu_s` CPU seconds per process, `memory_mb` address space per process, `file_size_mb`
    the largest file it may write (and the size of its private /tmp), `output_cap_bytes`
    how much of each of stdout and stderr is kept. For the whole process tree of one
    command: `tree_memory_mb` of memory (None: as much as `memory_mb`), `max_processes`
    processes at once and `write_cap_mb` written to disk; past one, the tree is killed.
    `tree_cgroup` False samples the tree from /proc even where a cgroup could bound it
    (under a cgroup, threads count towards `max_processes` as the kernel counts tasks).
    `overlays` are (host path, path in the workspace) pairs: each host file or folder is
    bound over the workspace's own, which exists (e.g. a file's version at session start).
    """

    workspace: Path
    writable: tuple[Path, ...] = ()
    read_only: tuple[Path, ...] = ()
    hidden: tuple[Path, ...] = ()
    network: bool = False
    timeout_s: float = 120
    cpu_s: int = 300
    memory_mb: int = 4096
    file_size_mb: int = 1024
    open_files: int = 1024
    output_cap_bytes: int = 1_000_000
    tree_memory_mb: int | None = None
    max_processes: int = 512
    write_cap_mb: int = 1024
    tree_cgroup: bool = True
    overlays: tuple[tuple[Path, Path], ...] = ()

    def tree_limits(self) -> TreeLimits:
        """The bounds on one command's whole tree, for `agent.sandbox.process`."""
        memory = self.memory_mb if self.tree_memory_mb is None else self.tree_memory_mb
        return TreeLimits(memory, self.max_processes, self.write_cap_mb, self.tree_cgroup)


@dataclass(frozen=True)
class Result:
    """How a sandboxed command ended and what it printed.

    `exit_code` is negative when a signal ended the command (-9 for SIGKILL); bwrap passes
    a signal on as status 128 + N, so under bwrap a command that itself exits with 129..192
    reads as a signal too. `killed_by` is "timeout" when the wall clock ran out, the
    signal's name ("SIGXCPU" for the CPU limit, "SIGSEGV", ...) when a signal ended it,
    "memory limit", "process limit" or "write limit" when the tree passed one of the
    policy's tree bounds, else None. `truncated` is True when either stream passed the
    output cap: the text then keeps its head and tail around a marker saying how many
    bytes were cut.
    """

    exit_code: int
    stdout: str
    stderr: str
    timed_out: bool
    duration_s: float
    truncated: bool
    killed_by: str | None

    @property
    def ok(self) -> bool:
        """True when the command exited with status 0."""
        return self.exit_code == 0


class Sandbox(Protocol):
    """Runs commands confined by a `Policy`."""

    policy: Policy

    @property
    def backend(self) -> str:
        """The backend's name: "bwrap" or "none"."""
        ...

    def run(
        self,
        argv: Sequence[str],
        cwd: Path | str | None = None,
        timeout: float | None = None,
        network: bool = False,
        env: Mapping[str, str] | None = None,
        stdin: str | bytes | None = None,
        on_output: OutputSink | None = None,
        writable: Sequence[Path] = (),
    ) -> Result:
        """Run `argv` (in `cwd`, default the workspace) and return how it ended.

        `timeout` defaults to the policy's. The command gets the network when `network` is
        True or the policy allows it; callers pass True only on the user's say-so. `env`
        entries are added to the scrubbed environment; `stdin` is fed to the command (else
        it reads an empty stdin); `on_output` sees output as it arrives. `writable` folders
        (existing, outside the workspace) this command alone may write as well, e.g. where
        it leaves a report no other command can touch.
        """
        ...
