"""Hook results kept by the content they were computed for, so the same content is instant.

The key is a hash of the hook, its options and the content's git tree id; entries are small
JSON files under ROOT/.agent/hook/results/, written atomically, and a damaged one counts as
missing. Only verdicts are kept, never anything from outside the repository.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

RESULTS_DIR = "hook/results"
KEEP = 200  # entries; the oldest go first


def cache_key(*parts: object) -> str:
    """A stable key for the parts (hook id, options, tree id, version)."""
    text = json.dumps([str(p) for p in parts])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def load(agent_dir: Path, key: str) -> dict | None:
    """The kept result for `key`, or None."""
    try:
        value = json.loads((agent_dir / RESULTS_DIR / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def save(agent_dir: Path, key: str, result: dict) -> None:
    """Keep `result` for `key`, dropping the oldest entries beyond KEEP."""
    folder = agent_dir / RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key}.json"
    temporary = folder / f".{key}.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(result), encoding="utf-8")
    os.replace(temporary, path)
    entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
    for old in entries[:-KEEP]:
        old.unlink(missing_ok=True)
