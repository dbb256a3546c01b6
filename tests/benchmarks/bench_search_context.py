"""What the definition notes cost a search with context: the same searches with the notes
and with them switched off (each run round-robin, median of RUNS), on one repository.

    python tests/benchmarks/bench_search_context.py REPO_DIR [RUNS]

Target: no noticeable time, i.e. a few tens of milliseconds at most per search.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agent.messages import ToolCall
from agent.sandbox import Policy, create_sandbox
from agent.tools import ToolContext, default_registry
from agent.tools import search as search_module

SEARCHES = [
    ("def, context 3", {"pattern": r"def \w+\(", "context": 3}),
    ("common word, context 2", {"pattern": "return", "context": 2}),
    ("rare name, context 6", {"pattern": "read_bytes_inside", "context": 6}),
]


def main() -> None:
    """Print, per search, the median time with and without the notes and the notes' count."""
    root = Path(sys.argv[1]).resolve()
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 9
    ctx = ToolContext(root, create_sandbox(Policy(workspace=root), "bwrap"))
    registry = default_registry()
    with_notes = search_module._cut_definitions

    def without_notes(name: str, data: bytes, groups: list) -> list[list[str]]:
        return [[] for _ in groups]

    print(f"{root.name}, median of {runs}")
    for label, arguments in SEARCHES:
        times: dict[str, list[float]] = {"on": [], "off": []}
        notes = 0
        for _ in range(runs + 1):  # the first round warms the caches and is dropped
            for mode, cut in (("on", with_notes), ("off", without_notes)):
                search_module._cut_definitions = cut  # type: ignore[assignment]
                started = time.perf_counter()
                text = registry.run(ToolCall(id="b", name="search", arguments=arguments), ctx)
                times[mode].append(time.perf_counter() - started)
                if mode == "on":
                    notes = sum(line.startswith("…") for line in text.content.splitlines())
        search_module._cut_definitions = with_notes
        on, off = (statistics.median(times[mode][1:]) * 1000 for mode in ("on", "off"))
        print(f"{label:24} notes {notes:3}  with {on:6.1f} ms  without {off:6.1f} ms")


if __name__ == "__main__":
    main()
