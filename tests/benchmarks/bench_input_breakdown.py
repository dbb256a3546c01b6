"""Where the input characters of bench_input_chars.py's sessions go, with the code of this
tree: per session, the characters of every request by kind (system prompt rules, project
instructions, repo map, tool schemas, each tool's results, stubs, the loop's texts, the
model's calls, and the JSON framing around each part), and each request's uncached part.

    python tests/benchmarks/bench_input_breakdown.py [SESSION ...]   (demo fix feature)
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import bench_input_chars as sessions  # noqa: E402


def blocks(request) -> list[tuple[str, str, int]]:
    """(kind, block, characters of content) for each block the cache sees."""
    from agent.messages import Text, ToolCall, ToolResult, part_to_dict

    system, out = request.system, []
    rules_end = min(
        i
        for i in (system.find("Project instructions"), system.find("Repository map"), len(system))
        if i >= 0
    )
    out.append(("system", system, rules_end))
    out += [
        (
            "tools",
            json.dumps(
                {"name": t.name, "description": t.description, "input_schema": t.input_schema}
            ),
            0,
        )
        for t in request.tools
    ]
    names = {}
    for message in request.messages:
        for part in message.parts:
            block = message.role + json.dumps(part_to_dict(part))
            if isinstance(part, ToolCall):
                names[part.id] = part.name
                out.append((f"call {part.name}", block, len(block)))
            elif isinstance(part, ToolResult):
                stub = (
                    part.content.startswith("[")
                    and part.content.endswith("]")
                    and ("left out" in part.content or "unchanged" in part.content)
                )
                kind = f"result {names.get(part.call_id, '?')}" + (" (stub)" if stub else "")
                out.append((kind, block, len(json.dumps(part.content)) - 2))
            elif isinstance(part, Text):
                out.append((f"text {message.role}", block, len(json.dumps(part.text)) - 2))
            else:
                out.append(("other", block, len(block)))
    return out


def breakdown(requests) -> tuple[Counter, list[int]]:
    """Characters by kind over all requests, and each request's uncached characters."""
    kinds, uncached, previous = Counter(), [], []
    for request in requests:
        listed = blocks(request)
        for kind, block, content in listed:
            if kind == "system":
                instructions = block.find("Project instructions")
                map_at = block.find("Repository map")
                kinds["system rules"] += content
                if instructions >= 0:
                    kinds["project instructions"] += map_at - instructions
                kinds["repo map"] += len(block) - map_at
            elif kind == "tools":
                kinds["tool schemas"] += len(block)
            else:
                kinds[kind] += content
                kinds["framing (JSON around each part)"] += len(block) - content
        same = 0
        while same < min(len(previous), len(listed)) and previous[same][1] == listed[same][1]:
            same += 1
        uncached.append(sum(len(block) for _, block, _ in listed[same:]))
        previous = listed
    return kinds, uncached


def main() -> None:
    """Print each session's breakdown."""
    from agent.demo import DEMO_TASK, prepare_demo
    from agent.demo.record import answers
    from agent.models.scripted import ScriptedModel
    from agent.runner import SolveOptions, run_session

    scripts = {"demo": answers, "fix": sessions.fix_session, "feature": sessions.feature_session}
    with tempfile.TemporaryDirectory() as workdir:
        for name in sys.argv[1:] or list(scripts):
            project, _ = prepare_demo(Path(workdir) / name)
            if name != "demo":
                sessions.grow(project)
            task = (
                DEMO_TASK
                if name != "feature"
                else "Add cents() to stats.py and use it in report.py."
            )
            model = ScriptedModel(scripts[name]())
            run_session(SolveOptions(task=task, cwd=project, model=model), [])
            kinds, uncached = breakdown(model.requests)
            total = sum(kinds.values())
            print(
                f"{name}: {total} characters in {len(model.requests)} requests, "
                f"{sum(uncached)} uncached ({1 - sum(uncached) / total:.1%} cache share)"
            )
            for kind, chars in kinds.most_common():
                print(f"  {kind:<34} {chars:>8} {chars / total:>6.1%}")
            print("  uncached per request: " + " ".join(map(str, uncached)))


if __name__ == "__main__":
    main()
