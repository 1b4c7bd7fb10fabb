"""The Bot (pointed at Telegram or another Bot API server, with retries) and the FSM storage (memory or Redis)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import ClientDecodeError, TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import LinkPreviewOptions

from config import Settings

logger = logging.getLogger(__name__)

MAX_RETRY_AFTER = 30.0


class RetryMiddleware(BaseRequestMiddleware):
    """Retries Bot API calls after 5xx, timeouts, network errors and replies that are not JSON (a proxy's error
    page, a cut-off body) with exponential backoff; obeys retry_after.

    getUpdates is left alone: the polling loop has its own backoff and retrying it would only delay shutdown.
    """

    def __init__(self, retries: int = 3, backoff: float = 0.5) -> None:
        self.retries = retries
        self.backoff = backoff

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Response[TelegramType]:
        if isinstance(method, GetUpdates):
            return await make_request(bot, method)
        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == self.retries or exc.retry_after > MAX_RETRY_AFTER:
                    raise
                wait = float(exc.retry_after)
            except (TelegramServerError, TelegramNetworkError, ClientDecodeError) as exc:
                if attempt == self.retries:
                    raise
                wait = delay
                delay *= 2
                logger.warning(
                    "Bot API %s failed (%s), retry %d/%d in %.1fs",
                    method.__api_method__,
                    type(exc).__name__,
                    attempt + 1,
                    self.retries,
                    wait,
                )
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover


def api_server(settings: Settings) -> TelegramAPIServer:
    return TelegramAPIServer.from_base(settings.bot.telegram_api_base) if settings.bot.telegram_api_base else PRODUCTION


def create_bot(settings: Settings) -> Bot:
    """A Bot with HTML parse mode, no link previews, retries, and the configured Bot API server."""
    session = AiohttpSession(api=api_server(settings), timeout=settings.bot.request_timeout)
    session.middleware(RetryMiddleware(settings.bot.retries, settings.bot.retry_backoff))
    defaults = DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview=LinkPreviewOptions(is_disabled=True))
    return Bot(token=settings.bot.token(), session=session, default=defaults)


def create_storage(settings: Settings, **kwargs: Any) -> BaseStorage:
    """Redis when JAUAP_REDIS_URL is set (shared by every bot instance; memory while it is away), else memory."""
    if not settings.storage.redis_url:
        return MemoryStorage()
    from aiogram.fsm.storage.base import DefaultKeyBuilder
    from aiogram.fsm.storage.redis import RedisStorage

    from bot.storage import FallbackStorage

    builder = DefaultKeyBuilder(prefix="jauap", with_bot_id=True, with_destiny=True)
    timeouts = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}  # one Redis call never stalls an update
    return FallbackStorage(
        RedisStorage.from_url(settings.storage.redis_url, connection_kwargs=timeouts, key_builder=builder, **kwargs)
    )
