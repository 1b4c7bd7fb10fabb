"""A spool file whose lock is still shared by a forked child is not taken for delivered (the flaky outage test).

`os.dup` of the append handle stands in for the child: a process forked (by `subprocess`) while the writer's spool
file is open shares that file's `flock` until it execs, so the writer's own drain finds its own file busy.
"""

from __future__ import annotations

import logging
import os
import time

import sqlalchemy as sa

import ops.logwriter
from ops.querylog import QueryLog
from ops.spool import Spool


def _wait(check, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_drain_that_finds_its_own_file_busy_leaves_it_undelivered(tmp_path) -> None:
    spool = Spool(tmp_path)
    spool.append([("questions", {"answer_id": "a"})])
    child = os.dup(spool._file.fileno())  # type: ignore[union-attr]  # a fork shares the lock like this
    delivered: list[list] = []
    try:
        assert spool.drain(delivered.append) == 0
        assert delivered == [] and spool.undelivered() == 1 and spool.pending() == 1
    finally:
        os.close(child)
    assert spool.drain(delivered.append) == 1 and spool.undelivered() == 0 and spool.pending() == 0


def _database_down(monkeypatch) -> list[bool]:
    """The log's database refuses connections while the returned flag's [0] is True (retries every 0.05 s)."""
    monkeypatch.setattr(ops.logwriter, "_RETRY_SECONDS", 0.05)
    down = [True]
    real_deliver, real_select = ops.logwriter.LogWriter._deliver, ops.logwriter.LogWriter._select_one

    def outage(real):
        def call(self, *args):
            if down[0]:
                raise sa.exc.OperationalError("INSERT", {}, Exception("connection refused"))
            return real(self, *args)

        return call

    monkeypatch.setattr(ops.logwriter.LogWriter, "_deliver", outage(real_deliver))
    monkeypatch.setattr(ops.logwriter.LogWriter, "_select_one", outage(real_select))
    return down


def test_the_log_stays_degraded_until_a_busy_spool_file_is_delivered(tmp_path, monkeypatch) -> None:
    down = _database_down(monkeypatch)
    log = QueryLog(tmp_path / "q.sqlite3", spool_dir=tmp_path / "spool")
    children: list[int] = []
    drains = [0]
    real_append, real_drain = log.spool.append, log.spool.drain

    def append_then_fork(rows) -> None:
        real_append(rows)
        children.append(os.dup(log.spool._file.fileno()))  # type: ignore[union-attr]

    def counted_drain(deliver) -> int:
        drains[0] += 1
        return real_drain(deliver)

    monkeypatch.setattr(log.spool, "append", append_then_fork)
    monkeypatch.setattr(log.spool, "drain", counted_drain)
    try:
        for i in range(5):
            log.log_question(answer_id=f"down{i}", channel="web", question="q", lang="kk", abstained=False,
                             confidence=0.5, top_doc=None, latency_ms=1.0)  # fmt: skip
        log.flush()
        assert log.degraded and log.spooled_rows == 5 and children
        down[0] = False  # the database is back, but the spool file is still locked by the "child"
        seen = drains[0]
        _wait(lambda: drains[0] >= seen + 3 or log.degraded is None)
        assert log.degraded is not None and log.questions() == []
        for fd in children:
            os.close(fd)
        children.clear()
        _wait(lambda: log.degraded is None)
        assert len(log.questions()) == 5 and log.spool.pending() == 0
    finally:
        for fd in children:
            os.close(fd)
        log.close()


def test_a_retry_that_delivers_nothing_clears_degraded_only_if_the_database_answers(tmp_path) -> None:
    log = QueryLog(tmp_path / "q.sqlite3", spool_dir=tmp_path / "spool")
    try:
        writer = log._writer
        # the writer's own thread stops first: its start-up retry, still running on the working engine, could clear
        # `degraded` after this test set it (1 run in 3 failed so); `close` is idempotent
        writer.close()
        writer.engine = sa.create_engine(f"sqlite:///{tmp_path / 'missing' / 'x.sqlite3'}")  # cannot connect
        writer.degraded = "down"
        writer._retry()
        assert writer.degraded == "down"
    finally:
        log.close()


def test_rows_the_spool_disk_refuses_are_held_and_stored_when_the_disk_is_back(tmp_path, monkeypatch) -> None:
    """Regression (soak, disk fault): with the database down and the spool's disk refusing writes, the writer
    thread died, every later row was lost and `flush` hung."""
    down = _database_down(monkeypatch)
    blocked = tmp_path / "disk"
    blocked.write_text("a file where the spool folder should be: mkdir fails like a read-only or full disk")
    log = QueryLog(tmp_path / "q.sqlite3", spool_dir=blocked / "spool")
    try:
        for i in range(3):
            log.log_question(answer_id=f"held{i}", channel="web", question="q", lang="kk", abstained=False,
                             confidence=0.5, top_doc=None, latency_ms=1.0)  # fmt: skip
        log.set_feedback(answer_id="held0", rating=-1, reason=None, channel="web")
        log.flush()
        assert "spool disk refused" in (log.degraded or "") and len(log._writer.held) == 4
        blocked.unlink()  # the disk takes writes again: the held rows go to the spool
        _wait(lambda: log._writer.held == [] and log.spooled_rows == 4)
        down[0] = False  # and the database is back: everything is delivered
        _wait(lambda: log.degraded is None)
        assert sorted(q.answer_id for q in log.questions()) == ["held0", "held1", "held2"]
        assert [(f.answer_id, f.rating) for f in log.feedback()] == [("held0", -1)]
    finally:
        log.close()


def test_a_held_row_the_database_refuses_loses_only_itself(tmp_path, monkeypatch, caplog) -> None:
    """Held rows go back to the database as one batch; a row it refuses (not an outage) must not take the others
    with it, as on the normal write path (`test_a_row_the_database_refuses_loses_only_itself`)."""
    down = _database_down(monkeypatch)
    blocked = tmp_path / "disk"
    blocked.write_text("a file where the spool folder should be: the spool's disk refuses rows")
    log = QueryLog(tmp_path / "q.sqlite3", spool_dir=blocked / "spool")
    try:
        for answer_id in ("before", None, "after"):
            if answer_id is None:
                log._submit("questions", {"answer_id": "poisoned"})  # NOT NULL columns missing: refused
                continue
            log.log_question(answer_id=answer_id, channel="web", question="q", lang="kk", abstained=False,
                             confidence=0.5, top_doc=None, latency_ms=1.0)  # fmt: skip
        log.flush()
        assert len(log._writer.held) == 3
        down[0] = False  # the database is back, the disk still refuses: the held rows go to the database
        with caplog.at_level(logging.INFO, logger=ops.logwriter.__name__):
            _wait(lambda: log._writer.held == [])
        assert sorted(q.answer_id for q in log.questions()) == ["after", "before"]
        assert "2 of 3 rows held in memory are stored" in caplog.text  # the log does not claim the dropped one
    finally:
        log.close()
