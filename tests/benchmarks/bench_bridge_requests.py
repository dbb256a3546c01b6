"""Requests and input characters per task of `agent bench run --model bridge:DIR` runs.

    python tests/benchmarks/bench_bridge_requests.py DIR [DIR ...]

Counted from the request files themselves (system prompt, tool schemas and messages as
written), so runs made by code whose bridge reported no usage compare with newer ones.
Tokens are characters / 4, a typical ratio for code and English; agent/models/tokens.py
estimates twice that (characters / 2, its cautious bound for the context window), which
is what the bridge reports to `agent bench run`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def request_chars(data: dict) -> int:
    """Characters one request sends: system prompt, tool schemas, messages."""
    return (
        len(data.get("system") or "")
        + len(json.dumps(data.get("tools", [])))
        + len(json.dumps(data.get("messages", [])))
    )


def main() -> None:
    """One block per run folder: a row per task, then the totals."""
    for root in map(Path, sys.argv[1:]):
        requests = chars = 0
        print(root)
        for task in sorted(p for p in root.iterdir() if p.is_dir()):
            files = sorted(task.glob("*.request.json"))
            size = sum(request_chars(json.loads(f.read_text(encoding="utf-8"))) for f in files)
            print(f"  {task.name[:52]:<52} {len(files):>3} requests {size:>9,} chars")
            requests, chars = requests + len(files), chars + size
        print(f"  total {requests} requests, {chars:,} chars, ~{chars // 4:,} tokens")


if __name__ == "__main__":
    main()
