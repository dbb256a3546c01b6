"""Which backend this machine can run, found once per process on first use, and the way to
get a sandbox for a policy."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path

from agent.errors import UserError
from agent.sandbox.types import Policy, Sandbox, SandboxUnavailable

BACKENDS = ("auto", "bwrap", "none")
_lock = threading.Lock()
_cache: dict[str, tuple[str | None, str, frozenset[str]]] = {}

OPT_OUT = "or, knowing that commands then run unconfined, pass --sandbox none"
FIX_INSTALL = (
    "bubblewrap (bwrap) is not installed: install it (apt-get install bubblewrap, "
    "dnf install bubblewrap, or pacman -S bubblewrap), " + OPT_OUT
)


def detect() -> tuple[str | None, str]:
    """The backend commands will run under ("bwrap"), or None with what failed and the fix.

    Probes once per process (a ~20 ms bwrap run) and remembers the answer.
    """
    backend, message, _ = _detected()
    return backend, message


def _detected() -> tuple[str | None, str, frozenset[str]]:
    with _lock:
        if "answer" not in _cache:
            _cache["answer"] = _probe()
        return _cache["answer"]


def _probe() -> tuple[str | None, str, frozenset[str]]:
    """Find bwrap, learn which optional options it has, and start one real sandbox."""
    if not sys.platform.startswith("linux"):
        why = f"the bubblewrap sandbox needs Linux, this is {sys.platform}; {OPT_OUT}"
        return None, why, frozenset()
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return None, FIX_INSTALL, frozenset()
    try:
        help_text = subprocess.run(
            [bwrap, "--help"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
        from agent.sandbox.bwrap import OPTIONAL

        options = frozenset(option for option in OPTIONAL if option in help_text)
        error = _try_sandbox(bwrap, options)
        if error is not None and "--disable-userns" in options:
            # A setuid bwrap, or a kernel that refuses a second user namespace, can still
            # sandbox without that extra guard.
            options -= {"--disable-userns"}
            error = _try_sandbox(bwrap, options)
    except subprocess.TimeoutExpired:
        return None, "bwrap did not answer within 10 s; " + OPT_OUT, frozenset()
    if error is not None:
        return None, namespace_failure(error), frozenset()
    return "bwrap", f"bwrap ({bwrap}) can create namespaces", options


def _try_sandbox(bwrap: str, options: frozenset[str]) -> str | None:
    """Start `true` in a sandbox like the real ones; None if it worked, else bwrap's error."""
    from agent.sandbox.bwrap import namespace_args

    probe = [
        bwrap,
        *namespace_args(False, options),
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--",
        "true",
    ]
    done = subprocess.run(probe, capture_output=True, text=True, timeout=10, check=False)
    return None if done.returncode == 0 else done.stderr.strip()


def namespace_failure(stderr: str) -> str:
    """A plain explanation of why bwrap could not start a sandbox, and how to fix it."""
    fixes = []
    if _read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1":
        fixes.append(
            "Ubuntu's AppArmor blocks user namespaces: add an AppArmor profile for "
            "bwrap or run sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"
        )
    if _read("/proc/sys/kernel/unprivileged_userns_clone") == "0":
        fixes.append("run sysctl -w kernel.unprivileged_userns_clone=1")
    if _read("/proc/sys/user/max_user_namespaces") == "0":
        fixes.append("run sysctl -w user.max_user_namespaces=15000")
    if not fixes:
        fixes.append(
            "allow user namespaces (sysctl kernel.unprivileged_userns_clone=1; on "
            "Ubuntu 24.04 kernel.apparmor_restrict_unprivileged_userns=0) or, in a "
            "container, run it with a seccomp profile that permits unshare"
        )
    detail = stderr.splitlines()[-1] if stderr else "no error text"
    return f"bwrap cannot create a sandbox here ({detail}); to fix: {'; '.join(fixes)}; {OPT_OUT}"


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def create_sandbox(policy: Policy, backend: str = "auto") -> Sandbox:
    """A sandbox enforcing `policy` with the named backend ("auto", "bwrap" or "none").

    "auto" and "bwrap" raise SandboxUnavailable, saying what failed and how to fix it, when
    bubblewrap cannot run; nothing falls back to "none" unless the caller names it.
    """
    if backend not in BACKENDS:
        raise UserError(f"unknown sandbox backend {backend!r}: choose one of {', '.join(BACKENDS)}")
    if not policy.workspace.is_dir():
        raise UserError(f"sandbox workspace {policy.workspace} is not a folder")
    if backend == "none":
        from agent.sandbox.unconfined import UnconfinedSandbox

        return UnconfinedSandbox(policy)
    found, message, options = _detected()
    if found is None:
        raise SandboxUnavailable(message)
    from agent.sandbox.bwrap import BwrapSandbox

    return BwrapSandbox(policy, bwrap=shutil.which("bwrap") or "bwrap", options=options)


_announced: set[str] = set()


def unconfined_warning(sandbox: Sandbox) -> str | None:
    """The loud warning a front end prints for the `none` backend: the text the first time
    in this process, None afterwards and for confined backends."""
    if sandbox.backend != "none" or "none" in _announced:
        return None
    _announced.add("none")
    return (
        "WARNING: --sandbox none: commands run UNCONFINED with your files, network and "
        "credentials in reach; only time, rlimits and the environment are limited."
    )
