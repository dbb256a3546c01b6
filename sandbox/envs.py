"""Folders in the workspace that hold an environment the person runs (a venv, tox's, direnv's).

A command that writes there (a `.pth` file, a patched package) runs code the next time the
person uses that environment, so they are read-only in the sandbox unless opened by config.
"""

from __future__ import annotations

from pathlib import Path

ENVIRONMENT_NAMES = (".venv", "venv", ".tox", ".nox", ".direnv")
# Named like this, a folder is an environment only when it holds a venv's pyvenv.cfg.
VENV_ONLY_NAMES = ("env",)


def environment_folders(workspace: Path) -> list[Path]:
    """The environment folders at the top of `workspace` (real paths inside it)."""
    root = Path(workspace).resolve()
    found = []
    for name in (*ENVIRONMENT_NAMES, *VENV_ONLY_NAMES):
        folder = root / name
        if not folder.is_dir():
            continue
        if name in VENV_ONLY_NAMES and not (folder / "pyvenv.cfg").is_file():
            continue
        real = folder.resolve()
        if real.is_relative_to(root) and real != root:
            found.append(real)
    return found
