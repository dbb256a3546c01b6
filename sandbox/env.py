"""The environment a sandboxed command sees: an allow-list, never keys or tokens."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

ALLOWED = frozenset(
    {
        "PATH",
        "LANG",
        "LANGUAGE",
        "TERM",
        "TZ",
        "USER",
        "LOGNAME",
        "COLUMNS",
        "LINES",
        "NO_COLOR",
        "FORCE_COLOR",
        "VIRTUAL_ENV",
        "CONDA_PREFIX",
        "PYENV_ROOT",
        "PYENV_VERSION",
    }
)
# Python variables that change how code runs but carry no credentials. PYTHONSTARTUP and
# friends are left out: they name files to execute.
ALLOWED_PYTHON = frozenset(
    {
        "PYTHONPATH",
        "PYTHONHASHSEED",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONUNBUFFERED",
        "PYTHONIOENCODING",
        "PYTHONUTF8",
        "PYTHONWARNINGS",
        "PYTHONDEVMODE",
        "PYTHONFAULTHANDLER",
        "PYTHONNOUSERSITE",
        "PYTHONSAFEPATH",
        "PYTHONTRACEMALLOC",
        "PYTHONASYNCIODEBUG",
    }
)
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"


def pyenv_root() -> str | None:
    """The pyenv installation this interpreter comes from, if any (its shims need it)."""
    if os.environ.get("PYENV_ROOT"):
        return os.environ["PYENV_ROOT"]
    versions = Path(sys.base_prefix).parent
    if versions.name == "versions" and (versions.parent / "shims").is_dir():
        return str(versions.parent)
    return None


def scrubbed_env(
    home: str, extra: Mapping[str, str] | None = None, source: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The allow-listed part of `source` (default os.environ), HOME set to `home`, and the
    caller's explicit `extra` entries on top."""
    source = os.environ if source is None else source
    env = {
        key: value
        for key, value in source.items()
        if key in ALLOWED or key in ALLOWED_PYTHON or key.startswith("LC_")
    }
    env.setdefault("PATH", DEFAULT_PATH)
    root = pyenv_root()
    if root:
        # pyenv's shims find their root through $HOME by default, and HOME changes here.
        env.setdefault("PYENV_ROOT", root)
    env["HOME"] = home
    env.update(extra or {})
    return env
