"""Fixtures of the bot tests: the loopback Bot API server and a query log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_telegram import FakeTelegram

from ops.querylog import QueryLog


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


@pytest.fixture
def querylog(tmp_path: Path) -> Iterator[QueryLog]:
    log = QueryLog(tmp_path / "querylog.sqlite3")
    yield log
    log.close()
