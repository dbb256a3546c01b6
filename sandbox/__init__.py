"""Every command the agent runs goes through here: confined, bounded and killable.

    sandbox = create_sandbox(Policy(workspace=repo_root))
    result = sandbox.run(["python", "-m", "pytest", "-q"], timeout=60)

The default backend is bubblewrap (`sandbox.bwrap`); the `none` backend (`sandbox.unconfined`)
runs only when named. Nothing is probed on import: `detect()` probes on first use and
remembers the answer for the process.
"""

from sandbox.detect import create_sandbox, detect, unconfined_warning
from sandbox.selftest import self_test
from sandbox.types import OutputSink, Policy, Result, Sandbox, SandboxUnavailable
from sandbox.workspace import find_workspace

__all__ = [
    "OutputSink", "Policy", "Result", "Sandbox", "SandboxUnavailable", "create_sandbox",
    "detect", "find_workspace", "self_test", "unconfined_warning",
]
