"""Run one command for the debugger: through the sandbox when it is available.

Tracing, coverage and bug validation all run the project's own tests, so they go
through `sandbox/` like every other command the agent runs. `backend="none"` (named
explicitly) runs a plain subprocess, for hosts without bubblewrap.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class RunResult:
    """What a command did; the same fields as `sandbox.Result` that callers use."""

    exit_code: int
    stdout: str
    stderr: str
    timed_out: bool
    duration_s: float


def run_command(
    root: Path,
    argv: Sequence[str],
    timeout: float = 120.0,
    env: dict[str, str] | None = None,
    backend: str | Any = "auto",
) -> RunResult:
    """Run `argv` in `root` (writable workspace) and return its result.

    `backend` names a sandbox backend ("auto", "bwrap", "none") or is a ready `Sandbox`
    (a tool passes the one its context holds).

    Bytecode caches are off: bug synthesis and its evaluation rewrite files within the
    same second and size, which a stale .pyc would hide.
    """
    env = {"PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    if not isinstance(backend, str):
        box = backend
    else:
        try:
            from agent.sandbox import Policy, create_sandbox
        except ImportError:
            return _run_subprocess(root, argv, timeout, env)
        box = create_sandbox(Policy(workspace=Path(root), timeout_s=timeout), backend=backend)
    res = box.run(list(argv), cwd=Path(root), timeout=timeout, env=env)
    return RunResult(res.exit_code, res.stdout, res.stderr, res.timed_out, res.duration_s)


def _run_subprocess(
    root: Path, argv: Sequence[str], timeout: float, env: dict[str, str] | None
) -> RunResult:
    start = time.monotonic()
    full_env = {**os.environ, **(env or {})}
    try:
        proc = subprocess.run(
            list(argv),
            cwd=root,
            env=full_env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            start_new_session=True,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else ""
        return RunResult(-9, out, "", True, time.monotonic() - start)
    return RunResult(proc.returncode, proc.stdout, proc.stderr, False, time.monotonic() - start)
