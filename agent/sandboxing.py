"""The sandbox a workspace's commands get under the repository's config.

The session, the pre-commit hook's check and `agent sandbox` / `agent tools` all build it
here, so a command runs under the same policy whichever way it was started.
"""

from __future__ import annotations

from pathlib import Path


def sandbox_policy(root: Path, config, scratch: Path | None = None):
    """The sandbox policy for commands in `root` under the repository's config: environment
    folders read-only unless `writable_envs`, the session's `scratch` folder writable, the
    process-tree bounds."""
    from agent.config import tree_bounds
    from agent.sandbox import Policy
    from agent.sandbox.envs import environment_folders

    read_only = () if config.writable_envs else tuple(environment_folders(root))
    return Policy(
        workspace=root,
        network=config.network,
        timeout_s=config.command_timeout_s,
        read_only=read_only,
        writable=(scratch,) if scratch else (),
        hidden=tuple(Path(p) for p in config.hidden_paths),
        **tree_bounds(config),
    )  # type: ignore[arg-type]  # every value an int


def sandbox_for(root: Path, config, scratch: Path | None = None):
    """The sandbox for commands in `root` under the repository's policy (and `scratch`
    writable, the session's scratch folder)."""
    from agent.sandbox import create_sandbox

    return create_sandbox(sandbox_policy(root, config, scratch), config.sandbox)
