"""Start a command, feed its stdin, capture both pipes with a cap, and kill the whole process
tree when the wall clock runs out. Both backends run their commands through here."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO

from sandbox.capture import CappedBuffer
from sandbox.types import OutputSink, Result

CHUNK = 65536
# After a kill, how long to wait for the pipes to close before giving up on them.
DRAIN_GRACE_S = 2.0


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


def run_process(launch: Launch, on_output: OutputSink | None = None) -> Result:
    """Run the command to the end or to its deadline and report how it ended."""
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            list(launch.argv), env=dict(launch.env), cwd=launch.cwd,
            stdin=subprocess.PIPE if launch.stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True, preexec_fn=launch.preexec,
        )
    except OSError as error:  # the none backend starts the command directly
        code = 127 if isinstance(error, FileNotFoundError) else 126
        message = f"{error.filename or launch.argv[0]}: {error.strerror}\n"
        return Result(code, "", message, False, time.monotonic() - start, False, None)
    buffers = {"stdout": CappedBuffer(launch.output_cap), "stderr": CappedBuffer(launch.output_cap)}
    deadline = start + launch.timeout_s
    timed_out = False
    try:
        timed_out = _pump(proc, launch.stdin, buffers, deadline, on_output)
        if not timed_out:
            timed_out = _wait_until(proc, deadline)
    finally:
        if proc.poll() is None:
            kill_tree(proc.pid)
        proc.wait()
    return _result(proc.returncode, launch, buffers, timed_out, time.monotonic() - start)


def _pump(proc: subprocess.Popen, stdin: bytes | None, buffers: dict[str, CappedBuffer],
          deadline: float, on_output: OutputSink | None) -> bool:
    """Move bytes until both output pipes close; True if the deadline forced a kill."""
    selector = selectors.DefaultSelector()
    for name in ("stdout", "stderr"):
        pipe = getattr(proc, name)
        os.set_blocking(pipe.fileno(), False)
        selector.register(pipe, selectors.EVENT_READ, name)
    pending = memoryview(stdin or b"")
    if proc.stdin is not None:
        os.set_blocking(proc.stdin.fileno(), False)
        selector.register(proc.stdin, selectors.EVENT_WRITE, "stdin")
    timed_out = False
    with selector:
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if timed_out:
                    break  # something outside our reach still holds a pipe open
                timed_out = True
                kill_tree(proc.pid)
                deadline = time.monotonic() + DRAIN_GRACE_S
                continue
            for key, _ in selector.select(remaining):
                if key.data == "stdin":
                    pending = _feed(selector, key.fileobj, pending)
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
    return timed_out


def _feed(selector: selectors.BaseSelector, pipe: IO[bytes], pending: memoryview
          ) -> memoryview:
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


def _wait_until(proc: subprocess.Popen, deadline: float) -> bool:
    """Wait for a command that closed its output but may still run; True if it was killed."""
    try:
        proc.wait(timeout=max(deadline - time.monotonic(), 0))
        return False
    except subprocess.TimeoutExpired:
        kill_tree(proc.pid)
        return True


def _result(status: int, launch: Launch, buffers: dict[str, CappedBuffer], timed_out: bool,
            duration: float) -> Result:
    if launch.status_encodes_signal and not timed_out and 128 < status <= 128 + 64:
        status = -(status - 128)
    killed_by = None
    if timed_out:
        killed_by = "timeout"
    elif status < 0:
        try:
            killed_by = signal.Signals(-status).name
        except ValueError:
            killed_by = f"signal {-status}"
    out, err = buffers["stdout"], buffers["stderr"]
    return Result(status, out.text(), err.text(), timed_out, duration,
                  out.truncated or err.truncated, killed_by)


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
