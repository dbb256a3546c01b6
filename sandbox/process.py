"""Start a command, feed its stdin, capture both pipes with a cap, and kill the whole process
tree when the wall clock runs out or the tree passes a limit (`agent.sandbox.treewatch`). Both
backends run their commands through here."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO

from agent.sandbox.capture import CappedBuffer
from agent.sandbox.treewatch import SAMPLE_S, TreeGuard, TreeLimits
from agent.sandbox.types import OutputSink, Result

CHUNK = 65536
# After a kill, how long to wait for the pipes to close before giving up on them.
DRAIN_GRACE_S = 2.0
_bound = threading.local()  # .stopper: the CommandStopper of the commands this thread runs


@dataclass
class Launch:
    """Everything needed to start one command."""

    argv: Sequence[str]
    env: Mapping[str, str]
    cwd: str | None
    stdin: bytes | None
    timeout_s: float
    output_cap: int
    preexec: Callable[[], None] | None = None
    # bwrap reports a command killed by signal N as exit status 128 + N.
    status_encodes_signal: bool = False
    tree_limits: TreeLimits | None = None


def run_process(launch: Launch, on_output: OutputSink | None = None) -> Result:
    """Run the command to the end, to its deadline or to a tree limit, and report how it ended."""
    start = time.monotonic()
    guard = TreeGuard(launch.tree_limits) if launch.tree_limits is not None else None
    try:
        proc = subprocess.Popen(
            [*(guard.prefix() if guard else []), *launch.argv],
            env=dict(launch.env),
            cwd=launch.cwd,
            stdin=subprocess.PIPE if launch.stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=launch.preexec,
        )
    except OSError as error:  # the none backend starts the command directly
        if guard is not None:
            guard.close()
        code = 127 if isinstance(error, FileNotFoundError) else 126
        message = f"{error.filename or launch.argv[0]}: {error.strerror}\n"
        return Result(code, "", message, False, time.monotonic() - start, False, None)
    buffers = {"stdout": CappedBuffer(launch.output_cap), "stderr": CappedBuffer(launch.output_cap)}
    watch = _Watch(proc.pid, start + launch.timeout_s, guard)
    stopper = getattr(_bound, "stopper", None)
    try:
        if stopper is not None and not stopper.started(proc.pid):
            watch.stop("stopped")
        _pump(proc, launch.stdin, buffers, watch, on_output)
        if watch.stopped is None:
            _wait_until(proc, watch)
    finally:
        if stopper is not None:  # before the process can be reaped and its pid reused
            stopper.ended(proc.pid)
        if proc.poll() is None:
            kill_tree(proc.pid)
        proc.wait()
        if guard is not None:
            guard.close()
    return _result(proc.returncode, launch, buffers, watch.stopped, time.monotonic() - start)


class _Watch:
    """When to stop a running command: its deadline, or a tree limit its guard reports.
    `stopped` is None while it may run, else "timeout" or the limit's name."""

    def __init__(self, pid: int, deadline: float, guard: TreeGuard | None) -> None:
        self.pid, self.deadline, self.guard = pid, deadline, guard
        self.stopped: str | None = None
        self._next_sample = time.monotonic() + SAMPLE_S

    def wait_s(self) -> float:
        """How long to block before looking again."""
        left = self.deadline - time.monotonic()
        return min(left, SAMPLE_S) if self.guard is not None else left

    def check(self) -> bool:
        """Kill the tree if its time is up or it passed a limit; False once even the grace
        after a kill is over (something outside our reach holds a pipe open)."""
        now = time.monotonic()
        if now >= self.deadline:
            if self.stopped is not None:
                return False
            self.stop("timeout")
        elif self.stopped is None and self.guard is not None and now >= self._next_sample:
            self._next_sample = now + SAMPLE_S
            reason = self.guard.over(self.pid)
            if reason is not None:
                self.stop(reason)
        return True

    def stop(self, reason: str) -> None:
        """Kill the tree now, for `reason`; the pipes get DRAIN_GRACE_S to close."""
        self.stopped = reason
        kill_tree(self.pid)
        self.deadline = time.monotonic() + DRAIN_GRACE_S


class CommandStopper:
    """Stops, from any thread, the commands that the threads bound to it run: the running
    ones at once, later ones as soon as they start (each reads as killed by a signal, or
    killed_by "stopped" when it had not yet begun)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[int] = set()
        self.stopped = False

    def bind(self) -> None:
        """Make the commands the calling thread runs from now on stoppable by this one."""
        _bound.stopper = self

    def stop(self) -> None:
        """Kill every bound command's process tree, now and from now on."""
        with self._lock:
            self.stopped = True
            for pid in self._running:
                kill_tree(pid)

    def started(self, pid: int) -> bool:
        """Note a bound command's process; False (it must be killed) once stopped."""
        with self._lock:
            if not self.stopped:
                self._running.add(pid)
            return not self.stopped

    def ended(self, pid: int) -> None:
        """The command's process was reaped."""
        with self._lock:
            self._running.discard(pid)


def _pump(
    proc: subprocess.Popen[bytes],
    stdin: bytes | None,
    buffers: dict[str, CappedBuffer],
    watch: _Watch,
    on_output: OutputSink | None,
) -> None:
    """Move bytes until both output pipes close, or the watch gives up on them."""
    selector = selectors.DefaultSelector()
    for name in ("stdout", "stderr"):
        pipe = getattr(proc, name)
        os.set_blocking(pipe.fileno(), False)
        selector.register(pipe, selectors.EVENT_READ, name)
    pending = memoryview(stdin or b"")
    stdin_pipe = proc.stdin
    if stdin_pipe is not None:
        os.set_blocking(stdin_pipe.fileno(), False)
        selector.register(stdin_pipe, selectors.EVENT_WRITE, "stdin")
    with selector:
        while selector.get_map() and watch.check():
            for key, _ in selector.select(max(watch.wait_s(), 0)):
                if key.data == "stdin" and stdin_pipe is not None:
                    pending = _feed(selector, stdin_pipe, pending)
                    continue
                data = os.read(key.fd, CHUNK)
                if not data:
                    selector.unregister(key.fileobj)
                    continue
                buffers[key.data].write(data)
                if on_output is not None:
                    on_output(key.data, data)
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()


def _feed(selector: selectors.BaseSelector, pipe: IO[bytes], pending: memoryview) -> memoryview:
    """Write the next piece of stdin; close the pipe when all is written or nobody reads."""
    try:
        written = os.write(pipe.fileno(), pending[:CHUNK]) if pending else 0
    except (BrokenPipeError, BlockingIOError) as error:
        written = 0 if isinstance(error, BlockingIOError) else len(pending)
    pending = pending[written:]
    if not pending:
        selector.unregister(pipe)
        pipe.close()
    return pending


def _wait_until(proc: subprocess.Popen[bytes], watch: _Watch) -> None:
    """Wait for a command that closed its output but may still run, as the watch says."""
    while watch.stopped is None and watch.check():
        try:
            proc.wait(timeout=max(watch.wait_s(), 0))
            return
        except subprocess.TimeoutExpired:
            continue


def _result(
    status: int,
    launch: Launch,
    buffers: dict[str, CappedBuffer],
    stopped: str | None,
    duration: float,
) -> Result:
    timed_out = stopped == "timeout"
    if launch.status_encodes_signal and stopped is None and 128 < status <= 128 + 64:
        status = -(status - 128)
    killed_by = stopped
    if stopped is None and status < 0:
        try:
            killed_by = signal.Signals(-status).name
        except ValueError:
            killed_by = f"signal {-status}"
    out, err = buffers["stdout"], buffers["stderr"]
    return Result(
        status,
        out.text(),
        err.text(),
        timed_out,
        duration,
        out.truncated or err.truncated,
        killed_by,
    )


def descendants(pid: int) -> list[int]:
    """Every live process below `pid`, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def kill_tree(pid: int) -> None:
    """SIGKILL the process group led by `pid` and every descendant, even those that left
    the group with setsid(). Everything found is stopped first, so nothing forks away
    between the look and the kill."""
    stopped: set[int] = set()
    for _ in range(10):
        found = {pid, *descendants(pid)} - stopped
        if not found:
            break
        _signal(pid, found, signal.SIGSTOP)
        stopped |= found
    _signal(pid, stopped, signal.SIGKILL)


def _signal(group: int, pids: set[int], signum: int) -> None:
    try:
        os.killpg(group, signum)
    except (ProcessLookupError, PermissionError):
        pass
    for pid in pids:
        try:
            os.kill(pid, signum)
        except (ProcessLookupError, PermissionError):
            pass
