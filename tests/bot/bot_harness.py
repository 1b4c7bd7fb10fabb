"""Helpers of the bot tests: settings pointing at the loopback server, and a bot polling it for a block."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseStorage
from fake_telegram import TOKEN, FakeTelegram

from bot.client import create_bot
from bot.dispatcher import build_dispatcher
from config import Settings


def bot_settings(telegram: FakeTelegram, **overrides: Any) -> Settings:
    """Settings pointing the bot at the loopback server, with quick retries and no throttling unless asked."""
    values: dict[str, Any] = {
        "bot_token": TOKEN,
        "telegram_api_base": telegram.base,
        "bot_mode": "polling",
        "redis_url": "",
        "retries": 3,
        "retry_backoff": 0.01,
        "throttle_rate": 100.0,
        "throttle_burst": 100,
        "request_timeout": 10.0,
        "viewer_base_url": "https://jauap.example.kz",
    }
    values.update(overrides)
    return Settings.of(**values)


@asynccontextmanager
async def polling(
    telegram: FakeTelegram,
    service: Any,
    querylog: Any,
    settings: Settings | None = None,
    storage: BaseStorage | None = None,
) -> AsyncIterator[tuple[Bot, Dispatcher]]:
    """Run the real dispatcher with long polling against `telegram` for the duration of the block.

    Updates are handled one after another (not as concurrent tasks) so that "ignored" can be asserted: once a
    later update was answered, every earlier one has been fully handled.
    """
    settings = settings or bot_settings(telegram)
    bot = create_bot(settings)
    dp = build_dispatcher(service, querylog, settings, storage)
    already = len(telegram.calls_of("setMyCommands"))
    task = asyncio.create_task(dp.start_polling(bot, polling_timeout=1, handle_signals=False, handle_as_tasks=False))
    try:
        await telegram.until("setMyCommands", already + 3)  # startup done: polling begins right after
        yield bot, dp
        await asyncio.to_thread(telegram.wait_confirmed)
    finally:
        if not task.done():
            await dp.stop_polling()
        await task
        await dp.storage.close()


def webhook_values(telegram: FakeTelegram, secret: str, path: str, url: str = "") -> dict[str, Any]:
    """Settings of an API process serving the bot in webhook mode against the loopback server (flat names)."""
    return {
        "bot_mode": "webhook",
        "bot_token": TOKEN,
        "webhook_secret": secret,
        "webhook_path": path,
        "webhook_url": url,
        "telegram_api_base": telegram.base,
        "retry_backoff": 0.01,
        "redis_url": "",
    }
