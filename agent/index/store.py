"""The SQLite cache at ROOT/.agent/index.sqlite.

One row per indexed file (stat key, content hash, status, and compact name lists that
feed the ranking), plus symbol and reference rows for look-ups, plus rendered maps and rankings keyed
by counters that move when content (or the ranking's inputs) change. WAL mode and a busy timeout let concurrent runs share the file;
a file that is not a valid cache of this version is deleted and rebuilt.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA_VERSION = "6"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    digest TEXT NOT NULL, language TEXT NOT NULL, status TEXT NOT NULL,
    errors INTEGER NOT NULL, defined TEXT NOT NULL, referenced TEXT NOT NULL,
    counts TEXT NOT NULL, secondary INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS symbols (
    path TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, line INTEGER NOT NULL,
    end_line INTEGER NOT NULL, signature TEXT NOT NULL, scope TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS symbols_name ON symbols (name);
CREATE INDEX IF NOT EXISTS symbols_path ON symbols (path);
CREATE TABLE IF NOT EXISTS refs (
    path TEXT NOT NULL, name TEXT NOT NULL, line INTEGER NOT NULL, kind TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS refs_name ON refs (name);
CREATE INDEX IF NOT EXISTS refs_path ON refs (path);
CREATE TABLE IF NOT EXISTS maps (key TEXT PRIMARY KEY, generation INTEGER NOT NULL,
    text TEXT NOT NULL);
"""
_BUSY_TIMEOUT_MS = 60_000


def cache_version() -> str:
    """The schema version plus a digest of our queries: editing either rebuilds caches."""
    import hashlib

    digest = hashlib.blake2b(digest_size=8)
    for query in sorted((Path(__file__).parent / "queries").glob("*.scm")):
        digest.update(query.name.encode() + b"\0" + query.read_bytes())
    return f"{SCHEMA_VERSION}-{digest.hexdigest()}"


def open_store(path: Path) -> sqlite3.Connection:
    """Open (creating or rebuilding as needed) the cache database at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _connect(path)
    except sqlite3.DatabaseError:
        discard(path)
        return _connect(path)


def discard(path: Path) -> None:
    """Delete a cache database and its WAL side files."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(
        path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    try:
        db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        version = cache_version()
        if _version(db) != version:
            _create(db, version)
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db


def _version(db: sqlite3.Connection) -> str | None:
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    except sqlite3.OperationalError as error:
        if "no such table" in str(error):
            return None
        raise
    return row[0] if row else None


def _create(db: sqlite3.Connection, version: str) -> None:
    db.execute("BEGIN IMMEDIATE")
    try:
        if _version(db) != version:  # another process may have just done it
            for table in ("meta", "files", "symbols", "refs", "maps"):
                db.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (version,))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', '0')")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('graph', '0')")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def counter(db: sqlite3.Connection, name: str) -> int:
    """A counter from meta: "generation" moves whenever indexed content changes, "graph"
    only when the names feeding the ranking change. Cached maps are keyed by them."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", (name,)).fetchone()
    return int(row[0]) if row else 0


def bump(db: sqlite3.Connection, name: str, kind: str) -> None:
    """Advance a counter and forget the cached entries of `kind` keyed by it (call inside
    a transaction)."""
    db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = ?", (name,))
    db.execute("DELETE FROM maps WHERE key LIKE ?", (f"{kind}:%",))
