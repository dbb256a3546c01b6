"""Run tests under the tracer in the sandbox and load their trace artifacts."""

from __future__ import annotations

import json
import shutil
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agent.confine import LeavesWorkspace, read_text_inside
from agent.debug.coverage_map import PytestCommand
from agent.debug.runner import artifact_name


def trace_tests(
    root: Path,
    test_ids: Sequence[str],
    cmd: PytestCommand,
    focus: Sequence[str] | None = None,
    timeout: float = 300.0,
    backend: str = "auto",
    keep_in: Path | None = None,
    max_events: int = 20_000,
    max_bytes: int = 1_000_000,
) -> list[dict[str, Any]]:
    """Trace each test (one pytest process); the artifacts of those that ran, in order.

    Artifacts are written under ROOT/.agent/debug/ and removed afterwards unless
    `keep_in` names a directory to keep them in.
    """
    from agent.debug.execute import run_command

    if not test_ids:
        return []
    out = keep_in or root / ".agent" / "debug" / f"trace-{uuid.uuid4().hex[:8]}"
    argv = [
        sys.executable,
        "-m",
        "agent.debug.runner",
        "trace",
        "--root",
        str(root),
        "--out",
        str(out),
        "--max-events",
        str(max_events),
        "--max-bytes",
        str(max_bytes),
    ]
    for name in focus or ():
        argv += ["--focus", name]
    out.mkdir(parents=True, exist_ok=True)  # made here: the sandbox sees only what exists
    argv += ["--", *cmd.args_without_paths(), *test_ids]
    result = run_command(root, argv, timeout=timeout, env=cmd.env, backend=backend)
    traces = []
    for test_id in test_ids:
        artifact = out / artifact_name(test_id)
        if artifact.exists():
            try:  # written in the sandbox: a link out of the workspace is not followed
                data = json.loads(read_text_inside(root, artifact))
            except LeavesWorkspace:
                continue
            data["artifact"] = str(artifact) if keep_in else ""
            data["root"] = str(root)  # the artifact was written in the sandbox: not trusted
            traces.append(data)
    if keep_in is None:
        shutil.rmtree(out, ignore_errors=True)
    if not traces:
        trace_tests.last_output = (result.stdout + result.stderr)[-1500:]  # type: ignore[attr-defined]
    return traces
