"""Resource limits (CPU seconds, address space, file size, open files) for a sandboxed tree.

Limits are set on the first process and inherited by everything it starts. We prefer the
`prlimit` program from util-linux as a wrapper, because a Python `preexec_fn` is not safe
when other threads are running (the tools run calls in parallel); without `prlimit` we fall
back to `preexec_fn`.
"""

from __future__ import annotations

import functools
import resource
import shutil
from collections.abc import Callable

from agent.sandbox.types import Policy

MB = 1024 * 1024
# A process over its soft CPU limit gets SIGXCPU; the hard limit a little later is SIGKILL.
CPU_GRACE_S = 5


def rlimits(policy: Policy) -> dict[int, tuple[int, int]]:
    """The (soft, hard) limit for each resource the policy bounds, never above what this
    process may itself use (an unprivileged process cannot raise a hard limit)."""
    wanted = {
        resource.RLIMIT_CPU: (policy.cpu_s, policy.cpu_s + CPU_GRACE_S),
        resource.RLIMIT_AS: (policy.memory_mb * MB, policy.memory_mb * MB),
        resource.RLIMIT_FSIZE: (policy.file_size_mb * MB, policy.file_size_mb * MB),
        resource.RLIMIT_NOFILE: (policy.open_files, policy.open_files),
    }
    limits = {}
    for which, (soft, hard) in wanted.items():
        ceiling = resource.getrlimit(which)[1]
        if ceiling != resource.RLIM_INFINITY:
            soft, hard = min(soft, ceiling), min(hard, ceiling)
        limits[which] = (soft, hard)
    return limits


@functools.cache
def _prlimit_path() -> str | None:
    return shutil.which("prlimit")


_PRLIMIT_FLAGS = {
    resource.RLIMIT_CPU: "--cpu",
    resource.RLIMIT_AS: "--as",
    resource.RLIMIT_FSIZE: "--fsize",
    resource.RLIMIT_NOFILE: "--nofile",
}


def limit_wrapper(policy: Policy) -> tuple[list[str], Callable[[], None] | None]:
    """How to start a command under the policy's limits.

    Returns an argv prefix (a `prlimit` call) and no preexec function, or, when `prlimit`
    is missing, an empty prefix and a preexec function that sets the limits in the child.
    """
    limits = rlimits(policy)
    prlimit = _prlimit_path()
    if prlimit:
        flags = [f"{_PRLIMIT_FLAGS[r]}={soft}:{hard}" for r, (soft, hard) in limits.items()]
        return [prlimit, *flags, "--"], None

    def apply_limits() -> None:
        for which, pair in limits.items():
            resource.setrlimit(which, pair)

    return [], apply_limits
