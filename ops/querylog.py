"""SQLite store of asked questions and their feedback, written by a background thread off the request path."""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ops.redact import redact

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    answer_id   TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL,
    channel     TEXT NOT NULL,
    question    TEXT NOT NULL,
    lang        TEXT,
    abstained   INTEGER NOT NULL,
    confidence  REAL NOT NULL,
    top_doc     TEXT,
    latency_ms  REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS questions_created_at ON questions (created_at);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id   TEXT PRIMARY KEY,
    rating      INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    reason      TEXT,
    channel     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
"""

_QUEUE_LIMIT = 10_000  # beyond this, records are dropped (and logged) rather than blocking requests


@dataclass(frozen=True)
class QuestionRecord:
    answer_id: str
    created_at: datetime  # UTC, timezone-aware
    channel: str  # "web", "telegram", …
    question: str  # already redacted
    lang: str | None
    abstained: bool
    confidence: float
    top_doc: str | None
    latency_ms: float


@dataclass(frozen=True)
class FeedbackRecord:
    answer_id: str
    rating: int  # 1 or -1
    reason: str | None  # already redacted
    channel: str
    created_at: datetime  # first rating
    updated_at: datetime  # latest change


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts)


_Write = Callable[[sqlite3.Connection], None]
_STOP = object()


class QueryLog:
    """Questions and feedback in one SQLite file; writes are queued and applied by a single writer thread.

    One writer keeps SQLite free of lock contention and keeps disk latency out of the request path; reads open
    their own short-lived connection (WAL mode lets them run beside the writer).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._reader() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)
        self._queue: queue.Queue[object] = queue.Queue(maxsize=_QUEUE_LIMIT)
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="querylog-writer", daemon=True)
        self._thread.start()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=10000")
        return conn

    # -- writing -------------------------------------------------------------------------------------------------

    def log_question(
        self,
        *,
        answer_id: str,
        channel: str,
        question: str,
        lang: str | None,
        abstained: bool,
        confidence: float,
        top_doc: str | None,
        latency_ms: float,
    ) -> None:
        """Queue one answered question (redacted here, before it goes anywhere)."""
        row = (
            answer_id,
            _now(),
            channel,
            redact(question),
            lang,
            int(abstained),
            float(confidence),
            top_doc,
            float(latency_ms),
        )

        def write(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT OR REPLACE INTO questions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)

        self._submit(write)

    def set_feedback(self, *, answer_id: str, rating: int, reason: str | None, channel: str) -> None:
        """Queue a rating; a second rating of the same answer replaces the first (one rating per answer)."""
        if rating not in (1, -1):
            raise ValueError("rating must be 1 or -1")
        now = _now()
        row = (answer_id, rating, redact(reason) if reason else None, channel, now, now)

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO feedback VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(answer_id) DO UPDATE SET "
                "rating = excluded.rating, reason = excluded.reason, channel = excluded.channel, "
                "updated_at = excluded.updated_at",
                row,
            )

        self._submit(write)

    def _submit(self, write: _Write) -> None:
        if self._closed:
            raise RuntimeError("QueryLog is closed")
        try:
            self._queue.put_nowait(write)
        except queue.Full:
            logger.error("query log queue full; dropping a record")

    def _run(self) -> None:
        conn = self._connect()
        try:
            while True:
                item = self._queue.get()
                try:
                    if item is _STOP:
                        return
                    item(conn)  # type: ignore[operator]
                except Exception:
                    logger.exception("query log write failed")
                finally:
                    self._queue.task_done()
        finally:
            conn.close()

    def flush(self) -> None:
        """Block until every queued write is on disk."""
        self._queue.join()

    def close(self) -> None:
        """Write what is queued, then stop the writer thread; idempotent."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join()

    def __enter__(self) -> QueryLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------------------------------

    def questions(self, since: datetime | None = None) -> list[QuestionRecord]:
        """Logged questions, oldest first (only those at or after `since`, when given)."""
        sql = "SELECT * FROM questions"
        params: tuple[str, ...] = ()
        if since is not None:
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            sql += " WHERE created_at >= ?"
            params = (since.astimezone(UTC).isoformat(),)
        with self._reader() as conn:
            rows = conn.execute(sql + " ORDER BY created_at, rowid", params).fetchall()
        return [
            QuestionRecord(
                answer_id=r[0],
                created_at=_parse(r[1]),
                channel=r[2],
                question=r[3],
                lang=r[4],
                abstained=bool(r[5]),
                confidence=r[6],
                top_doc=r[7],
                latency_ms=r[8],
            )
            for r in rows
        ]

    def feedback(self) -> list[FeedbackRecord]:
        """All ratings (the latest per answer), oldest first."""
        with self._reader() as conn:
            rows = conn.execute("SELECT * FROM feedback ORDER BY created_at, rowid").fetchall()
        return [
            FeedbackRecord(
                answer_id=r[0],
                rating=r[1],
                reason=r[2],
                channel=r[3],
                created_at=_parse(r[4]),
                updated_at=_parse(r[5]),
            )
            for r in rows
        ]

    def _reader(self) -> _Reader:
        return _Reader(self._connect())


class _Reader:
    """A read connection that is closed (not just committed, as sqlite3's own context manager does) on exit."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()
