"""One data-access layer for what must last: SQLAlchemy Core tables, an engine from a URL, Alembic migrations.

SQLite (one file, no server) is the default; `JAUAP_DATABASE_URL=postgresql://…` puts the same tables, through
the same code and the same migrations, on PostgreSQL so that every replica reads and writes one log.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect, Engine, make_url

from index.errors import JauapError

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK = 7_416_031  # pg_advisory_lock key: replicas starting together migrate one at a time


class DatabaseError(JauapError):
    """The configured database cannot be used (wrong URL, unreachable server, failed migration)."""


class UtcTimestamp(sa.types.TypeDecorator[datetime]):
    """A UTC moment: `timestamptz` on PostgreSQL, ISO-8601 text on SQLite (what the log always stored there)."""

    impl = sa.String(40)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(sa.DateTime(timezone=True))
        return dialect.type_descriptor(sa.String(40))

    def process_bind_param(self, value: datetime | str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.isoformat()

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


metadata = sa.MetaData()

questions = sa.Table(
    "questions",
    metadata,
    sa.Column("answer_id", sa.String(64), primary_key=True),
    sa.Column("created_at", UtcTimestamp(), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("question", sa.Text, nullable=False),  # redacted before it is queued
    sa.Column("lang", sa.String(8)),
    sa.Column("abstained", sa.Integer, nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("top_doc", sa.Text),
    sa.Column("latency_ms", sa.Float, nullable=False),
    sa.Column("curated", sa.Integer, nullable=False, server_default="0"),
    sa.Column("index_version", sa.String(200)),
    sa.Index("questions_created_at", "created_at"),
)

feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("answer_id", sa.String(64), primary_key=True),
    sa.Column("rating", sa.Integer, sa.CheckConstraint("rating IN (-1, 1)"), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("created_at", UtcTimestamp(), nullable=False),
    sa.Column("updated_at", UtcTimestamp(), nullable=False),
)

curated_audit = sa.Table(
    "curated_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", UtcTimestamp(), nullable=False),
    sa.Column("event", sa.String(32), nullable=False),  # pins_loaded
    sa.Column("index_version", sa.String(200)),
    sa.Column("pins", sa.Integer, nullable=False),
    sa.Column("detail", sa.Text),  # the pin file's sha256, the replica that loaded it
    sa.Index("curated_audit_created_at", "created_at"),
)


def database_url(url: str, sqlite_path: Path) -> str:
    """The SQLAlchemy URL to use: `url` when set (postgresql://… gets the psycopg 3 driver), else the SQLite file."""
    if not url.strip():
        return f"sqlite:///{Path(sqlite_path).absolute()}"
    try:
        parsed = make_url(url.strip())
    except sa.exc.ArgumentError as exc:
        raise DatabaseError(f"JAUAP_DATABASE_URL is not a database URL: {exc}") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("postgresql", "sqlite"):
        raise DatabaseError(
            f"JAUAP_DATABASE_URL names {parsed.get_backend_name()!r}; use postgresql://user:pass@host/db "
            "(or leave it empty for the SQLite file)"
        )
    return parsed.render_as_string(hide_password=False)


def safe_url(url: str) -> str:
    """The URL with its password masked, for logs and error messages."""
    return make_url(url).render_as_string(hide_password=True)


def create_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL and a busy timeout so readers run beside the writer thread."""
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 10})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(conn: Any, _record: Any) -> None:
            conn.execute("PRAGMA busy_timeout=10000")

        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4, connect_args={"connect_timeout": 5})


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (Alembic), or fail with the reason and the URL (password hidden)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            else:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise DatabaseError(
            f"Cannot reach the database {safe_url(engine.url.render_as_string(hide_password=False))}: {reason}. "
            "Check JAUAP_DATABASE_URL (empty = the local SQLite file)."
        ) from None
    except sa.exc.SQLAlchemyError as exc:
        raise DatabaseError(f"Cannot prepare the database schema: {exc}") from None
