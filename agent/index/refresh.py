"""Bring the cache up to date with the work tree: stat every file, re-read only those
whose size or mtime changed, re-parse only those whose content hash changed, and parse
in parallel across cores when there is a lot to do (a cold build)."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from agent.confine import WorkspaceFilter
from agent.index import store
from agent.index.files import (
    MAX_BYTES,
    Inspected,
    inspect,
    inspect_job,
    list_files,
    path_skip_reason,
)
from agent.index.languages import language_for
from agent.index.rank import is_secondary
from agent.sandbox.secrets import secret_in

Progress = Callable[[int, int], None]
_PARALLEL_MIN_FILES = 24
_PARALLEL_MIN_BYTES = 400_000
_BATCH = 200


@dataclass
class Listing:
    """What one refresh saw: the covered files and why others were skipped."""

    files: list[str]
    skipped: Counter = field(default_factory=Counter)
    reparsed: int = 0


def refresh(db: sqlite3.Connection, root: Path, progress: Progress | None = None) -> Listing:
    """Update the cache in `db` for the work tree at `root`; return what was seen."""
    listing = Listing(files=[])
    inside = WorkspaceFilter(root)
    candidates = _classify(_without_secrets(list_files(root), listing), listing)
    cached = {
        row[0]: row[1:]
        for row in db.execute("SELECT path, size, mtime_ns, digest, status FROM files")
    }
    jobs: list[tuple[str, str, str, str]] = []
    stats: dict[str, tuple[int, int]] = {}
    huge: list[str] = []
    present: set[str] = set()
    prefix = f"{root}/"
    for path, language in candidates:
        try:
            info = os.lstat(prefix + path)
            # A link out of the workspace (the file or a folder on its way) is never followed.
            if not inside.folder_allows(path) or (
                stat.S_ISLNK(info.st_mode) and not inside.allows(path)
            ):
                listing.skipped["leaves the workspace"] += 1
                continue
            if stat.S_ISLNK(info.st_mode):
                info = os.stat(prefix + path)
        except FileNotFoundError:
            continue
        except OSError:
            listing.skipped["unreadable"] += 1
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        present.add(path)
        row = cached.get(path)
        if row is not None and row[0] == info.st_size and row[1] == info.st_mtime_ns:
            continue
        stats[path] = (info.st_size, info.st_mtime_ns)
        if info.st_size > MAX_BYTES:
            huge.append(path)
        else:
            jobs.append((str(root), path, language, row[2] if row else ""))
    gone = sorted(path for path in cached if path not in present)
    parallel = (
        len(jobs) >= _PARALLEL_MIN_FILES
        and sum(stats[job[1]][0] for job in jobs) >= _PARALLEL_MIN_BYTES
    )
    results = _inspect_all(jobs, parallel, progress)
    listing.reparsed = _apply(db, results, stats, huge, gone, listing)
    unchanged = not (jobs or huge or gone)
    statuses = (
        ((path, row[3]) for path, row in cached.items())
        if unchanged
        else db.execute("SELECT path, status FROM files")
    )
    _count_cached(statuses, present, listing)
    return listing


def _without_secrets(paths: list[str], listing: Listing) -> list[str]:
    """The paths that are not credentials files (`.ssh`, `.npmrc`, ...)."""
    kept = [path for path in paths if not secret_in(path)]
    if len(kept) < len(paths):
        listing.skipped["credentials"] += len(paths) - len(kept)
    return kept


def _classify(paths: list[str], listing: Listing) -> list[tuple[str, str]]:
    candidates = []
    for path in paths:
        reason = path_skip_reason(path)
        if reason:
            listing.skipped[reason] += 1
            continue
        language = language_for(path)
        if language is None:
            listing.skipped["unknown language"] += 1
            listing.files.append(path)
        else:
            candidates.append((path, language))
    return candidates


def _inspect_all(
    jobs: list[tuple[str, str, str, str]], parallel: bool, progress: Progress | None
) -> Iterator[Inspected]:
    total = len(jobs)
    if progress:
        progress(0, total)
    cores = os.cpu_count() or 1
    if cores > 1 and parallel:
        import multiprocessing
        import threading

        # fork is fastest, but forking a process that runs other threads can deadlock
        methods = multiprocessing.get_all_start_methods()
        method = (
            "fork"
            if threading.active_count() == 1 and "fork" in methods
            else ("forkserver" if "forkserver" in methods else "spawn")
        )
        with multiprocessing.get_context(method).Pool(min(cores, 8)) as pool:
            for done, result in enumerate(pool.imap_unordered(inspect_job, jobs, chunksize=4), 1):
                if progress:
                    progress(done, total)
                yield result
        return
    for done, job in enumerate(jobs, 1):
        yield inspect(*job)
        if progress:
            progress(done, total)


def _apply(db, results: Iterator[Inspected], stats, huge, gone, listing: Listing) -> int:
    """Write results to the cache in batches; return how many files were re-parsed."""
    reparsed = 0
    graph_changed = bool(gone)
    batch: list[Inspected] = [Inspected(path, "huge") for path in huge]
    for result in results:
        batch.append(result)
        if len(batch) >= _BATCH:
            counts = _write(db, batch, stats, [], listing)
            reparsed, graph_changed = reparsed + counts[0], graph_changed or counts[1]
            batch = []
    counts = _write(db, batch, stats, gone, listing)
    reparsed, graph_changed = reparsed + counts[0], graph_changed or counts[1]
    if reparsed or gone:
        with _transaction(db):
            store.bump(db, "generation", "text")
            if graph_changed:
                store.bump(db, "graph", "rank")
    return reparsed


def _write(
    db, batch: list[Inspected], stats, gone: list[str], listing: Listing
) -> tuple[int, bool]:
    """Store one batch; return (files re-parsed, whether the ranking's inputs changed)."""
    reparsed = 0
    graph_changed = False
    with _transaction(db):
        for result in batch:
            size, mtime = stats[result.path]
            if result.same:
                db.execute(
                    "UPDATE files SET size = ?, mtime_ns = ? WHERE path = ?",
                    (size, mtime, result.path),
                )
                continue
            before = db.execute(
                "SELECT status IN ('ok', 'syntax'), defined, referenced, counts "
                "FROM files WHERE path = ?",
                (result.path,),
            ).fetchone()
            _forget(db, result.path)
            if result.status == "unreadable":
                listing.skipped["unreadable"] += 1
                graph_changed = graph_changed or bool(before and before[0])
                continue
            reparsed += 1
            after = _store_file(db, result, size, mtime)
            graph_changed = graph_changed or before != after
        for path in gone:
            _forget(db, path)
    return reparsed, graph_changed


def _forget(db, path: str) -> None:
    db.execute("DELETE FROM files WHERE path = ?", (path,))
    db.execute("DELETE FROM symbols WHERE path = ?", (path,))
    db.execute("DELETE FROM refs WHERE path = ?", (path,))


def _store_file(db, result: Inspected, size: int, mtime: int) -> tuple:
    """Store one file's row and facts; return what the ranking reads from it."""
    facts = result.facts
    defined = referenced = tally = ""
    errors = 0
    if facts is not None:
        path = result.path
        db.executemany(
            "INSERT INTO symbols VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(path, *symbol) for symbol in facts.symbols],
        )
        db.executemany(
            "INSERT INTO refs VALUES (?, ?, ?, ?)",
            [(path, *reference) for reference in facts.references],
        )
        # Members (definitions inside another) and attribute references carry a leading
        # "." so ranking can tell `obj.type()` (may mean a method) from `type()` (cannot).
        defined = "\n".join(
            sorted({("." if symbol[5] else "") + symbol[0] for symbol in facts.symbols})
        )
        counts = Counter(
            ("." if kind == "attribute" else "") + name for name, _, kind in facts.references
        )
        referenced = "\n".join(sorted(counts))
        tally = " ".join(str(counts[name]) for name in sorted(counts))
        errors = len(facts.errors)
    db.execute(
        "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            result.path,
            size,
            mtime,
            result.digest,
            language_for(result.path) or "",
            result.status,
            errors,
            defined,
            referenced,
            tally,
            is_secondary(result.path),
        ),
    )
    return (int(result.status in ("ok", "syntax")), defined, referenced, tally)


def _count_cached(statuses, present: set[str], listing: Listing) -> None:
    """Add cached files to the listing, or to the skip counts by their status."""
    for path, status in statuses:
        if path not in present:
            continue
        if status in ("ok", "syntax"):
            listing.files.append(path)
        else:
            listing.skipped[status] += 1
    listing.files.sort()


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT, so concurrent writers queue instead of failing."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, value, traceback) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
