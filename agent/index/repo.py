"""`RepoIndex`: the repository index the CLI and the model's tools use."""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from agent.errors import UserError
from agent.index import store
from agent.index.files import git_root
from agent.index.focus import resolve_focus
from agent.index.model import Reference, Symbol
from agent.index.rank import FileNames, rank_definitions
from agent.index.refresh import Listing, refresh
from agent.index.render import estimate_tokens, fit

_MAP_VERSION = 3  # bump when ranking or rendering changes, so cached maps are not reused
_SYMBOL_COLUMNS = "s.path, s.name, s.kind, s.line, s.end_line, s.signature, s.scope, f.language"
_SYMBOLS = f"SELECT {_SYMBOL_COLUMNS} FROM symbols s JOIN files f ON f.path = s.path"


class RepoIndex:
    """Definitions, references and a ranked map of one git work tree, cached in SQLite."""

    def __init__(self, root: Path, db: sqlite3.Connection, listing: Listing, seconds: float):
        self.root = root
        self._db = db
        self._listing = listing
        self.seconds = seconds
        self._lock = threading.RLock()  # tools may query from several threads at once

    @classmethod
    def open(cls, root: Path, progress: Callable[[int, int], None] | None = None) -> RepoIndex:
        """Index the git work tree holding `root`, refreshing the cache under ROOT/.agent/.
        `progress(done, total)` is called as changed files are parsed."""
        started = time.perf_counter()
        top, git_dir = git_root(Path(root))
        _exclude_agent_dir(git_dir)
        path = top / ".agent" / "index.sqlite"
        for attempt in (1, 2):
            try:
                db = store.open_store(path)
            except (OSError, sqlite3.OperationalError) as error:
                raise UserError(f"cannot write the index cache {path}: {error}") from None
            try:
                listing = refresh(db, top, progress)
                break
            except sqlite3.OperationalError:
                db.close()
                raise
            except sqlite3.DatabaseError:  # damaged while in use: rebuild once
                db.close()
                if attempt == 2:
                    raise
                store.discard(path)
        return cls(top, db, listing, time.perf_counter() - started)

    def close(self) -> None:
        """Close the cache database."""
        self._db.close()

    def __enter__(self) -> RepoIndex:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def files(self) -> list[str]:
        """Repo-relative posix paths of the files the index covers (source files it parsed
        and other text files of languages it does not parse), sorted."""
        return list(self._listing.files)

    def definitions(self, name: str) -> list[Symbol]:
        """Definitions of `name`, or of "Scope.name" (e.g. "Session.perform_collect")."""
        scope, _, last = name.rpartition(".")
        if not scope:
            return self._symbols(f"{_SYMBOLS} WHERE s.name = ? ORDER BY s.path, s.line", (last,))
        suffix = f".{scope}"
        return self._symbols(
            f"{_SYMBOLS} WHERE s.name = ? AND (s.scope = ? OR substr(s.scope, -?) = ?) "
            "ORDER BY s.path, s.line",
            (last, scope, len(suffix), suffix),
        )

    def references(self, name: str) -> list[Reference]:
        """Uses of `name` (its last dotted part) across the repository, by path and line."""
        last = name.rpartition(".")[2]
        with self._lock:
            rows = self._db.execute(
                "SELECT path, name, line, kind FROM refs WHERE name = ? ORDER BY path, line, kind",
                (last,),
            ).fetchall()
        return [Reference(*row) for row in rows]

    def outline(self, path: str) -> list[Symbol]:
        """The definitions in one file, in source order."""
        clean = _relative(self.root, path)
        return self._symbols(
            f"{_SYMBOLS} WHERE s.path = ? ORDER BY s.line, s.end_line DESC", (clean,)
        )

    def _symbols(self, query: str, parameters: tuple) -> list[Symbol]:
        with self._lock:
            rows = self._db.execute(query, parameters).fetchall()
        return [Symbol(*row) for row in rows]

    def repo_map(self, focus: Sequence[str] = (), tokens: int = 900) -> str:
        """The ranked map of the repository, leaning toward `focus` (paths, identifiers or
        words), never more than `tokens` by `estimate_tokens`."""
        with self._lock:
            return self._cached(
                "text",
                ["text", tokens, list(focus)],
                "generation",
                lambda: self.map_selection(focus, tokens)[0],
            )

    def map_json(self, focus: Sequence[str] = (), tokens: int = 900) -> str:
        """The map and the definitions it shows, as a JSON document."""

        def build() -> str:
            text, shown = self.map_selection(focus, tokens)
            files: dict[str, list[dict]] = {}
            for symbol in sorted(shown, key=lambda s: (s.path, s.line)):
                entry = {
                    key: getattr(symbol, key)
                    for key in (
                        "name",
                        "kind",
                        "line",
                        "end_line",
                        "signature",
                        "scope",
                        "language",
                    )
                }
                files.setdefault(symbol.path, []).append(entry)
            return json.dumps(
                {
                    "root": str(self.root),
                    "budget": tokens,
                    "tokens": estimate_tokens(text),
                    "focus": list(focus),
                    "map": text,
                    "files": [
                        {"path": path, "symbols": symbols} for path, symbols in files.items()
                    ],
                },
                indent=2,
                ensure_ascii=False,
            )

        with self._lock:
            return self._cached("text", ["json", tokens, list(focus)], "generation", build)

    def map_selection(self, focus: Sequence[str], tokens: int) -> tuple[str, list[Symbol]]:
        """The map text and the definitions chosen for it, best first."""
        with self._lock:
            return self._map_selection(focus, tokens)

    def _map_selection(self, focus: Sequence[str], tokens: int) -> tuple[str, list[Symbol]]:
        limit = max(64, tokens // 4)
        ranked = json.loads(
            self._cached(
                "rank", [limit, list(focus)], "graph", lambda: json.dumps(self._rank(focus, limit))
            )
        )
        by_path = self._symbols_in(sorted({path for _, path, _ in ranked}))
        by_key: dict[tuple[str, str], list[Symbol]] = {}
        for symbols in by_path.values():
            for symbol in symbols:
                by_key.setdefault((symbol.path, symbol.name), []).append(symbol)
        ordered = [symbol for _, path, name in ranked for symbol in by_key.get((path, name), ())]
        text, count = fit(ordered, by_path, tokens)
        return text, ordered[:count]

    def _rank(self, focus: Sequence[str], limit: int) -> list[tuple[float, str, str]]:
        # Without a focus, tests and docs stay out of the graph, so do not even load them.
        names = self._file_names(secondary=bool(focus))
        defined = (name.lstrip(".") for entry in names for name in entry.defined)
        focus_paths, focus_names = resolve_focus(focus, self._listing.files, defined)
        return rank_definitions(
            names or self._file_names(secondary=True), focus_paths, focus_names, limit
        )

    def stats(self) -> dict:
        """Counts for `agent index --stats`."""
        with self._lock:
            return self._stats()

    def _stats(self) -> dict:
        db = self._db
        languages = dict(
            db.execute(
                "SELECT language, count(*) FROM files WHERE status IN ('ok', 'syntax') "
                "GROUP BY language ORDER BY language"
            )
        )
        return {
            "root": str(self.root),
            "files": len(self._listing.files),
            "parsed": sum(languages.values()),
            "symbols": db.execute("SELECT count(*) FROM symbols").fetchone()[0],
            "references": db.execute("SELECT count(*) FROM refs").fetchone()[0],
            "languages": languages,
            "syntax_errors": db.execute(
                "SELECT count(*) FROM files WHERE status = 'syntax'"
            ).fetchone()[0],
            "skipped": dict(sorted(self._listing.skipped.items())),
            "reparsed": self._listing.reparsed,
            "seconds": round(self.seconds, 3),
        }

    def _file_names(self, secondary: bool) -> list[FileNames]:
        rows = self._db.execute(
            "SELECT path, defined, referenced, counts FROM files "
            "WHERE status IN ('ok', 'syntax') AND secondary <= ? ORDER BY path",
            (int(secondary),),
        )
        return [
            FileNames(
                path,
                tuple(defined.split("\n")) if defined else (),
                tuple(referenced.split("\n")) if referenced else (),
                tuple(map(int, counts.split())),
            )
            for path, defined, referenced, counts in rows
        ]

    def _symbols_in(self, paths: list[str]) -> dict[str, list[Symbol]]:
        found: dict[str, list[Symbol]] = {path: [] for path in paths}
        for start in range(0, len(paths), 500):
            chunk = paths[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._db.execute(
                f"{_SYMBOLS} WHERE s.path IN ({marks}) ORDER BY s.path, s.line, s.end_line DESC",
                chunk,
            ):
                found[row[0]].append(Symbol(*row))
        return found

    def _cached(self, kind: str, key_parts: list, counter: str, build: Callable[[], str]) -> str:
        """Maps are cached per index generation (rankings per graph generation), so an
        unchanged tree costs one look-up."""
        key = f"{kind}:" + json.dumps([_MAP_VERSION, *key_parts])
        version = store.counter(self._db, counter)
        row = self._db.execute(
            "SELECT text FROM maps WHERE key = ? AND generation = ?", (key, version)
        ).fetchone()
        if row:
            return row[0]
        text = build()
        try:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                if store.counter(self._db, counter) == version:
                    self._db.execute(
                        "INSERT OR REPLACE INTO maps VALUES (?, ?, ?)", (key, version, text)
                    )
        except sqlite3.OperationalError:
            pass  # another process holds the lock too long; the cache is only a shortcut
        return text


def _relative(root: Path, path: str) -> str:
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            return candidate.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return candidate.as_posix()
    return candidate.as_posix().removeprefix("./")


def _exclude_agent_dir(git_dir: Path) -> None:
    """Keep .agent/ out of `git status` via .git/info/exclude (never the user's .gitignore)."""
    exclude = git_dir / "info" / "exclude"
    try:
        current = exclude.read_text() if exclude.exists() else ""
    except OSError:
        return
    if any(line.strip() in (".agent/", "/.agent/", ".agent") for line in current.splitlines()):
        return
    exclude.parent.mkdir(parents=True, exist_ok=True)
    text = current + ("" if current.endswith("\n") or not current else "\n") + ".agent/\n"
    handle, temporary = tempfile.mkstemp(dir=exclude.parent, prefix=".exclude-")
    with os.fdopen(handle, "w") as out:
        out.write(text)
    os.replace(temporary, exclude)
