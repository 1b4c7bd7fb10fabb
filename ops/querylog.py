"""The store of asked questions, their feedback and the curated-pin audit, written off the request path.

One writer thread per process applies queued rows in batches through `ops.db` (SQLite by default, PostgreSQL when
`JAUAP_DATABASE_URL` says so). When the database is down, batches go to a local spool (`ops.spool`) and are
delivered when it is back: requests never wait on the database and no row is lost.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ops import db
from ops.redact import redact
from ops.spool import Row, Spool

logger = logging.getLogger(__name__)

_QUEUE_LIMIT = 10_000  # beyond this, records are dropped (and logged) rather than blocking requests
_BATCH = 500
_RETRY_SECONDS = 2.0  # how often a writer with spooled rows tries the database again
_RETENTION_SECONDS = 3600.0  # how often old rows are deleted (when a retention is set)
_STOP = object()
_TABLES = {t.name: t for t in (db.questions, db.feedback, db.curated_audit)}


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
    curated: bool = False
    index_version: str | None = None


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


def _is_outage(exc: Exception) -> bool:
    """The database is unreachable (spool and retry), as opposed to a row it refuses (log and drop)."""
    return isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError) or bool(
        getattr(exc, "connection_invalidated", False)
    )


class QueryLog:
    """Questions, feedback and the curated-pin audit in one database, written by a single background thread.

    `path` is the SQLite file used when `url` is empty; `spool_dir` (default beside `path`) keeps rows the database
    could not take; `retention_days` > 0 deletes older rows hourly. A wrong or unreachable `url` raises
    `ops.db.DatabaseError` here, at start.
    """

    def __init__(
        self, path: str | Path, url: str = "", *, retention_days: int = 0, spool_dir: Path | None = None
    ) -> None:
        self.path = Path(path)
        self.url = db.database_url(url, self.path)
        self.engine = db.create_engine(self.url)
        db.migrate(self.engine)
        self.dialect = self.engine.dialect.name
        self.retention_days = retention_days
        self.spool = Spool(spool_dir or self.path.parent / "querylog-spool")
        self.degraded: str | None = None  # why rows are being spooled, while they are
        self.spooled_rows = 0  # rows this process had to spool, in total
        self._queue: queue.Queue[object] = queue.Queue(maxsize=_QUEUE_LIMIT)
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="querylog-writer", daemon=True)
        self._thread.start()

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
        curated: bool = False,
        index_version: str | None = None,
    ) -> None:
        """Queue one answered question (redacted here, before it goes anywhere)."""
        self._submit(
            "questions",
            {
                "answer_id": answer_id,
                "created_at": _now(),
                "channel": channel,
                "question": redact(question),
                "lang": lang,
                "abstained": int(abstained),
                "confidence": float(confidence),
                "top_doc": top_doc,
                "latency_ms": float(latency_ms),
                "curated": int(curated),
                "index_version": index_version,
            },
        )

    def set_feedback(self, *, answer_id: str, rating: int, reason: str | None, channel: str) -> None:
        """Queue a rating; a later rating of the same answer replaces an earlier one (one rating per answer)."""
        if rating not in (1, -1):
            raise ValueError("rating must be 1 or -1")
        now = _now()
        reason = redact(reason) if reason else None
        values = {"answer_id": answer_id, "rating": rating, "reason": reason, "channel": channel}
        self._submit("feedback", {**values, "created_at": now, "updated_at": now})

    def audit_pins(self, *, index_version: str | None, pins: int, detail: str) -> None:
        """Record that a set of curated pins went live (at start or on an index switch)."""
        row = {"created_at": _now(), "event": "pins_loaded", "index_version": index_version, "pins": pins}
        self._submit("curated_audit", {**row, "detail": detail})

    def _submit(self, table: str, values: dict[str, Any]) -> None:
        if self._closed:
            raise RuntimeError("QueryLog is closed")
        try:
            self._queue.put_nowait((table, values))
        except queue.Full:
            logger.error("query log queue full; dropping a record")

    def _upsert(self, table: sa.Table) -> Any:
        insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        stmt = insert(table)
        if table is db.curated_audit:
            return stmt
        if table is db.feedback:  # the latest rating wins, also when an older one arrives late from a spool
            changed = ("rating", "reason", "channel", "updated_at")
            return stmt.on_conflict_do_update(
                index_elements=["answer_id"],
                set_={c: stmt.excluded[c] for c in changed},
                where=table.c.updated_at <= stmt.excluded.updated_at,
            )
        columns = [c.name for c in table.columns if c.name != "answer_id"]
        return stmt.on_conflict_do_update(index_elements=["answer_id"], set_={c: stmt.excluded[c] for c in columns})

    def _deliver(self, rows: list[Row]) -> None:
        """Write `rows` in one transaction (idempotent: delivering them twice changes nothing)."""
        with self.engine.begin() as conn:
            for name, table in _TABLES.items():
                values = [v for t, v in rows if t == name]
                if values:
                    conn.execute(self._upsert(table), values)

    def _write(self, rows: list[Row]) -> None:
        try:
            if self.degraded is None:
                self._deliver(rows)
                return
        except Exception as exc:
            if not _is_outage(exc):
                logger.exception("query log write failed; %d rows dropped", len(rows))
                return
            self.degraded = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0][:200]
            logger.error("query log database unavailable, spooling rows locally: %s", self.degraded)
        self.spool.append(rows)
        self.spooled_rows += len(rows)

    def _retry(self) -> None:
        """Deliver the spool (ours and any a dead writer left); the database is back when that succeeds."""
        try:
            self.spool.drain(self._deliver)
        except Exception as exc:
            if not _is_outage(exc):
                logger.exception("spooled rows could not be delivered")
            return
        if self.degraded is not None:
            logger.info("query log database is back; spooled rows delivered")
        self.degraded = None

    def _expire(self) -> None:
        if self.retention_days <= 0 or self.degraded is not None:
            return
        cutoff = datetime.now(UTC) - timedelta(days=self.retention_days)
        try:
            with self.engine.begin() as conn:
                for table in (db.questions, db.feedback, db.curated_audit):
                    conn.execute(table.delete().where(table.c.created_at < cutoff))
        except Exception:
            logger.exception("query log retention cleanup failed")

    def _run(self) -> None:
        self._retry()  # rows spooled before a restart
        last_retry = last_expiry = float("-inf")
        while True:
            now = time.monotonic()
            if self.degraded is not None and now - last_retry >= _RETRY_SECONDS:
                self._retry()
                last_retry = now
            if now - last_expiry >= _RETENTION_SECONDS:
                self._expire()
                last_expiry = now
            try:
                item = self._queue.get(timeout=_RETRY_SECONDS / 2)
            except queue.Empty:
                continue
            batch: list[Row] = []
            stop = item is _STOP
            taken = 1
            if not stop:
                batch.append(item)  # type: ignore[arg-type]
            while not stop and len(batch) < _BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                taken += 1
                if item is _STOP:
                    stop = True
                else:
                    batch.append(item)  # type: ignore[arg-type]
            try:
                if batch:
                    self._write(batch)
            finally:
                for _ in range(taken):
                    self._queue.task_done()
            if stop:
                self.spool.close()
                return

    def flush(self) -> None:
        """Block until every queued row is written (or spooled, when the database is down)."""
        self._queue.join()

    def close(self) -> None:
        """Write what is queued, then stop the writer thread; idempotent."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join()
        self.engine.dispose()

    def __enter__(self) -> QueryLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------------------------------

    def questions(self, since: datetime | None = None) -> list[QuestionRecord]:
        """Logged questions, oldest first (only those at or after `since`, when given)."""
        query = sa.select(db.questions).order_by(db.questions.c.created_at, db.questions.c.answer_id)
        if since is not None:
            query = query.where(db.questions.c.created_at >= since)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            QuestionRecord(**{**row, "abstained": bool(row["abstained"]), "curated": bool(row["curated"])})
            for row in rows
        ]

    def feedback(self) -> list[FeedbackRecord]:
        """All ratings (the latest per answer), oldest first."""
        query = sa.select(db.feedback).order_by(db.feedback.c.created_at, db.feedback.c.answer_id)
        with self.engine.connect() as conn:
            return [FeedbackRecord(**row) for row in conn.execute(query).mappings().all()]

    def pin_audit(self) -> list[dict[str, Any]]:
        """Every recorded load of curated pins, oldest first."""
        query = sa.select(db.curated_audit).order_by(db.curated_audit.c.id)
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings().all()]

    def totals(self) -> dict[str, int]:
        """Counts over the whole log (every replica's rows): questions, 👍 and 👎."""
        rating = db.feedback.c.rating
        with self.engine.connect() as conn:
            asked = conn.execute(sa.select(sa.func.count()).select_from(db.questions)).scalar_one()
            ups, downs = conn.execute(
                sa.select(
                    sa.func.count().filter(rating > 0),
                    sa.func.count().filter(rating < 0),
                ).select_from(db.feedback)
            ).one()
        return {"questions": int(asked), "thumbs_up": int(ups or 0), "thumbs_down": int(downs or 0)}
