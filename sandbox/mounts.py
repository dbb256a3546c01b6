"""The bubblewrap mount layout: the whole system read-only, the workspace writable, a private
/tmp and HOME, secrets hidden, the interpreter still usable, git's hooks and config frozen."""

from __future__ import annotations

import functools
import glob
import os
import pwd
import sys
from collections.abc import Iterable
from pathlib import Path

from agent.sandbox.env import pyenv_root
from agent.sandbox.secrets import HOME_SECRETS, workspace_secrets
from agent.sandbox.types import Policy
from agent.sandbox.workspace import AGENT_SCRATCH, agent_dir, git_dir_mounts, protected_git_paths

MB = 1024 * 1024
# Files only root may read; when the agent runs as root, so does the sandboxed code.
SYSTEM_SECRETS = (
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/shadow-",
    "/etc/gshadow-",
    "/etc/ssh/ssh_host_*_key",
    "/etc/ssl/private",
)


def hidden_homes() -> list[Path]:
    """The home folders to hide: $HOME and this user's home from the password database."""
    homes = []
    for home in (os.environ.get("HOME"), _passwd_home()):
        if home and Path(home).resolve() != Path("/") and Path(home).is_dir():
            path = Path(home).resolve()
            if path not in homes:
                homes.append(path)
    return homes


def _passwd_home() -> str | None:
    try:
        return pwd.getpwuid(os.getuid()).pw_dir
    except KeyError:
        return None


def _under(path: Path, folders: Iterable[Path]) -> bool:
    return any(path == folder or path.is_relative_to(folder) for folder in folders)


# The folder holding the `agent` package: sandboxed helpers (`python -m agent.debug.runner`)
# import the agent's own code, which may live in a checkout or venv under a hidden folder.
# Not resolved: in a checkout agent/sandbox links to the top-level sandbox/ folder.
CODE_ROOT = Path(__file__).absolute().parents[2]


def interpreter_paths(homes: list[Path]) -> list[Path]:
    """Folders under a hidden home or /tmp that commands need read-only: the interpreter's
    prefixes, the venv, pyenv, the agent's own code, user-installed tools, rustup's
    toolchains (binaries only; its settings and cargo's credentials stay hidden) and PATH
    entries."""
    environ = os.environ
    return list(
        _interpreter_paths(
            tuple(homes),
            environ.get("PATH", ""),
            environ.get("VIRTUAL_ENV"),
            environ.get("PYENV_ROOT"),
            environ.get("RUSTUP_HOME"),
        )
    )


# Resolving paths costs ~1 ms and the answer rarely changes; the arguments are everything
# it depends on ($PYENV_ROOT is read by pyenv_root()).
@functools.lru_cache(maxsize=16)
def _interpreter_paths(
    homes: tuple[Path, ...],
    path_var: str,
    venv: str | None,
    _pyenv_var: str | None,
    rustup: str | None = None,
) -> tuple[Path, ...]:
    candidates = [
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        venv,
        pyenv_root(),
        str(CODE_ROOT),
        *path_var.split(os.pathsep),
    ]
    candidates += [str(home / ".local" / sub) for home in homes for sub in ("bin", "lib")]
    candidates += [
        str(Path(r) / "toolchains")
        for r in ([Path(rustup)] if rustup else [home / ".rustup" for home in homes])
    ]
    hidden = [*homes, Path("/tmp").resolve()]
    keep: list[Path] = []
    for candidate in candidates:
        if not candidate or not os.path.isabs(candidate) or not os.path.isdir(candidate):
            continue
        path = Path(candidate).resolve()
        if path not in hidden and _under(path, hidden):
            keep.append(path)
    outermost: list[Path] = []
    for path in sorted(keep, key=lambda p: len(p.parts)):
        if not _under(path, outermost):  # a folder inside one already bound comes with it
            outermost.append(path)
    return tuple(outermost)


def env_files(workspace: Path, homes: list[Path]) -> list[Path]:
    """`.env`-style files in the workspace's parent folders and in the homes."""
    found = []
    for folder in [*workspace.parents, *homes]:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if (name == ".env" or name.startswith(".env.") or name == ".envrc") and entry.is_file():
                found.append(Path(entry.path))
    return found


def private_home(homes: list[Path]) -> Path:
    """HOME inside the sandbox: the real home's path, emptied, or /tmp/home without one."""
    return homes[0] if homes else Path("/tmp/home")


def mount_args(policy: Policy, network: bool, sized_tmpfs: bool = True) -> tuple[list[str], Path]:
    """The bwrap options that build the sandbox's file system, and HOME inside it.

    Later mounts cover earlier ones: the system, then emptied homes, then what must stay
    reachable inside them, then the writable folders, then what is frozen or hidden again.
    `sized_tmpfs` bounds each in-memory folder (/tmp, /dev/shm, HOME) by the file-size
    limit; bwrap before 0.7 cannot, and then only RLIMIT_FSIZE bounds each file there.
    """
    workspace = policy.workspace.resolve()
    homes = hidden_homes()
    home = private_home(homes)

    def tmpfs(path: Path | str, size: int = policy.file_size_mb * MB) -> list[str]:
        sized = ["--size", str(size)] if sized_tmpfs else []
        return [*sized, "--tmpfs", str(path)]

    # /run holds sockets (docker, dbus, ssh-agent) that a read-only mount still lets a
    # process connect to; name resolution may live there too, for when network is allowed.
    args = [
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        *tmpfs("/tmp"),
        *tmpfs("/dev/shm"),
        *tmpfs("/run", MB),
    ]
    if network:
        for resolver in ("/run/systemd/resolve", "/run/resolvconf"):
            args += ["--ro-bind-try", resolver, resolver]
    for folder in sorted({*homes, home}, key=lambda p: len(p.parts)):
        if folder != Path("/tmp"):
            args += tmpfs(folder)
    keep = interpreter_paths(homes)
    writable = [workspace, *((workspace / p).resolve() for p in policy.writable)]
    args += _binds("--ro-bind", keep) + _binds("--bind", writable)
    args += read_only_folder_binds(workspace, policy.read_only)
    args += overlay_binds(workspace, policy.overlays)
    args += _binds("--ro-bind", protected_git_paths(workspace))
    args += _git_dir_binds(workspace) + _agent_dir_hidden(workspace)
    args += _hide_again(workspace, homes, keep + writable)
    return args + hidden_binds(workspace, policy.hidden), home


def hidden_binds(workspace: Path, paths: Iterable[Path]) -> list[str]:
    """Blank the policy's `hidden` paths; one holding the workspace or inside it is let be
    (hiding it would hide the workspace, or what the person asked the agent to work on),
    and one inside another comes with it (bwrap cannot mount on a blanked folder)."""
    reals = sorted({Path(os.path.realpath(p)) for p in paths}, key=lambda p: len(p.parts))
    blanked: list[Path] = []
    for real in reals:
        if (
            real.exists()
            and not _under(workspace, [real])
            and not _under(real, [workspace])
            and not _under(real, blanked)
        ):
            blanked.append(real)
    return [arg for real in blanked for arg in _blank(real)]


def read_only_folder_binds(workspace: Path, folders: Iterable[Path]) -> list[str]:
    """Bind the policy's read-only folders (relative ones from the workspace) over the
    writable workspace. A mount point cannot be renamed or removed, so the folder cannot
    be swapped for a writable one either."""
    paths = [(workspace / folder).resolve() for folder in folders]
    return _binds("--ro-bind", [p for p in paths if p.is_dir()])


def overlay_binds(workspace: Path, overlays: Iterable[tuple[Path, Path]]) -> list[str]:
    """Bind each overlay's host path over its path in the workspace. Only over one that
    exists and stays inside the workspace: bwrap would create a missing mount point in the
    person's tree, and a symlink could lead the mount anywhere."""
    args: list[str] = []
    for source, target in overlays:
        path = workspace / target
        real = Path(os.path.realpath(path))
        if (
            not path.exists()
            or path.is_symlink()
            or not _under(real, [workspace])
            or real == workspace
        ):
            raise ValueError(f"cannot overlay {target}: not a file or folder in the workspace")
        args += ["--bind", str(source), str(real)]
    return args


def _binds(option: str, paths: list[Path]) -> list[str]:
    args: list[str] = []
    for path in paths:
        if path.exists():
            args += [option, str(path), str(path)]
    return args


def _git_dir_binds(workspace: Path) -> list[str]:
    """The git directories read-only and pinned in place: a command can neither write them
    nor swap in a copy whose config the agent's git on the host would obey."""
    return _binds("--ro-bind", git_dir_mounts(workspace))


def _agent_dir_hidden(workspace: Path) -> list[str]:
    """`.agent/` as an empty read-only folder, its scratch folders (when there) writable."""
    folder = agent_dir(workspace)
    if folder.is_symlink() or not folder.is_dir():  # not the agent's: nothing of ours to hide
        return []
    scratch = [folder / name for name in AGENT_SCRATCH]
    return ["--tmpfs", str(folder), *_binds("--bind", scratch), "--remount-ro", str(folder)]


def _hide_again(workspace: Path, homes: list[Path], visible: list[Path]) -> list[str]:
    """Cover secrets that a visible folder brought back, secrets inside the workspace,
    root-only system secrets, and .env files outside the workspace."""
    args: list[str] = []
    if os.geteuid() == 0:
        for pattern in SYSTEM_SECRETS:
            for found in glob.glob(pattern):
                args += _blank(Path(found))
    for home in homes:
        for name in HOME_SECRETS:
            secret = home / name
            if secret.exists() and _under(secret, visible):
                args += _blank(secret)
    for secret in workspace_secrets(workspace):
        args += _blank(secret)
    for env_file in env_files(workspace, homes):
        if not _under(env_file, [workspace]):
            args += _blank(env_file)
    return args


def _blank(path: Path) -> list[str]:
    if path.is_dir():
        return ["--tmpfs", str(path), "--remount-ro", str(path)]
    return ["--ro-bind", "/dev/null", str(path)]
