"""The bubblewrap backend: each command runs in fresh namespaces with no capabilities."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from agent.sandbox.env import scrubbed_env
from agent.sandbox.limits import limit_wrapper
from agent.sandbox.mounts import mount_args
from agent.sandbox.process import Launch, run_process
from agent.sandbox.types import OutputSink, Policy, Result

# Options newer than bubblewrap 0.6 (Ubuntu 22.04), used only when this bwrap has them.
OPTIONAL = ("--disable-userns", "--size")


def namespace_args(network: bool, options: frozenset[str]) -> list[str]:
    """Fresh namespaces for everything (the network too unless allowed), no capabilities,
    killed with its parent, and no access to the caller's terminal."""
    args = ["--unshare-all"]
    if network:
        args.append("--share-net")
    if "--disable-userns" in options:
        # Nested user namespaces are kernel attack surface a build or test never needs.
        args += ["--unshare-user", "--disable-userns"]
    return args + ["--cap-drop", "ALL", "--die-with-parent", "--new-session"]


@dataclass
class BwrapSandbox:
    """Runs commands under bubblewrap according to `policy`."""

    policy: Policy
    bwrap: str = "bwrap"
    options: frozenset[str] = frozenset()
    backend: str = field(default="bwrap", init=False)

    def with_overlays(self, overlays: tuple[tuple[Path, Path], ...]) -> BwrapSandbox:
        """The same sandbox with `overlays` bound over the workspace (see `Policy`)."""
        return replace(self, policy=replace(self.policy, overlays=overlays))

    def command(
        self, argv: Sequence[str], cwd: Path, network: bool, env: Mapping[str, str] | None
    ) -> tuple[list[str], dict[str, str]]:
        """The full bwrap argv for `argv`, and the environment to start bwrap with."""
        mounts, home = mount_args(self.policy, network, sized_tmpfs="--size" in self.options)
        inner_env = scrubbed_env(str(home), env)
        args = [
            self.bwrap,
            *namespace_args(network, self.options),
            *mounts,
            "--chdir",
            str(cwd),
            "--clearenv",
        ]
        for key, value in inner_env.items():
            args += ["--setenv", key, value]
        return [*args, "--", *argv], scrubbed_env(str(home))

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
        """Run `argv` confined by the policy; see `sandbox.Sandbox.run`."""
        if not argv:
            raise ValueError("argv is empty")
        if writable:  # this command's own folders, bound for it alone
            extended = replace(self.policy, writable=(*self.policy.writable, *writable))
            return replace(self, policy=extended).run(
                argv, cwd, timeout, network, env, stdin, on_output
            )
        workdir = Path(cwd or self.policy.workspace).resolve()
        command, outer_env = self.command(argv, workdir, network or self.policy.network, env)
        prefix, preexec = limit_wrapper(self.policy)
        launch = Launch(
            argv=[*prefix, *command],
            env=outer_env,
            cwd=None,
            stdin=stdin.encode() if isinstance(stdin, str) else stdin,
            timeout_s=self.policy.timeout_s if timeout is None else timeout,
            output_cap=self.policy.output_cap_bytes,
            preexec=preexec,
            tree_limits=self.policy.tree_limits(),
            status_encodes_signal=True,
        )
        return _shell_exec_status(run_process(launch, on_output))


def _shell_exec_status(result: Result) -> Result:
    """bwrap exits 1 when it cannot start the command; report it as a shell would: 127
    for a command that is not there, 126 for one that cannot run."""
    if result.exit_code != 1 or not result.stderr.startswith("bwrap: execvp "):
        return result
    missing = "No such file or directory" in result.stderr.splitlines()[0]
    return replace(result, exit_code=127 if missing else 126)
