"""Real PostgreSQL and Redis for the replica tests (started here, on loopback, thrown away after)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from engines import Postgres, Redis


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    cluster = Postgres()
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def pg_url(postgres: Postgres) -> str:
    """A fresh, empty database in the session's cluster for each test."""
    import uuid

    return postgres.create_database("t" + uuid.uuid4().hex[:12])


@pytest.fixture
def redis_server() -> Iterator[Redis]:
    server = Redis()
    try:
        yield server
    finally:
        server.stop()
