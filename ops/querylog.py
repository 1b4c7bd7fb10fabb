"""The store of asked questions, their feedback and the curated-pin audit, written off the request path.

One writer thread per process applies queued rows in batches through `ops.db` (SQLite by default, PostgreSQL when
`JAUAP_DATABASE_URL` says so). When the database is down, batches go to a local spool (`ops.spool`) and are
delivered when it is back: requests never wait on the database and no row is lost.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ops import db
from ops.logwriter import LogWriter
from ops.redact import redact, storable
from ops.spool import Spool

logger = logging.getLogger(__name__)


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
        self._writer = LogWriter(self.engine, Spool(spool_dir or self.path.parent / "querylog-spool"), retention_days)

    @property
    def degraded(self) -> str | None:
        """Why rows are being spooled locally (the database is unreachable), or None."""
        return self._writer.degraded

    @property
    def spooled_rows(self) -> int:
        return self._writer.spooled_rows

    @property
    def spool(self) -> Spool:
        return self._writer.spool

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
                "question": storable(redact(question)),
                "lang": lang,
                "abstained": int(abstained),
                "confidence": float(confidence),
                "top_doc": top_doc,
                "latency_ms": float(latency_ms),
                "curated": int(curated),
                "index_version": index_version,
            },
        )

    def set_feedback(self, *, answer_id: str, rating: int, reason: str | None, channel: str, wait: float = 0.0) -> bool:
        """Queue a rating; a later rating of the same answer replaces an earlier one (one rating per answer).

        With `wait` > 0, block until the rating is stored (in the database, or fsynced in the spool) for at most
        that many seconds, and say whether it is: a front-end acknowledges only what a crash cannot lose.
        """
        if rating not in (1, -1):
            raise ValueError("rating must be 1 or -1")
        now = _now()
        reason = storable(redact(reason)) if reason else None
        values = {"answer_id": answer_id, "rating": rating, "reason": reason, "channel": channel}
        stored = threading.Event() if wait > 0 else None
        self._writer.submit("feedback", {**values, "created_at": now, "updated_at": now}, stored)
        return stored is None or stored.wait(wait)

    def audit_pins(self, *, index_version: str | None, pins: int, detail: str) -> None:
        """Record that a set of curated pins went live (at start or on an index switch)."""
        row = {"created_at": _now(), "event": "pins_loaded", "index_version": index_version, "pins": pins}
        self._submit("curated_audit", {**row, "detail": detail})

    def _submit(self, table: str, values: dict[str, Any]) -> None:
        self._writer.submit(table, values)

    def flush(self) -> None:
        """Block until every queued row is written (or spooled, when the database is down)."""
        self._writer.flush()

    def close(self) -> None:
        """Write what is queued, then stop the writer thread; idempotent."""
        self._writer.close()
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
