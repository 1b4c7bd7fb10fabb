"""`python -m api [--host H] [--port P]`: serve the API with uvicorn (defaults from JAUAP_* settings)."""

from __future__ import annotations

from jauap.installed import require_installed

require_installed()  # before any third-party import: a clear line, not a ModuleNotFoundError traceback

import argparse
import os
import sys

import uvicorn

from config import Settings, SettingsError
from index.errors import IndexMissingError
from ops.logs import setup_logging


def main(argv: list[str] | None = None) -> int:
    try:
        settings = Settings.load()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog="python -m api", description="Serve the Jauap web API.")
    parser.add_argument("--host", default=settings.api.host, help=f"interface to bind (default {settings.api.host})")
    parser.add_argument("--port", type=int, default=settings.api.port, help=f"port (default {settings.api.port})")
    parser.add_argument("--workers", type=int, default=settings.api.workers, help="worker processes")
    args = parser.parse_args(argv)
    setup_logging(settings.api.log_level, json=settings.api.log_json)
    if not settings.retrieval.index_dir.exists():
        print(IndexMissingError(settings.retrieval.index_dir), file=sys.stderr)
        return 2
    problem = _check_engines(settings)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if not settings.retrieval.embed_threads:  # the workers share the cores instead of each taking them all
        os.environ["JAUAP_EMBED_THREADS"] = str(max(1, settings.retrieval.serving_threads // args.workers))
    uvicorn.run(
        "jauap.web:create_app", factory=True, host=args.host, port=args.port, workers=args.workers,
        **server_options(settings),
    )  # fmt: skip
    return 0


def server_options(settings: Settings) -> dict[str, object]:
    """uvicorn's options for every deployment (tests/api/test_security.py serves with the same ones)."""
    return {
        "log_config": None,  # our JSON, redacting root handler (set up above) gets uvicorn's records too
        "access_log": False,  # RequestContextMiddleware logs each request (path only, with the request id)
        # the client address (rate limits) is X-Forwarded-For only when the peer is a trusted proxy
        "proxy_headers": True,
        "forwarded_allow_ips": settings.api.trusted_proxies,
        "server_header": False,
    }


def _check_engines(settings: Settings) -> str | None:
    """The configured database and Redis are reachable (and the schema is current); else what is wrong."""
    from app.shared import SharedStateError, connect
    from ops import db

    store = settings.storage
    try:
        if store.database_url:
            engine = db.create_engine(db.database_url(store.database_url, store.querylog_path))
            try:
                db.migrate(engine)
            finally:
                engine.dispose()
        if store.redis_url:
            connect(store.redis_url).close()
    except (db.DatabaseError, SharedStateError) as exc:
        return str(exc)
    return None


if __name__ == "__main__":
    sys.exit(main())
