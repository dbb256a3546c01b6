"""Rank definitions by how the repository uses them, leaning toward a focus.

The graph has one node per file and an edge from each file to every file that defines
a name it references, weighted by how often and how telling the name is. Personalized
PageRank (our own, below) ranks the files; each file's rank then flows along its edges
to the definitions it references. Everything is iterated in sorted order and summed in
a fixed order, so the result never depends on hash seeds or dict order.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from functools import cache

DAMPING = 0.85
FOCUS_SHARE = 0.9  # of the teleport mass, when there is a focus
MAX_DEFINERS = 20  # names defined in more files than this say nothing about where to look
_BASELINE = 0.01
_SECONDARY_DIRS = frozenset(("test", "tests", "testing", "doc", "docs", "example", "examples"))
_SECONDARY_WEIGHT = 0.1  # a share of each file's rank spread over all its definitions


@dataclass(frozen=True)
class FileNames:
    """One file's defined names and referenced names (with counts), sorted. A leading
    "." marks a member (defined inside another definition) or an attribute reference."""

    path: str
    defined: tuple[str, ...]
    referenced: tuple[tuple[str, int], ...]


@cache
def _builtin_names() -> frozenset[str]:
    """Names that usually mean a builtin (`len`, `type`) or a builtin method (`.append`)."""
    import builtins

    kinds = (str, bytes, int, float, list, dict, set, tuple, object, type, BaseException)
    return frozenset(dir(builtins)).union(("self", "cls"), *(dir(kind) for kind in kinds))


def _secondary(path: str) -> bool:
    """Tests, docs and examples: rarely what a map should lead with unless asked for."""
    name = path.rsplit("/", 1)[-1]
    return name.startswith("test_") or name.endswith(("_test.py", "_test.go", ".test.js",
        ".test.ts", ".spec.ts", ".spec.js", "conftest.py")) or any(
        part in _SECONDARY_DIRS for part in path.split("/")[:-1])


def name_weight(name: str, definers: int, focus_names: frozenset[str]) -> float:
    """How much a reference to `name` says about the file defining it."""
    weight = 1.0
    if name in focus_names:
        weight *= 10
    elif name in _builtin_names():
        weight *= 0.05
    if len(name) >= 8 and ("_" in name.strip("_") or name.lower() != name):
        weight *= 10
    if name.startswith("_"):
        weight *= 0.1
    if definers > 5:
        weight *= 0.1
    return weight


def rank_definitions(files: list[FileNames], focus_paths: frozenset[str],
                     focus_names: frozenset[str], limit: int) -> list[tuple[float, str, str]]:
    """The `limit` best (rank, path, name) definitions, best first, ties by path and name."""
    definers = _definers(files)
    edges = _edges(files, definers, focus_names)
    personal = _personalization(files, focus_paths, focus_names, definers)
    ranks = pagerank(len(files), edges, personal)
    scores: dict[tuple[int, str], float] = {}
    for source, targets in enumerate(edges):
        total = sum(weight for _, _, weight in targets)
        for target, name, weight in targets:
            key = (target, name)
            scores[key] = scores.get(key, 0.0) + ranks[source] * weight / total
    for number, entry in enumerate(files):
        share = (1.0 if entry.path in focus_paths else _BASELINE) * ranks[number]
        bare_names = sorted({name.lstrip(".") for name in entry.defined})
        share /= max(1, len(bare_names))
        for name in bare_names:
            key = (number, name)
            boost = 10.0 if name in focus_names else 1.0
            scores[key] = (scores.get(key, 0.0) + share) * boost
    for key in scores:
        path = files[key[0]].path
        if path not in focus_paths and _secondary(path):
            scores[key] *= _SECONDARY_WEIGHT
    best = heapq.nsmallest(limit, ((-score, files[number].path, name)
                                   for (number, name), score in scores.items()))
    return [(-negative, path, name) for negative, path, name in best]


def _definers(files: list[FileNames]) -> dict[str, list[int]]:
    """Which files define each name: "name" lists top-level definitions only (what a bare
    reference can mean), ".name" lists members and top-level ones (what `x.name` can mean)."""
    top: dict[str, list[int]] = {}
    any_level: dict[str, list[int]] = {}
    for number, entry in enumerate(files):
        for name in entry.defined:
            if name.startswith("."):
                bare = name[1:]
            else:
                bare = name
                top.setdefault(name, []).append(number)
            where = any_level.setdefault("." + bare, [])
            if not where or where[-1] != number:
                where.append(number)
    top.update(any_level)
    return top


def _edges(files: list[FileNames], definers: dict[str, list[int]],
           focus_names: frozenset[str]) -> list[list[tuple[int, str, float]]]:
    """For each file, (target file, name, weight) for every definition it references."""
    edges: list[list[tuple[int, str, float]]] = []
    for source, entry in enumerate(files):
        targets = []
        for name, count in entry.referenced:
            where = definers.get(name)
            if where is None or len(where) > MAX_DEFINERS:
                continue
            bare = name.lstrip(".")
            weight = name_weight(bare, len(where), focus_names) * math.sqrt(count) / len(where)
            targets.extend((target, bare, weight) for target in where if target != source)
        edges.append(targets)
    return edges


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


def pagerank(count: int, edges: list[list[tuple[int, str, float]]], personal: list[float],
             iterations: int = 100, tolerance: float = 1e-10) -> list[float]:
    """Personalized PageRank over weighted edges; dangling files teleport like the rest."""
    sources: list[list[int]] = [[] for _ in range(count)]
    weights: list[list[float]] = [[] for _ in range(count)]
    dangling = []
    for source, targets in enumerate(edges):
        merged: dict[int, float] = {}
        for target, _, weight in targets:
            merged[target] = merged.get(target, 0.0) + weight
        total = sum(merged.values())
        if not merged:
            dangling.append(source)
        for target in sorted(merged):
            sources[target].append(source)
            weights[target].append(merged[target] / total)
    ranks = list(personal)
    for _ in range(iterations):
        leaked = sum(ranks[number] for number in dangling)
        fresh = [
            (1 - DAMPING) * share + DAMPING * (leaked * share + sum(
                ranks[source] * weight for source, weight in zip(froms, ws)))
            for share, froms, ws in zip(personal, sources, weights)
        ]
        change = sum(abs(new - old) for new, old in zip(fresh, ranks))
        ranks = fresh
        if change < tolerance:
            break
    return ranks
