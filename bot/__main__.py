"""`python -m bot`: run the Telegram bot with long polling (webhook mode is served by the API app instead)."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

from bot.settings import BotSettings
from index.errors import JauapError
from index.settings import IndexSettings
from ops.logs import setup_logging

logger = logging.getLogger("bot")


async def run_polling(settings: BotSettings, service: Any, querylog: Any) -> None:
    """Poll Telegram until interrupted (SIGINT/SIGTERM), then close the session and the storage."""
    from bot.client import create_bot, create_storage
    from bot.dispatcher import build_dispatcher

    bot = create_bot(settings)
    dp = build_dispatcher(service, querylog, settings, create_storage(settings))
    try:
        await bot.delete_webhook(drop_pending_updates=False)  # polling and a webhook exclude each other
        await dp.start_polling(bot, allowed_updates=dp.resolve_used_update_types())
    finally:
        await dp.storage.close()
        await bot.session.close()


def main() -> int:
    settings = BotSettings()
    try:
        settings.token()
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if settings.bot_mode == "webhook":
        print("error: JAUAP_BOT_MODE=webhook — the API app serves the bot (python -m api)", file=sys.stderr)
        return 2
    setup_logging("INFO", json=True)
    from index.service import build_service  # heavy imports only once the settings are known to be usable
    from ops.querylog import QueryLog

    try:
        service = build_service(IndexSettings())
    except JauapError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    from ops.db import DatabaseError

    if settings.redis_url:  # fail here, clearly, rather than on the first update
        from api.shared import SharedStateError, connect

        try:
            connect(settings.redis_url).close()
        except SharedStateError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1

    try:
        querylog = QueryLog(
            settings.querylog_path, settings.database_url, retention_days=settings.querylog_retention_days
        )
    except DatabaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        asyncio.run(run_polling(settings, service, querylog))
    finally:
        querylog.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
