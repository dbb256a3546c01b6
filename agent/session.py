"""The session store: every event and message of every session, in SQLite under `.agent/`.

One file, `ROOT/.agent/sessions.sqlite`, in WAL mode with a busy timeout so several
processes can write at once. The schema grows by small named migrations recorded in a
`migrations` table. A file SQLite cannot read is moved aside (never deleted) and a fresh
store is started; `SessionStore.notice` says so.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from agent import events as ev
from agent.errors import UserError
from agent.messages import Message, message_from_dict, message_to_dict
from agent.owner import current_owner, owner_alive

STORE_NAME = "sessions.sqlite"

MIGRATIONS: list[tuple[str, str]] = [
    (
        "001_sessions_events_messages",
        """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            task TEXT NOT NULL,
            model TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'running',
            stop_reason TEXT NOT NULL DEFAULT '',
            summary TEXT NOT NULL DEFAULT '',
            created REAL NOT NULL,
            updated REAL NOT NULL,
            cost_usd REAL NOT NULL DEFAULT 0,
            input_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            cached_tokens INTEGER NOT NULL DEFAULT 0,
            model_calls INTEGER NOT NULL DEFAULT 0,
            repo TEXT NOT NULL DEFAULT '',
            branch TEXT NOT NULL DEFAULT '',
            base_checkpoint TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE events (
            session_id TEXT NOT NULL REFERENCES sessions(id),
            seq INTEGER NOT NULL,
            kind TEXT NOT NULL,
            json TEXT NOT NULL,
            at REAL NOT NULL,
            PRIMARY KEY (session_id, seq)
        );
        CREATE TABLE messages (
            session_id TEXT NOT NULL REFERENCES sessions(id),
            seq INTEGER NOT NULL,
            json TEXT NOT NULL,
            PRIMARY KEY (session_id, seq)
        );
    """,
    ),
    (
        "002_session_owner",
        """
        ALTER TABLE sessions ADD COLUMN owner_pid INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sessions ADD COLUMN owner_start TEXT NOT NULL DEFAULT ''
    """,
    ),
]

PROCESS_GONE = "process gone"  # the stop reason of a running session whose process died
UPDATABLE = {"status", "stop_reason", "summary", "repo", "branch", "base_checkpoint"}


@dataclass(frozen=True)
class SessionRecord:
    """One row of the sessions table."""

    id: str
    task: str
    model: str
    status: str
    stop_reason: str
    summary: str
    created: float
    updated: float
    cost_usd: float
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    model_calls: int
    repo: str
    branch: str
    base_checkpoint: str
    owner_pid: int = 0  # the process that runs (or last ran) the session
    owner_start: str = ""  # that process's start time, see agent.owner

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-able data."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def shown_status(self) -> str:
        """The status as people read it: `interrupted (process gone)` for a dead owner."""
        gone = self.status == "interrupted" and self.stop_reason == PROCESS_GONE
        return f"{self.status} ({PROCESS_GONE})" if gone else self.status


COLUMNS = ", ".join(f.name for f in fields(SessionRecord))


class SessionStore:
    """Sessions, their events and their conversation, stored under ROOT/.agent/."""

    def __init__(self, path: Path, connection: sqlite3.Connection, notice: str | None = None):
        self.path = path
        self.notice = notice
        self._db = connection
        self._lock = threading.Lock()

    @classmethod
    def open(cls, root: Path, busy_timeout_s: float = 30.0) -> SessionStore:
        """Open (creating if needed) the store of the repository at `root`.

        Writers wait up to `busy_timeout_s` for each other before giving up.
        """
        from agent.gitops.checkpoints import exclude_agent_dir

        directory = Path(root) / ".agent"
        directory.mkdir(parents=True, exist_ok=True)
        exclude_agent_dir(Path(root))
        path = directory / STORE_NAME
        try:
            return cls(path, _connect(path, busy_timeout_s))
        except sqlite3.OperationalError as error:  # locked, read-only, I/O: not corruption
            raise UserError(f"the session store {path} cannot be opened: {error}") from error
        except sqlite3.DatabaseError as error:
            aside = _move_aside(path)
            notice = (
                f"the session store {path} could not be read ({error}); it was moved to "
                f"{aside.name} and a new one started"
            )
            return cls(path, _connect(path, busy_timeout_s), notice)

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    def create(
        self, task: str, model: str, repo: str = "", branch: str = "", session_id: str | None = None
    ) -> str:
        """Start a session record; returns its id, e.g. `20261123-104512-ab12` (or
        `session_id`, an id from `new_session_id` a front end named before the task)."""
        now = time.time()
        pid, started = current_owner()
        for _ in range(1 if session_id else 20):
            chosen = session_id or new_session_id(now)
            try:
                with self._write() as db:
                    db.execute(
                        "INSERT INTO sessions (id, task, model, created, updated, repo, branch,"
                        " owner_pid, owner_start) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (chosen, task, model, now, now, repo, branch, pid, started),
                    )
                return chosen
            except sqlite3.IntegrityError:
                continue
        if session_id:
            raise UserError(f"session id {session_id!r} is taken; start a new session")
        raise RuntimeError("could not find a free session id")

    def sink(self, session_id: str) -> ev.EventSink:
        """An event sink that stores each event and keeps the session row's totals current."""

        def store(event: ev.Event) -> None:
            self.append_event(session_id, event)

        return store

    def append_event(self, session_id: str, event: ev.Event) -> None:
        """Store one event; cost updates and the finish also update the session row."""
        data = ev.to_dict(event)
        with self._write() as db:
            db.execute(
                "INSERT INTO events (session_id, seq, kind, json, at) SELECT ?,"
                " COALESCE(MAX(seq), 0) + 1, ?, ?, ? FROM events WHERE session_id = ?",
                (session_id, event.kind, json.dumps(data), event.at, session_id),
            )
            _apply_to_row(db, session_id, event)

    def append_message(self, session_id: str, message: Message) -> None:
        """Add a message to the session's conversation (what resume replays)."""
        with self._write() as db:
            db.execute(
                "INSERT INTO messages (session_id, seq, json) SELECT ?, COALESCE(MAX(seq), 0) + 1,"
                " ? FROM messages WHERE session_id = ?",
                (session_id, json.dumps(message_to_dict(message)), session_id),
            )

    def messages(self, session_id: str) -> list[Message]:
        """The session's conversation, in order."""
        rows = self._read(
            "SELECT json FROM messages WHERE session_id = ? ORDER BY seq", (session_id,)
        )
        return [message_from_dict(json.loads(row[0])) for row in rows]

    def event_dicts(self, session_id: str) -> list[dict[str, Any]]:
        """The session's events as stored (`agent.events.to_dict` form), in order."""
        rows = self._read(
            "SELECT json FROM events WHERE session_id = ? ORDER BY seq", (session_id,)
        )
        return [json.loads(row[0]) for row in rows]

    def events(self, session_id: str) -> list[ev.Event]:
        """The session's events, rebuilt as typed events (unknown kinds skipped)."""
        stored = self.event_dicts(session_id)
        return [ev.from_dict(d) for d in stored if d["kind"] in ev.EVENT_TYPES]

    def list(self, limit: int | None = None) -> list[SessionRecord]:
        """Sessions, newest first."""
        sql = f"SELECT {COLUMNS} FROM sessions ORDER BY created DESC, id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [self._settled(SessionRecord(*row)) for row in self._read(sql, ())]

    def latest(self) -> SessionRecord:
        """The newest session; `UserError` when there is none."""
        found = self.list(limit=1)
        if not found:
            raise UserError("no sessions yet in this repository; run `agent solve` first")
        return found[0]

    def get(self, session_id: str) -> SessionRecord:
        """A session by id or unique id prefix; `UserError` if none or several match."""
        pattern = session_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._read(
            f"SELECT {COLUMNS} FROM sessions WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT 6",
            (pattern,),
        )
        exact = [row for row in rows if row[0] == session_id]
        if exact or len(rows) == 1:
            return self._settled(SessionRecord(*(exact or rows)[0]))
        if not rows or not session_id:
            raise UserError(f"no session {session_id!r}; `agent sessions` lists them")
        ids = ", ".join(row[0] for row in rows[:5])
        raise UserError(f"session id {session_id!r} is ambiguous ({ids}); give more characters")

    def mark(self, session_id: str, status: str, stop_reason: str = "") -> None:
        """Set a session's status (running, solved, not_solved, ...) and why it stopped."""
        self.update(session_id, status=status, stop_reason=stop_reason)

    def update(self, session_id: str, **values: str) -> None:
        """Set some of: status, stop_reason, summary, repo, branch, base_checkpoint."""
        unknown = set(values) - UPDATABLE
        if unknown:
            raise ValueError(f"cannot update session fields {sorted(unknown)}")
        assignments = ", ".join(f"{name} = ?" for name in values)
        with self._write() as db:
            db.execute(
                f"UPDATE sessions SET {assignments}, updated = ? WHERE id = ?",
                (*values.values(), time.time(), session_id),
            )

    def _settled(self, record: SessionRecord) -> SessionRecord:
        """`record`, marked interrupted (process gone) if it is running but its process died."""
        if record.status != "running" or owner_alive(record.owner_pid, record.owner_start):
            return record
        try:
            with self._write() as db:  # only if no other process has claimed it meanwhile
                db.execute(
                    "UPDATE sessions SET status = 'interrupted', stop_reason = ?"
                    " WHERE id = ? AND status = 'running' AND owner_pid = ?"
                    " AND owner_start = ?",
                    (PROCESS_GONE, record.id, record.owner_pid, record.owner_start),
                )
        except sqlite3.OperationalError:  # a read-only or full store: still say what is true
            return replace(record, status="interrupted", stop_reason=PROCESS_GONE)
        row = self._read(f"SELECT {COLUMNS} FROM sessions WHERE id = ?", (record.id,))
        return SessionRecord(*row[0])

    def _read(self, sql: str, params: tuple) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """`BEGIN IMMEDIATE` ... `COMMIT` (rolled back on error), one thread at a time."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")


def new_session_id(now: float | None = None) -> str:
    """A fresh session id in the store's form, e.g. `20261123-104512-ab12`."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(time.time() if now is None else now))
    return f"{stamp}-{secrets.token_hex(2)}"


def _apply_to_row(db: sqlite3.Connection, session_id: str, event: ev.Event) -> None:
    """Keep the session row's status and totals in step with the events."""
    if isinstance(event, ev.CostUpdated):
        db.execute(
            "UPDATE sessions SET cost_usd = ?, input_tokens = ?, output_tokens = ?,"
            " cached_tokens = ?, model_calls = ?, updated = ? WHERE id = ?",
            (
                event.cost_usd,
                event.input_tokens,
                event.output_tokens,
                event.cache_read_tokens,
                event.model_calls,
                event.at,
                session_id,
            ),
        )
    elif isinstance(event, ev.Finished):
        db.execute(
            "UPDATE sessions SET status = ?, stop_reason = ?, summary = ?, updated = ?"
            " WHERE id = ?",
            (event.status, event.stop_reason, event.summary, event.at, session_id),
        )
    elif isinstance(event, ev.SessionStarted):  # repo: where it runs (maybe a worktree)
        pid, started = current_owner()  # the process that emits it runs it (resume too)
        db.execute(
            "UPDATE sessions SET status = 'running', stop_reason = '', repo = ?,"
            " owner_pid = ?, owner_start = ?, updated = ? WHERE id = ?",
            (event.repo, pid, started, event.at, session_id),
        )
    else:
        db.execute("UPDATE sessions SET updated = ? WHERE id = ?", (event.at, session_id))


def _connect(path: Path, busy_timeout_s: float) -> sqlite3.Connection:
    """Connect, switch to WAL, and apply any migrations not yet applied."""
    db = sqlite3.connect(
        path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
    )
    try:
        db.execute("PRAGMA journal_mode = WAL")
        # WAL + NORMAL survives a killed process (only a power cut may lose the last
        # events) and is ~40x faster per event than FULL, which streamed text needs.
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        _migrate(db)
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db


def _migrate(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied REAL)")
    done = {row[0] for row in db.execute("SELECT name FROM migrations")}
    for name, sql in MIGRATIONS:
        if name in done:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("SELECT 1 FROM migrations WHERE name = ?", (name,)).fetchone():
                db.execute("ROLLBACK")  # another process applied it meanwhile
                continue
            for statement in filter(str.strip, sql.split(";")):
                db.execute(statement)
            db.execute("INSERT INTO migrations VALUES (?, ?)", (name, time.time()))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


def _move_aside(path: Path) -> Path:
    """Rename a store SQLite cannot read (and its WAL files) to `*.corrupt-<time>`."""
    aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    path.replace(aside)
    for suffix in ("-wal", "-shm"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            extra.replace(aside.with_name(aside.name + suffix))
    return aside
