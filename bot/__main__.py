"""`python -m bot`: run the Telegram bot with long polling (webhook mode is served by the API app instead)."""

from __future__ import annotations

from jauap.installed import require_installed

require_installed()  # before any third-party import: a clear line, not a ModuleNotFoundError traceback

import asyncio
import logging
import sys
from types import SimpleNamespace
from typing import Any

from app.service import QAServiceLike
from config import Settings, SettingsError
from index.errors import JauapError
from ops.logs import setup_logging
from ops.querylog import QueryLog

logger = logging.getLogger("bot")


async def run_polling(
    settings: Settings, service: QAServiceLike, querylog: QueryLog, live: Any = None, watch_seconds: float = 2.0
) -> None:
    """Poll Telegram until interrupted (SIGINT/SIGTERM), then close the session and the storage.

    With `live` (an `app.live.LiveIndex` whose `CurrentService` is `service`), a newly published index version is
    switched in as the API does.
    """
    from bot.client import create_bot, create_storage
    from bot.dispatcher import build_dispatcher

    bot = create_bot(settings)
    dp = build_dispatcher(service, querylog, settings, create_storage(settings))
    watcher = None
    if live is not None:
        watcher = asyncio.create_task(live.watch(watch_seconds))
    try:
        await bot.delete_webhook(drop_pending_updates=False)  # polling and a webhook exclude each other
        await dp.start_polling(bot, allowed_updates=dp.resolve_used_update_types())
    finally:
        if watcher is not None:
            watcher.cancel()
        await dp.storage.close()
        await bot.session.close()


def main() -> int:
    try:
        settings = Settings.load()
        settings.bot.token()
    except (RuntimeError, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if settings.bot.bot_mode == "webhook":
        print("error: JAUAP_BOT_MODE=webhook — the API app serves the bot (python -m api)", file=sys.stderr)
        return 2
    setup_logging("INFO", json=True)
    from app.live import CurrentService, LiveIndex
    from index.service import build_service  # heavy imports only once the settings are known to be usable
    from ops.db import DatabaseError
    from ops.querylog import QueryLog

    store = settings.storage
    if store.redis_url:  # fail here, clearly, rather than on the first update
        from app.shared import SharedStateError, connect

        try:
            connect(store.redis_url).close()
        except SharedStateError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    try:
        querylog = QueryLog(store.querylog_path, store.database_url, retention_days=store.querylog_retention_days)
    except DatabaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    live = LiveIndex(SimpleNamespace(service=None), settings, build_service)

    async def serve() -> None:
        await live.reload()
        await run_polling(settings, CurrentService(live), querylog, live)

    try:
        asyncio.run(serve())
    except JauapError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        querylog.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
