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

    import sqlalchemy as sa

    name = "t" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(
        postgres.url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return postgres.url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
def redis_server() -> Iterator[Redis]:
    server = Redis()
    try:
        yield server
    finally:
        server.stop()
