"""The `none` backend: no isolation at all, only timeouts, rlimits and a scrubbed environment.

Used only when the user names it (`--sandbox none`); the command layer announces it.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agent.sandbox.env import scrubbed_env
from agent.sandbox.limits import limit_wrapper
from agent.sandbox.process import Launch, run_process
from agent.sandbox.types import OutputSink, Policy, Result


@dataclass
class UnconfinedSandbox:
    """Runs commands directly on the host, bounded by time and rlimits but not confined."""

    policy: Policy
    backend: str = field(default="none", init=False)
    _home: str | None = field(default=None, init=False, repr=False)

    def home(self) -> str:
        """A private HOME for the commands, made on first use, so tools keep out of ~."""
        if self._home is None:
            self._home = tempfile.mkdtemp(prefix="agent-home-")
            weakref.finalize(self, shutil.rmtree, self._home, True)
        return self._home

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
        """Run `argv` on the host (network is never blocked, and everything the user may
        write is writable, `writable` included); see `sandbox.Sandbox.run`."""
        if not argv:
            raise ValueError("argv is empty")
        prefix, preexec = limit_wrapper(self.policy)
        launch = Launch(
            argv=[*prefix, *argv],
            env=scrubbed_env(self.home(), env),
            cwd=str(Path(cwd or self.policy.workspace)),
            stdin=stdin.encode() if isinstance(stdin, str) else stdin,
            timeout_s=self.policy.timeout_s if timeout is None else timeout,
            output_cap=self.policy.output_cap_bytes,
            preexec=preexec,
            tree_limits=self.policy.tree_limits(),
        )
        return run_process(launch, on_output)
