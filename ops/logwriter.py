"""The query log's writer: one background thread applies queued rows in batches, or spools them while the
database is down and delivers them when it is back (see ops.spool), and deletes rows past the retention.

When the spool's disk refuses them too (full, read-only), rows are held in memory (up to `_HELD_LIMIT`) and
offered to the database, then the spool, on each retry: the writer thread never dies of a full disk.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from ops import db
from ops.spool import Row, Spool

logger = logging.getLogger(__name__)

_QUEUE_LIMIT = 10_000  # beyond this, records are dropped (and logged) rather than blocking requests
_HELD_LIMIT = 100_000  # rows kept in memory while neither the database nor the spool's disk takes them
_BATCH = 500
_RETRY_SECONDS = 2.0  # how often a writer with spooled rows tries the database again
_RETENTION_SECONDS = 3600.0  # how often old rows are deleted (when a retention is set)
_PING_SECONDS = 15.0  # an idle writer checks the database this often, so /readyz notices an outage without traffic
_STOP = object()
_TABLES = {t.name: t for t in (db.questions, db.feedback, db.curated_audit)}


def _is_outage(exc: Exception) -> bool:
    """The database is unreachable (spool and retry), as opposed to a row it refuses (log and drop)."""
    return isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError) or bool(
        getattr(exc, "connection_invalidated", False)
    )


class LogWriter:
    """Queued rows → the database in batches (one thread); spooled locally while the database is unreachable."""

    def __init__(self, engine: Engine, spool: Spool, retention_days: int = 0) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.spool = spool
        self.retention_days = retention_days
        self.degraded: str | None = None  # why rows are being spooled, while they are
        self.spooled_rows = 0  # rows this process had to spool, in total
        self.held: list[Row] = []  # rows neither the database nor the spool's disk took yet (oldest first)
        self._queue: queue.Queue[object] = queue.Queue(maxsize=_QUEUE_LIMIT)
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="querylog-writer", daemon=True)
        self._thread.start()

    def submit(self, table: str, values: dict[str, Any], stored: threading.Event | None = None) -> None:
        """Queue a row; `stored` is set once it is in the database or fsynced in the spool (not when only held)."""
        if self._closed:
            raise RuntimeError("QueryLog is closed")
        try:
            self._queue.put_nowait((table, values, stored))
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

    def _write(self, rows: list[Row]) -> bool:
        """Deliver `rows`, else spool them, else hold them; True when they are stored (delivered or spooled)."""
        if self.held:  # keep the order: older rows still wait in memory
            self._hold(rows)
            return False
        try:
            if self.degraded is None:
                self._deliver(rows)
                return True
        except Exception as exc:
            if not _is_outage(exc):
                return not self._write_each(rows)
            self.degraded = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0][:200]
            logger.error("query log database unavailable, spooling rows locally: %s", self.degraded)
        if self._spool(rows):
            return True
        self._hold(rows)
        return False

    def _spool(self, rows: list[Row]) -> bool:
        """Append `rows` to the spool; False when its disk refuses them (full, read-only)."""
        try:
            self.spool.append(rows)
        except OSError as exc:
            self.spool.close()  # a file half-written on a full disk: the next append starts a new one
            if "spool disk refused" not in (self.degraded or ""):
                logger.error("query log spool refused rows (%s); holding them in memory", exc)
                self.degraded = f"{self.degraded or 'database unavailable'}; spool disk refused rows: {exc}"[:300]
            return False
        self.spooled_rows += len(rows)
        return True

    def _hold(self, rows: list[Row]) -> None:
        self.held.extend(rows)
        if len(self.held) > _HELD_LIMIT:
            dropped = len(self.held) - _HELD_LIMIT
            del self.held[:dropped]
            logger.error("query log held rows over %d; %d oldest dropped", _HELD_LIMIT, dropped)

    def _place_held(self) -> bool:
        """Offer the held rows to the database, else to the spool; True when none is left in memory."""
        if not self.held:
            return True
        rows = list(self.held)
        dropped = 0
        try:
            self._deliver(rows)
        except Exception as exc:
            if not _is_outage(exc):  # a row the database refuses loses only itself, as in `_write`
                dropped = self._write_each(rows)
            elif not self._spool(rows):
                return False
        self.held.clear()
        logger.info("query log: %d of %d rows held in memory are stored", len(rows) - dropped, len(rows))
        return True

    def _write_each(self, rows: list[Row]) -> int:
        """A batch the database refused (not an outage): deliver its rows one by one, so that one row nothing can
        store loses only itself, not every question that shared its batch. Returns how many rows were dropped."""
        dropped = 0
        for row in rows:
            try:
                self._deliver([row])
            except Exception:
                dropped += 1
                logger.exception("query log row refused; dropped (table %s)", row[0])
        if dropped:
            logger.error("query log write failed; %d of %d rows dropped", dropped, len(rows))
        return dropped

    def _retry(self) -> None:
        """Deliver the spool (ours and any a dead writer left); the database is back when that succeeds.

        `degraded` is cleared only once every row this writer spooled is delivered and the database answered: a
        drain that delivered nothing (our file briefly locked by a forked child, or nothing spooled) proves neither.
        """
        if not self._place_held():
            return
        try:
            if not self.spool.drain(self._deliver):
                self._select_one()
        except Exception as exc:
            if not _is_outage(exc):
                logger.exception("spooled rows could not be delivered")
            return
        if self.spool.undelivered():
            logger.warning("query log spool file busy; delivery retried in %.0f s", _RETRY_SECONDS)
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

    def _select_one(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    def _ping(self) -> None:
        try:
            self._select_one()
        except Exception as exc:
            if _is_outage(exc):
                self.degraded = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0][:200]
                logger.error("query log database unavailable: %s", self.degraded)

    def _run(self) -> None:
        self._retry()  # rows spooled before a restart
        last_retry = last_expiry = float("-inf")
        last_activity = time.monotonic()
        while True:
            now = time.monotonic()
            if self.degraded is not None and now - last_retry >= _RETRY_SECONDS:
                self._retry()
                last_retry = now
            elif self.degraded is None and now - last_activity >= _PING_SECONDS:
                self._ping()
                last_activity = now
            if now - last_expiry >= _RETENTION_SECONDS:
                self._expire()
                last_expiry = now
            try:
                item = self._queue.get(timeout=_RETRY_SECONDS / 2)
            except queue.Empty:
                continue
            batch: list[Row] = []
            waiting: list[threading.Event] = []
            stop = item is _STOP
            taken = 1
            while not stop:
                table, values, stored = item  # type: ignore[misc]
                batch.append((table, values))
                if stored is not None:
                    waiting.append(stored)
                if len(batch) >= _BATCH:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                taken += 1
                stop = item is _STOP
            try:
                if batch:
                    if self._write(batch):
                        for stored in waiting:
                            stored.set()
                    last_activity = time.monotonic()
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
