"""Rank definitions by how the repository uses them, leaning toward a focus.

The graph has one node per file and an edge from each file to every file that defines
a name it references, weighted by how often and how telling the name is. Personalized
PageRank (our own, below) ranks the files; each file's rank then flows along its edges
to the definitions it references. Everything is iterated in sorted order and summed in
a fixed order, so the result never depends on hash seeds or dict order.

Names carry a leading "." when they are members (defined inside another definition) or
attribute references: `obj.type()` may mean a method `type`, a bare `type()` cannot.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from functools import cache
from itertools import accumulate, chain
from operator import mul, sub

DAMPING = 0.85
FOCUS_SHARE = 0.9  # of the teleport mass, when there is a focus
MAX_DEFINERS = 20  # names defined in more files than this say nothing about where to look
_BASELINE = 0.01  # a share of each file's rank spread over all its definitions
_SECONDARY_DIRS = frozenset(("test", "tests", "testing", "doc", "docs", "example", "examples"))
_SQRT = [math.sqrt(count) for count in range(256)]


@dataclass(frozen=True)
class FileNames:
    """One file's defined names, and its referenced names with their counts (parallel)."""

    path: str
    defined: tuple[str, ...]
    referenced: tuple[str, ...]
    counts: tuple[int, ...]


@cache
def _builtin_names() -> frozenset[str]:
    """Names that usually mean a builtin (`len`, `type`) or a builtin method (`.append`)."""
    import builtins

    kinds = (str, bytes, int, float, list, dict, set, tuple, object, type, BaseException)
    return frozenset(dir(builtins)).union(("self", "cls"), *(dir(kind) for kind in kinds))


def is_secondary(path: str) -> bool:
    """Tests, docs and examples: rarely what a map should lead with unless asked for."""
    name = path.rsplit("/", 1)[-1]
    return (
        name.startswith("test_")
        or name.endswith(
            (
                "_test.py",
                "_test.go",
                ".test.js",
                ".test.ts",
                ".spec.ts",
                ".spec.js",
                "conftest.py",
            )
        )
        or any(part in _SECONDARY_DIRS for part in path.split("/")[:-1])
    )


def name_weight(name: str, definers: int, focus_names: frozenset[str]) -> float:
    """How much a reference to `name` says about the file defining it (0: nothing)."""
    weight = 1.0
    if name in focus_names:
        weight *= 10
    elif name in _builtin_names():
        return 0.0
    if len(name) >= 8 and ("_" in name.strip("_") or name.lower() != name):
        weight *= 10
    if name.startswith("_"):
        weight *= 0.1
    if definers > 5:
        weight *= 0.1
    return weight


def rank_definitions(
    files: list[FileNames], focus_paths: frozenset[str], focus_names: frozenset[str], limit: int
) -> list[tuple[float, str, str]]:
    """The `limit` best (rank, path, name) definitions, best first, ties by path and name.
    Tests, docs and examples take part only when the focus points at them (or when there
    is nothing else): they would rarely lead the map, and they are most of a big graph."""
    files = _primary(files, focus_paths, focus_names)
    definers = _definers(files)
    adjacency, uses = _graph(files, definers, focus_names)
    personal = _personalization(files, focus_paths, focus_names, definers)
    ranks = pagerank(adjacency, personal)
    scores = _flow(ranks, adjacency, uses, definers)
    for number, entry in enumerate(files):
        share = (1.0 if entry.path in focus_paths else _BASELINE) * ranks[number]
        bare_names = sorted({name.lstrip(".") for name in entry.defined})
        share /= max(1, len(bare_names))
        for name in bare_names:
            key = (number, name)
            boost = 10.0 if name in focus_names else 1.0
            scores[key] = (scores.get(key, 0.0) + share) * boost
    best = heapq.nsmallest(
        limit, ((-score, files[number].path, name) for (number, name), score in scores.items())
    )
    return [(-negative, path, name) for negative, path, name in best]


def _primary(
    files: list[FileNames], focus_paths: frozenset[str], focus_names: frozenset[str]
) -> list[FileNames]:
    kept = [
        entry
        for entry in files
        if entry.path in focus_paths
        or not is_secondary(entry.path)
        or (focus_names and not focus_names.isdisjoint(name.lstrip(".") for name in entry.defined))
    ]
    return kept or files


def _definers(files: list[FileNames]) -> dict[str, list[int]]:
    """Which files define each name: "name" lists top-level definitions only (what a bare
    reference can mean), ".name" lists members and top-level ones (what `x.name` can mean)."""
    top: dict[str, list[int]] = {}
    any_level: dict[str, list[int]] = {}
    for number, entry in enumerate(files):
        for name in entry.defined:
            if name[0] == ".":
                bare = name[1:]
            else:
                bare = name
                top.setdefault(name, []).append(number)
            where = any_level.setdefault("." + bare, [])
            if not where or where[-1] != number:
                where.append(number)
    top.update(any_level)
    return top


def _graph(files, definers, focus_names):
    """Per file: merged edge weights to the files it references, and the (name, weight)
    uses behind them (kept to share rank out to definitions after PageRank)."""
    known: dict[str, float] = {}
    adjacency: list[dict[int, float]] = []
    uses: list[list[tuple[str, float]]] = []
    for source, entry in enumerate(files):
        merged: dict[int, float] = {}
        used = []
        for name, count in zip(entry.referenced, entry.counts, strict=False):
            where = definers.get(name)
            if where is None:
                continue
            base = known.get(name)
            if base is None:
                base = known[name] = _base_weight(name, where, focus_names)
            if not base:
                continue
            weight = base * (_SQRT[count] if count < 256 else math.sqrt(count))
            used.append((name, weight))
            for target in where:
                if target != source:
                    merged[target] = merged.get(target, 0.0) + weight
        adjacency.append(merged)
        uses.append(used)
    return adjacency, uses


def _base_weight(name: str, where: list[int], focus_names: frozenset[str]) -> float:
    if len(where) > MAX_DEFINERS:
        return 0.0
    return name_weight(name.lstrip("."), len(where), focus_names) / len(where)


def _flow(ranks, adjacency, uses, definers) -> dict[tuple[int, str], float]:
    """Share each file's rank out over the definitions it references, by edge weight."""
    flowing: dict[str, float] = {}
    own: dict[tuple[int, str], float] = {}  # what a file would send to its own definitions
    for source, used in enumerate(uses):
        total = sum(adjacency[source].values())
        if not total:
            continue
        factor = ranks[source] / total
        for name, weight in used:
            share = factor * weight
            flowing[name] = flowing.get(name, 0.0) + share
            if source in definers[name]:
                own[(source, name)] = own.get((source, name), 0.0) + share
    scores: dict[tuple[int, str], float] = {}
    for name in sorted(flowing):
        bare = name.lstrip(".")
        for target in definers[name]:
            value = flowing[name] - own.get((target, name), 0.0)
            if value > 0:
                key = (target, bare)
                scores[key] = scores.get(key, 0.0) + value
    return scores


def _personalization(files, focus_paths, focus_names, definers) -> list[float]:
    count = len(files)
    if count == 0:
        return []
    favoured = [1.0 if entry.path in focus_paths else 0.0 for entry in files]
    for name in sorted(focus_names):
        for number in definers.get("." + name, ()):
            favoured[number] = max(favoured[number], 0.5)
    total = sum(favoured)
    if total == 0:
        return [1.0 / count] * count
    rest = (1.0 - FOCUS_SHARE) / count
    return [rest + FOCUS_SHARE * value / total for value in favoured]


def pagerank(
    adjacency: list[dict[int, float]],
    personal: list[float],
    iterations: int = 100,
    tolerance: float = 1e-5,
) -> list[float]:
    """Personalized PageRank over weighted edges (`adjacency[source][target] = weight`);
    files with no edges teleport like the rest. Stops when the L1 change < `tolerance`."""
    count = len(adjacency)
    incoming: list[list[int]] = [[] for _ in range(count)]
    shares: list[list[float]] = [[] for _ in range(count)]
    dangling = []
    for source, merged in enumerate(adjacency):
        if not merged:
            dangling.append(source)
            continue
        targets = sorted(merged)
        total = sum(map(merged.__getitem__, targets))
        for target in targets:
            incoming[target].append(source)
            shares[target].append(merged[target] / total)
    # Edges flattened by target: one C-level pass per iteration computes every edge's
    # share, and prefix sums give each target its total.
    froms = list(chain.from_iterable(incoming))
    weights = list(chain.from_iterable(shares))
    ends = list(accumulate(map(len, incoming)))
    starts = [0, *ends[:-1]]
    ranks = list(personal)
    teleport = [(1 - DAMPING) * share for share in personal]
    for _ in range(iterations):
        fetch = ranks.__getitem__
        leaked = DAMPING * sum(map(fetch, dangling))
        prefix = [0.0, *accumulate(map(mul, map(fetch, froms), weights))]
        take = prefix.__getitem__
        fresh = [
            base + leaked * share + DAMPING * (end - start)
            for base, share, end, start in zip(
                teleport, personal, map(take, ends), map(take, starts), strict=False
            )
        ]
        change = sum(map(abs, map(sub, fresh, ranks)))
        ranks = fresh
        if change < tolerance:
            break
    return ranks
