"""How long the whole suite took when the hook last ran it, kept for the fallback decision."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

SUITE_FILE = "hook/suite.json"


def suite_seconds(agent_dir: Path) -> float | None:
    """How long the whole suite took when last run by the hook, if it ever was."""
    try:
        return float(json.loads((agent_dir / SUITE_FILE).read_text())["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remember_suite_seconds(agent_dir: Path, seconds: float) -> None:
    """Keep the whole suite's duration for the next fallback decision (atomic write)."""
    path = agent_dir / SUITE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps({"seconds": round(seconds, 3), "at": time.time()}))
    os.replace(temporary, path)
