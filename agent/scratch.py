"""A scratch folder per session, outside the user's tree, that lasts across commands.

Sandboxed commands get a fresh /tmp each time, so a script written there by one command is
gone at the next. The session's scratch folder lives under the user's cache folder, is bound
writable into the sandbox and named by $AGENT_SCRATCH in every command's environment.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

KEEP_DAYS = 14  # scratch folders of sessions untouched this long are removed


def scratch_root() -> Path:
    """$XDG_CACHE_HOME/agent/scratch (default ~/.cache/agent/scratch)."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "agent" / "scratch"


def session_scratch(session_id: str) -> Path:
    """The session's scratch folder, created if need be (old ones of other sessions pruned)."""
    root = scratch_root()
    folder = root / session_id
    if not folder.is_dir():
        _prune(root)
        folder.mkdir(parents=True, mode=0o700, exist_ok=True)
    return folder


def _prune(root: Path) -> None:
    cutoff = time.time() - KEEP_DAYS * 86400
    try:
        entries = list(os.scandir(root))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry.path, ignore_errors=True)
        except OSError:
            continue
