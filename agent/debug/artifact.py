"""The trace artifact on disk: pruned to a byte budget, written atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def fit_bytes(data: dict[str, Any], max_bytes: int) -> dict[str, Any]:
    """Prune a trace dict until its JSON is at most `max_bytes`: steps, then calls."""
    if len(json.dumps(data)) <= max_bytes:
        return data
    calls = data["calls"]
    keep = _essential_ids(calls)
    for call in calls:
        if call["id"] not in keep:
            call["steps"] = []
    data["truncated"] = True
    if len(json.dumps(data)) <= max_bytes:
        return data
    dropped = sum(1 for c in calls if c["id"] not in keep)
    data["calls"] = [c for c in calls if c["id"] in keep]
    data["dropped_calls"] = data.get("dropped_calls", 0) + dropped
    while len(json.dumps(data)) > max_bytes and any(c["steps"] for c in data["calls"]):
        biggest = max(data["calls"], key=lambda c: len(c["steps"]))
        biggest["steps"] = biggest["steps"][: len(biggest["steps"]) // 2]
    return data


def _essential_ids(calls: list[dict[str, Any]]) -> set[int]:
    """Calls that raised, their ancestors, and the test's direct calls."""
    by_id = {c["id"]: c for c in calls}
    keep: set[int] = set()
    for call in calls:
        if (
            call["exc"]
            or call["parent"] is None
            or by_id.get(call["parent"], {}).get("parent", 0) is None
        ):
            node: dict[str, Any] | None = call
            while node is not None and node["id"] not in keep:
                keep.add(node["id"])
                node = by_id.get(node["parent"])
    return keep


def write_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write JSON to `path` atomically (temp file + rename), unique per process."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path)
