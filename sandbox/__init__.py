"""Every command the agent runs goes through here: confined, bounded and killable.

    sandbox = create_sandbox(Policy(workspace=repo_root))
    result = sandbox.run(["python", "-m", "pytest", "-q"], timeout=60)

The default backend is bubblewrap (`agent.sandbox.bwrap`); the `none` backend (`agent.sandbox.unconfined`)
runs only when named. Nothing is probed on import: `detect()` probes on first use and
remembers the answer for the process.
"""

from agent.sandbox.detect import create_sandbox, detect, unconfined_warning
from agent.sandbox.selftest import self_test
from agent.sandbox.types import OutputSink, Policy, Result, Sandbox, SandboxUnavailable
from agent.sandbox.workspace import find_workspace

__all__ = [
    "OutputSink",
    "Policy",
    "Result",
    "Sandbox",
    "SandboxUnavailable",
    "create_sandbox",
    "detect",
    "find_workspace",
    "self_test",
    "unconfined_warning",
]
