"""The query log on a real PostgreSQL: same behaviour as SQLite, clear start errors, no row lost in an outage."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ops import db
from ops.db import DatabaseError
from ops.querylog import QueryLog
from ops.report import build_report

pytestmark = pytest.mark.replicas


def _ask(log: QueryLog, answer_id: str, question: str = "Порталды кім пайдаланады?") -> None:
    log.log_question(answer_id=answer_id, channel="web", question=question, lang="kk", abstained=False,
                     confidence=0.7, top_doc="a.txt", latency_ms=3.0)  # fmt: skip


def _wait(check, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_postgres_log_redacts_keeps_one_rating_and_feeds_the_report(pg_url, tmp_path) -> None:
    with QueryLog(tmp_path / "unused.sqlite3", pg_url) as log:
        assert log.dialect == "postgresql"
        _ask(log, "a1", "Менің ЖСН 880101300123, телефон +7 701 123 45 67")
        log.set_feedback(answer_id="a1", rating=1, reason=None, channel="web")
        log.set_feedback(answer_id="a1", rating=-1, reason="звоните 87011234567", channel="telegram")
        log.audit_pins(index_version="index-1", pins=2, detail="sha256:abc")
        log.flush()
        [question] = log.questions()
        [rating] = log.feedback()
        report = build_report(log)
        assert log.totals() == {"questions": 1, "thumbs_up": 0, "thumbs_down": 1}
        assert [row["pins"] for row in log.pin_audit()] == [2]
    assert question.question == "Менің ЖСН [IIN], телефон [PHONE]" and question.created_at.tzinfo is not None
    assert (rating.rating, rating.reason) == (-1, "звоните [PHONE]")
    assert report.total == 1 and report.thumbs_down_count == 1
    assert not (tmp_path / "unused.sqlite3").exists()


def test_rows_written_while_postgres_is_down_are_spooled_then_delivered(postgres, pg_url, tmp_path) -> None:
    log = QueryLog(tmp_path / "q.sqlite3", pg_url, spool_dir=tmp_path / "spool")
    try:
        _ask(log, "before")
        log.flush()
        postgres.stop()
        for i in range(30):
            _ask(log, f"down{i}", "ЖСН 880101300123")
        log.set_feedback(answer_id="down0", rating=-1, reason=None, channel="web")
        log.flush()
        assert log.degraded and log.spooled_rows == 31
        assert b"880101300123" not in b"".join(p.read_bytes() for p in (tmp_path / "spool").iterdir())
    finally:
        postgres.start()
    try:
        _wait(lambda: log.degraded is None)
        assert len(log.questions()) == 31 and len(log.feedback()) == 1
        assert log.spool.pending() == 0
    finally:
        log.close()


def test_a_spool_left_by_a_stopped_writer_is_delivered_by_the_next_one(postgres, pg_url, tmp_path) -> None:
    log = QueryLog(tmp_path / "q.sqlite3", pg_url, spool_dir=tmp_path / "spool")
    postgres.stop()
    try:
        _ask(log, "kept")
        log.close()  # the process stops while the database is down: the row is only in the spool
    finally:
        postgres.start()
    assert log.spool.pending() == 1
    with QueryLog(tmp_path / "q.sqlite3", pg_url, spool_dir=tmp_path / "spool") as again:
        _wait(lambda: again.spool.pending() == 0)
        assert [q.answer_id for q in again.questions()] == ["kept"]


def test_retention_deletes_rows_older_than_the_setting(pg_url, tmp_path) -> None:
    old = datetime.now(UTC) - timedelta(days=40)
    engine = db.create_engine(db.database_url(pg_url, tmp_path / "x"))
    db.migrate(engine)
    with engine.begin() as conn:
        conn.execute(db.questions.insert(), [{"answer_id": "old", "created_at": old, "channel": "web",
                     "question": "q", "abstained": 0, "confidence": 0.1, "latency_ms": 1.0}])  # fmt: skip
    engine.dispose()
    with QueryLog(tmp_path / "q.sqlite3", pg_url, retention_days=30) as log:
        _ask(log, "new")
        log.flush()
        _wait(lambda: [q.answer_id for q in log.questions()] == ["new"])


def test_bad_database_urls_fail_at_start_with_a_clear_message(tmp_path) -> None:
    with pytest.raises(DatabaseError, match="JAUAP_DATABASE_URL names 'mysql'"):
        QueryLog(tmp_path / "q.sqlite3", "mysql://u:p@127.0.0.1/db")
    with pytest.raises(DatabaseError, match="not a database URL"):
        QueryLog(tmp_path / "q.sqlite3", "not a url")
    with pytest.raises(DatabaseError, match="Cannot reach the database") as caught:
        QueryLog(tmp_path / "q.sqlite3", "postgresql://jauap:s3cret@127.0.0.1:1/jauap")
    assert "s3cret" not in str(caught.value) and "JAUAP_DATABASE_URL" in str(caught.value)


def test_replicas_starting_together_migrate_once(pg_url, tmp_path) -> None:
    import threading

    errors: list[BaseException] = []

    def start() -> None:
        try:
            QueryLog(tmp_path / "q.sqlite3", pg_url).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    engine = sa.create_engine(db.database_url(pg_url, tmp_path / "x"))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == "0002"
    engine.dispose()


def test_an_idle_log_notices_the_database_going_and_coming_back(postgres, pg_url, tmp_path, monkeypatch) -> None:
    import ops.logwriter

    monkeypatch.setattr(ops.logwriter, "_PING_SECONDS", 0.2)
    with QueryLog(tmp_path / "q.sqlite3", pg_url) as log:
        postgres.stop()
        try:
            _wait(lambda: log.degraded is not None)
        finally:
            postgres.start()
        _wait(lambda: log.degraded is None)
