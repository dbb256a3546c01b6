"""Input characters per session: the same sessions (the model's answers fixed) run by the
code of an earlier revision and by the code of this tree.

Three sessions drive the real loop (index, sandboxed pytest, edits, checkpoints) with a
scripted model: the demo session (agent/demo/record.py's answers on the demo project), a fix
with re-reads on the demo project grown to a mid-size one (twenty more modules, an AGENTS.md
and a CLAUDE.md that only says "@AGENTS.md"), and a longer feature session on the same
project that re-reads files after editing them and reruns the tests. Each request is
measured as the blocks a prompt cache sees (system, each tool, each message part); the
cache-read share is the part of each request that repeats the request before it block for
block, over all input; and, since a provider's cache keeps every prefix it saw, against the
longest match of any earlier request of the session (a side request such as the
independent-test designer's then no longer makes the next one look uncached).

    python tests/benchmarks/bench_input_chars.py [--before REV]   (default 82cd8eb)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Anthropic's prices relative to plain input: writing the cache, reading it.
WRITE_PRICE, READ_PRICE = 1.25, 0.1
SETTINGS = "independent_tests = false\ntraces = false\n"
AGENTS = (
    "# Working on shop-stats\n\n- Keep functions small and documented.\n"
    "- Run the tests with `python -m pytest -q` before you finish.\n"
    "- Money is kept in cents (int), never floats.\n"
)


def measure(requests) -> dict:
    """Characters sent, and the characters that repeat the request before (a cache read)."""
    from agent.messages import part_to_dict

    total = shared = shared_any = 0
    earlier: list[list[str]] = []
    for request in requests:
        blocks = [request.system] + [
            json.dumps(
                {"name": t.name, "description": t.description, "input_schema": t.input_schema}
            )
            for t in request.tools
        ]
        blocks += [m.role + json.dumps(part_to_dict(p)) for m in request.messages for p in m.parts]
        total += sum(map(len, blocks))
        repeats = [_common(old, blocks) for old in earlier]
        shared += repeats[-1] if repeats else 0
        shared_any += max(repeats, default=0)
        earlier.append(blocks)
    return {
        "calls": len(requests),
        "chars": total,
        "cached": shared,
        "cached_any": shared_any,
        "first": len(requests[0].system) + len(json.dumps([t.__dict__ for t in requests[0].tools])),
    }


def _common(old: list[str], new: list[str]) -> int:
    """Characters of the blocks `new` starts with that `old` starts with too."""
    same = 0
    for a, b in zip(old, new, strict=False):
        if a != b:
            break
        same += len(b)
    return same


def grow(project: Path) -> None:
    """Twenty more modules, their tests and the instruction files, committed."""
    for n in range(20):
        body = "".join(
            f'def {verb}_{n}(rows, factor={k}):\n    """{verb.capitalize()} the rows of '
            f'report {n} by {k}."""\n    return [row * factor for row in rows if row]\n\n\n'
            for k, verb in enumerate(("scale", "total", "split", "merge", "round"), 1)
        )
        (project / f"shop/module_{n}.py").parent.mkdir(exist_ok=True)
        (project / f"shop/module_{n}.py").write_text(body)
        (project / f"tests/test_module_{n}.py").write_text(
            f"from shop.module_{n} import scale_{n}\n\n\ndef test_scale():\n"
            f"    assert scale_{n}([1, 0, 2]) == [1, 2]\n"
        )
    (project / "shop/__init__.py").write_text("")
    (project / "AGENTS.md").write_text(AGENTS)
    (project / "CLAUDE.md").write_text("@AGENTS.md\n")
    (project / ".agent.toml").write_text(SETTINGS)
    for argv in (
        ["add", "-A"],
        ["-c", "user.name=b", "-c", "user.email=b@localhost", "commit", "-q", "-m", "grow"],
    ):
        subprocess.run(["git", *argv], cwd=project, check=True, capture_output=True)


def turn(text: str, *calls: tuple[str, dict]):
    from agent.messages import Message, Text, ToolCall

    turn.count = getattr(turn, "count", 0)
    parts = [Text(text)] if text else []
    for name, arguments in calls:
        turn.count += 1
        parts.append(ToolCall(f"b{turn.count}", name, in_dialect(name, arguments)))
    return Message("assistant", parts)


def in_dialect(name: str, arguments: dict) -> dict:
    """The same call in the words of the code under test: before plan tests were checked,
    submit_plan had no `new_tests` (they went in `tests`) and `reproduced` took one
    `test_id`."""
    import agent

    if (Path(agent.__file__).parent / "tools").is_dir():
        from agent.tools.phases import submit_plan
    else:  # code from before the tools moved under agent/
        from tools.phases import submit_plan  # noqa: TID251

    if any(p.name == "new_tests" for p in submit_plan.params):
        return arguments
    arguments = dict(arguments)
    if name == "submit_plan" and "new_tests" in arguments:
        arguments["tests"] = [*arguments.get("tests", []), *arguments.pop("new_tests")]
    if name == "reproduced" and "test_ids" in arguments:
        arguments["test_id"] = arguments.pop("test_ids")[0]
    return arguments


def fix_session() -> list:
    """A fix like the real ones: look around, plan, reproduce, fix twice, re-read, finish."""
    from agent.demo.record import NEW_TEST, RIGHT_FIX, WRONG_FIX

    stats, tests = (
        ("read_file", {"path": "stats.py"}),
        ("read_file", {"path": "tests/test_stats.py"}),
    )
    return [
        turn(
            "Let me look.",
            stats,
            ("search", {"pattern": "median"}),
            tests,
            ("read_file", {"path": "report.py"}),
        ),
        turn(
            "",
            (
                "submit_plan",
                {
                    "reading": "median() of an even count must return the mean of the two middle values.",
                    "steps": ["stats.py median(): average the two middle values for an even count"],
                    "check_input": "median([1, 2, 3, 4])",
                    "check_expected": "2.5",
                    "check_walkthrough": "middle = 2; (ordered[1] + ordered[2]) / 2 = 2.5",
                    "check_agrees": True,
                    "new_tests": ["tests/test_stats.py::test_median_even"],
                    "bug": True,
                },
            ),
        ),
        turn(
            "A test first.",
            (
                "edit_file",
                {
                    "path": "tests/test_stats.py",
                    "old": "def test_spread():",
                    "new": NEW_TEST + "\n\ndef test_spread():",
                },
            ),
        ),
        turn("", ("run_tests", {"target": "tests/test_stats.py::test_median_even"})),
        turn("", ("reproduced", {"test_ids": ["tests/test_stats.py::test_median_even"]})),
        turn(
            "",
            (
                "edit_file",
                {
                    "path": "stats.py",
                    "old": "    ordered = sorted(values)\n"
                    "    middle = len(ordered) // 2\n    return ordered[middle]\n",
                    "new": WRONG_FIX,
                },
            ),
        ),
        turn("", stats, ("run_tests", {"target": "tests/test_stats.py"})),
        turn(
            "",
            (
                "edit_file",
                {
                    "path": "stats.py",
                    "old": "    return (ordered[middle] + ordered[middle + 1]) / 2\n",
                    "new": RIGHT_FIX,
                },
            ),
        ),
        turn("", ("run_tests", {"target": "tests/test_stats.py"})),
        turn("", stats, tests),
        turn("", ("run_tests", {"target": ""})),
        turn("", ("finish", {"summary": "median() averages the two middle values."})),
    ]


def feature_session() -> list:
    """A longer feature: reads across the project, edits, re-reads and reruns the tests."""
    reads = [("read_file", {"path": f"shop/module_{n}.py"}) for n in range(20)]
    answers = [
        turn("Looking around.", *reads[:6]),
        turn("", ("search", {"pattern": "def scale_"}), ("list_files", {"dir": "shop"})),
        turn(
            "",
            (
                "submit_plan",
                {
                    "reading": "Add a cents() helper to stats.py and use it in report.py.",
                    "steps": [
                        "stats.py: add cents(value)",
                        "report.py: format totals with cents()",
                    ],
                    "check_input": "cents(2.5)",
                    "check_expected": "250",
                    "check_walkthrough": "round(2.5 * 100) = 250",
                    "check_agrees": True,
                    "new_tests": ["tests/test_cents.py::test_cents"],
                },
            ),
        ),
    ]
    for n in range(6, 14):
        answers.append(turn("", reads[n], ("read_file", {"path": "stats.py"})))
        answers.append(turn("", ("run_tests", {"target": "tests/test_stats.py"})))
    answers += [
        turn(
            "",
            (
                "edit_file",
                {
                    "path": "stats.py",
                    "old": '"""Small statistics helpers',
                    "new": '"""Small statistics helpers (money in cents)',
                },
            ),
        ),
        turn(
            "",
            (
                "create_file",
                {
                    "path": "tests/test_cents.py",
                    "content": "from stats import mean\n\n\ndef test_cents():\n"
                    "    assert mean([1, 3]) == 2\n",
                },
            ),
        ),
        turn("", ("read_file", {"path": "stats.py"}), ("read_file", {"path": "report.py"})),
        turn("", ("run_tests", {"target": "tests/test_cents.py tests/test_stats.py"})),
        turn("", ("run_tests", {"target": ""})),
        turn("", ("finish", {"summary": "Documented cents and added a test."})),
    ]
    return answers


def run(name: str, workdir: Path) -> dict:
    """One session by name, in a fresh copy of the demo project; its requests measured."""
    from agent.demo import DEMO_TASK, prepare_demo
    from agent.demo.record import answers
    from agent.models.scripted import ScriptedModel
    from agent.runner import SolveOptions, run_session

    project, _ = prepare_demo(workdir / name)
    if name != "demo":
        grow(project)
    script = {"demo": answers, "fix": fix_session, "feature": feature_session}[name]()
    task = DEMO_TASK if name != "feature" else "Add cents() to stats.py and use it in report.py."
    model = ScriptedModel(script)
    result = run_session(SolveOptions(task=task, cwd=project, model=model), [])
    return {"name": name, "status": result.outcome.status, **measure(model.requests)}


def child() -> None:
    """Run every session with the code on sys.path; print one JSON line each."""
    with tempfile.TemporaryDirectory() as workdir:
        for name in ("demo", "fix", "feature"):
            print(json.dumps(run(name, Path(workdir))), flush=True)


def sessions_with(code: Path) -> list[dict]:
    """The sessions run by the code in `code`, in a child process."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run(
        [sys.executable, __file__, "--child"], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"sessions failed with the code in {code}:\n{done.stderr[-3000:]}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def export(revision: str, target: Path) -> Path:
    """The tree of `revision` unpacked into `target`."""
    archive = target / "tree.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), revision], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(target / "tree", filter="data")
    return target / "tree"


def main() -> None:
    """Print the before/after table and the one-line summary."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", default="82cd8eb")
    parser.add_argument("--child", action="store_true")
    arguments = parser.parse_args()
    if arguments.child:
        return child()
    with tempfile.TemporaryDirectory() as scratch:
        before = sessions_with(export(arguments.before, Path(scratch)))
    after = sessions_with(ROOT)
    print(
        f"{'session':<8} {'calls':>9} {'chars before':>12} {'after':>8} {'change':>7} "
        f"{'prefix before':>13} {'after':>6} {'cache share':>12}"
    )
    for old, new in zip(before, after, strict=False):
        print(
            f"{new['name']:<8} {old['calls']:>4} {new['calls']:>4} {old['chars']:>12} "
            f"{new['chars']:>8} {new['chars'] / old['chars'] - 1:>+7.0%} {old['first']:>13} "
            f"{new['first']:>6} {old['cached'] / old['chars']:>5.0%} "
            f"{new['cached'] / new['chars']:>5.0%}  {old['status']}/{new['status']}"
        )
    chars = [sum(s["chars"] for s in side) for side in (before, after)]
    cached = [sum(s["cached"] for s in side) for side in (before, after)]
    cached_any = [sum(s["cached_any"] for s in side) for side in (before, after)]
    print(
        f"SUMMARY: {chars[0]} -> {chars[1]} input characters over {len(after)} sessions "
        f"({chars[1] / chars[0] - 1:+.1%}); cache-read share {cached[0] / chars[0]:.1%} -> "
        f"{cached[1] / chars[1]:.1%} (code of {arguments.before} vs this tree)"
    )
    print(
        f"Cache-read share against any earlier request of the session (a provider keeps "
        f"each prefix): {cached_any[0] / chars[0]:.1%} -> {cached_any[1] / chars[1]:.1%}"
    )
    uncached = [total - hit for total, hit in zip(chars, cached_any, strict=True)]
    priced = [WRITE_PRICE * u + READ_PRICE * c for u, c in zip(uncached, cached_any, strict=True)]
    print(
        f"Uncached characters: {uncached[0]} -> {uncached[1]} ({uncached[1] / uncached[0] - 1:+.1%}); "
        f"input priced as a provider bills it (uncached x{WRITE_PRICE} as a cache write, cached "
        f"x{READ_PRICE}): {priced[0]:.0f} -> {priced[1]:.0f} ({priced[1] / priced[0] - 1:+.1%})"
    )


if __name__ == "__main__":
    main()
