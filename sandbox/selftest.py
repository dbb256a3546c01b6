"""A one-second check that the sandbox really confines: for `agent doctor`."""

from __future__ import annotations

import socket
import sys
import tempfile
import time
from pathlib import Path

from agent.sandbox.detect import create_sandbox
from agent.sandbox.types import Policy, SandboxUnavailable

# Runs inside the sandbox: write the workspace, write outside it, connect to the host.
_PROBE = """
import socket, sys
open("inside.txt", "w").write("ok")
try:
    open(sys.argv[1], "w").write("escaped")
except OSError:
    pass
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=2).close()
    print("network reached")
except OSError:
    print("network blocked")
"""


def self_test(backend: str = "auto") -> tuple[bool, str]:
    """Run a tiny command in the sandbox and confirm it can write its workspace but not
    outside it, and cannot reach a listener on this machine. Returns (passed, summary)."""
    start = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="agent-selftest-") as tmp,
        socket.create_server(("127.0.0.1", 0)) as listener,
    ):
        workspace = Path(tmp, "workspace")
        workspace.mkdir()
        outside = Path(tmp, "outside.txt")
        try:
            sandbox = create_sandbox(Policy(workspace, timeout_s=10), backend)
        except SandboxUnavailable as error:
            return False, str(error)
        port = str(listener.getsockname()[1])
        result = sandbox.run([sys.executable, "-c", _PROBE, str(outside), port])
        problems = []
        if not (workspace / "inside.txt").exists():
            problems.append(f"could not write its workspace ({result.stderr.strip()[-200:]})")
        if outside.exists():
            problems.append("wrote outside its workspace")
        if "network blocked" not in result.stdout:
            problems.append("reached the network")
    took = time.monotonic() - start
    if problems:
        return False, f"{sandbox.backend}: a test command {' and '.join(problems)} ({took:.2f} s)"
    return True, (
        f"{sandbox.backend}: a test command wrote its workspace but not outside it "
        f"and could not reach the network ({took:.2f} s)"
    )
