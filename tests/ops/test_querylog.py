"""The query/feedback store: redacted, durable, one changeable rating per answer, safe from many threads."""

import re
import sqlite3
import threading
from datetime import UTC, datetime, timedelta

import pytest

from ops.querylog import QueryLog


def _ask(log: QueryLog, answer_id: str, question: str = "Порталды кім пайдаланады?", **kw) -> None:
    args = {"channel": "web", "lang": "kk", "abstained": False, "confidence": 0.7, "top_doc": "a.txt",
            "latency_ms": 12.5}  # fmt: skip
    args.update(kw)
    log.log_question(answer_id=answer_id, question=question, **args)


def test_questions_are_stored_redacted(tmp_path) -> None:
    path = tmp_path / "q.sqlite3"
    with QueryLog(path) as log:
        _ask(log, "a1", "Менің ЖСН 880101300123, телефон +7 701 123 45 67, почта a@b.kz", abstained=True, top_doc=None)
        log.flush()
        [record] = log.questions()
    assert record.question == "Менің ЖСН [IIN], телефон [PHONE], почта [EMAIL]"
    assert record.abstained is True and record.top_doc is None and record.lang == "kk"
    assert record.created_at.tzinfo is not None
    raw = b"".join(f.read_bytes() for f in tmp_path.iterdir())  # the database and any WAL/journal files
    assert b"880101300123" not in raw and b"a@b.kz" not in raw


def test_feedback_is_one_changeable_rating_per_answer(tmp_path) -> None:
    with QueryLog(tmp_path / "q.sqlite3") as log:
        log.set_feedback(answer_id="a1", rating=1, reason=None, channel="web")
        log.set_feedback(answer_id="a1", rating=1, reason=None, channel="web")
        log.flush()
        assert [(f.answer_id, f.rating) for f in log.feedback()] == [("a1", 1)]
        log.set_feedback(answer_id="a1", rating=-1, reason="звоните 87011234567", channel="telegram")
        log.flush()
        [fb] = log.feedback()
    assert (fb.rating, fb.reason, fb.channel) == (-1, "звоните [PHONE]", "telegram")
    assert fb.updated_at >= fb.created_at


def test_invalid_rating_is_rejected(tmp_path) -> None:
    with QueryLog(tmp_path / "q.sqlite3") as log, pytest.raises(ValueError):
        log.set_feedback(answer_id="a1", rating=5, reason=None, channel="web")


def test_close_writes_everything_queued_and_data_survives_reopen(tmp_path) -> None:
    path = tmp_path / "q.sqlite3"
    log = QueryLog(path)
    for i in range(200):
        _ask(log, f"id{i}")
    log.close()
    log.close()  # idempotent
    with pytest.raises(RuntimeError):
        _ask(log, "late")
    assert sqlite3.connect(path).execute("SELECT count(*) FROM questions").fetchone()[0] == 200
    with QueryLog(path) as again:
        assert len(again.questions()) == 200


def test_concurrent_writers_lose_nothing(tmp_path) -> None:
    with QueryLog(tmp_path / "q.sqlite3") as log:

        def worker(n: int) -> None:
            for i in range(50):
                _ask(log, f"t{n}-{i}")
                log.set_feedback(answer_id=f"t{n}-{i}", rating=1 if i % 2 else -1, reason=None, channel="web")

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        log.flush()
        assert len(log.questions()) == 400
        assert len(log.feedback()) == 400


def test_questions_since_filters_by_time(tmp_path) -> None:
    with QueryLog(tmp_path / "q.sqlite3") as log:
        _ask(log, "old")
        log.flush()
        assert [r.answer_id for r in log.questions(since=datetime.now(UTC) - timedelta(minutes=5))] == ["old"]
        assert log.questions(since=datetime.now(UTC) + timedelta(minutes=5)) == []
        naive_past = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
        assert len(log.questions(since=naive_past)) == 1


def test_a_log_written_before_migrations_is_upgraded_in_place(tmp_path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:  # the schema this log had before ops/migrations existed
        conn.executescript(
            "CREATE TABLE questions (answer_id TEXT PRIMARY KEY, created_at TEXT NOT NULL, channel TEXT NOT NULL,"
            " question TEXT NOT NULL, lang TEXT, abstained INTEGER NOT NULL, confidence REAL NOT NULL, top_doc TEXT,"
            " latency_ms REAL NOT NULL);"
            "CREATE TABLE feedback (answer_id TEXT PRIMARY KEY, rating INTEGER NOT NULL, reason TEXT,"
            " channel TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);"
            "INSERT INTO questions VALUES ('old', '2026-01-02T03:04:05+00:00', 'web', 'q', 'kk', 1, 0.2, NULL, 9.0);"
        )
    with QueryLog(path) as log:
        _ask(log, "new", curated=True, index_version="index-20260101")
        log.flush()
        old, new = log.questions()
    assert (old.answer_id, old.created_at, old.curated) == ("old", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), False)
    assert (new.curated, new.index_version) == (True, "index-20260101")


def test_spool_delivers_each_file_once_and_skips_a_live_writers_file(tmp_path) -> None:
    from ops.spool import Spool

    mine, other = Spool(tmp_path), Spool(tmp_path)
    mine.append([("questions", {"answer_id": "a"})])
    other.append([("questions", {"answer_id": "b"})])  # still open: its writer is alive
    delivered: list[list] = []
    assert mine.drain(delivered.append) == 1
    assert delivered == [[("questions", {"answer_id": "a"})]] and mine.pending() == 1
    other.close()
    assert mine.drain(delivered.append) == 1 and mine.pending() == 0


def test_text_no_database_can_hold_is_stored_replaced_and_loses_nothing_around_it(tmp_path) -> None:
    """A Telegram question can carry a NUL or a lone surrogate ("\\ud800" in JSON): once it lost its whole batch."""
    with QueryLog(tmp_path / "q.sqlite3") as log:
        _ask(log, "before")
        _ask(log, "surrogate", "1414 \ud800 нөмірі")
        _ask(log, "nul", "1414 \x00 нөмірі\x07")
        log.set_feedback(answer_id="nul", rating=-1, reason="бұрыс\ud800\x00", channel="telegram")
        _ask(log, "after")
        log.flush()
        rows = {r.answer_id: r.question for r in log.questions()}
        [feedback] = log.feedback()
    assert set(rows) == {"before", "surrogate", "nul", "after"}
    assert rows["surrogate"] == "1414 \ufffd нөмірі" and rows["nul"] == "1414 \ufffd нөмірі\ufffd"
    assert feedback.reason == "бұрыс\ufffd\ufffd"


def test_a_row_the_database_refuses_loses_only_itself(tmp_path, caplog) -> None:
    with QueryLog(tmp_path / "q.sqlite3") as log:
        _ask(log, "before")
        log._submit("questions", {"answer_id": "poisoned"})  # NOT NULL columns missing: refused, not an outage
        _ask(log, "after")
        log.flush()
        assert {r.answer_id for r in log.questions()} == {"before", "after"}
    assert re.search(r"1 of \d rows dropped", caplog.text)
