"""Webhook mode: a web app receives Telegram updates at `JAUAP_WEBHOOK_PATH` and feeds them to the dispatcher.

The composition root (`jauap.web`) mounts it on the API app and tells it how to reach the serving service and query
log (`current`) and the replicas' update de-duplication (`first_delivery`); this module knows nothing of the API.
The Bot and Dispatcher are created on the first update (or at startup when `JAUAP_WEBHOOK_URL` asks to register
the webhook); the bot session is closed when the app shuts down. Updates are accepted only with Telegram's secret
token header.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from app.service import QAServiceLike
from bot.client import create_bot, create_storage
from bot.dispatcher import build_dispatcher
from config import Settings
from ops.querylog import QueryLog
from ops.redact import redact

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_MAX_BODY_BYTES = 256 * 1024  # Telegram updates may exceed the API's own body limit

Serving = Callable[[], tuple[QAServiceLike, QueryLog]]
FirstDelivery = Callable[[int, int], bool]  # (bot id, update id) → not seen by any replica before


class WebhookBot:
    """The bot behind the webhook route: created once, lazily, and closed with the app."""

    def __init__(self, settings: Settings, current: Serving, first_delivery: FirstDelivery | None = None) -> None:
        self.settings = settings
        self.current = current
        self.first_delivery = first_delivery
        self.bot: Bot | None = None
        self.dispatcher: Dispatcher | None = None
        self._lock: asyncio.Lock | None = None

    def secret_ok(self, given: str | None) -> bool:
        expected = self.settings.bot.webhook_secret.get_secret_value() if self.settings.bot.webhook_secret else ""
        return bool(expected) and given is not None and hmac.compare_digest(given.encode(), expected.encode())

    async def ensure(self) -> tuple[Bot, Dispatcher]:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self.bot is None or self.dispatcher is None:
                bot = create_bot(self.settings)
                dp = build_dispatcher(*self.current(), self.settings, create_storage(self.settings))
                await dp.emit_startup(bot=bot, **dp.workflow_data)
                self.bot, self.dispatcher = bot, dp
        return self.bot, self.dispatcher

    async def register(self) -> None:
        """setWebhook with our URL and secret, for the update types the routers handle."""
        bot, dp = await self.ensure()
        secret = self.settings.bot.webhook_secret.get_secret_value() if self.settings.bot.webhook_secret else None
        await bot.set_webhook(
            self.settings.bot.webhook_url, secret_token=secret, allowed_updates=dp.resolve_used_update_types()
        )
        logger.info("webhook registered at %s", self.settings.bot.webhook_url)

    async def close(self) -> None:
        if self.dispatcher is not None and self.bot is not None:
            await self.dispatcher.emit_shutdown(bot=self.bot, **self.dispatcher.workflow_data)
            await self.dispatcher.storage.close()
        if self.bot is not None:
            await self.bot.session.close()
        self.bot = self.dispatcher = None

    async def handle(self, request: Request) -> Response:
        if not self.secret_ok(request.headers.get(SECRET_HEADER)):
            return JSONResponse({"detail": "Wrong or missing secret token."}, status_code=401)
        try:
            payload = await request.json()
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested deeper than the parser recurses
            return JSONResponse({"detail": "The body is not JSON."}, status_code=400)
        bot, dp = await self.ensure()
        try:
            update = Update.model_validate(payload, context={"bot": bot})
        except ValidationError:
            return JSONResponse({"detail": "The body is not a Telegram update."}, status_code=400)
        first = self.first_delivery
        if first is not None and not await asyncio.to_thread(first, bot.id, update.update_id):
            logger.info("update %s was already delivered (to this or another replica); acknowledged", update.update_id)
            return JSONResponse({"ok": True})
        try:
            # the current service and log: /admin/reload may have swapped them since the dispatcher was built
            service, querylog = self.current()
            result = await dp.feed_webhook_update(bot, update, service=service, querylog=querylog)
            if isinstance(result, TelegramMethod):
                await bot(result)
        except Exception as exc:  # answered 200 anyway: a 5xx would make Telegram redeliver the same update
            logger.error("webhook update %s failed: %s", update.update_id, redact(repr(exc)))
        return JSONResponse({"ok": True})


def wants_webhook(settings: Settings) -> bool:
    """JAUAP_BOT_MODE=webhook with a token set."""
    return settings.bot.bot_mode == "webhook" and bool(settings.bot.bot_token)


def mount_webhook(app: FastAPI, hook: WebhookBot) -> None:
    """Serve `hook` on `app` at its path; registered with Telegram at startup (when asked), closed at shutdown."""
    settings = hook.settings

    async def telegram_webhook(request: Request) -> Response:
        return await hook.handle(request)

    app.add_api_route(settings.bot.webhook_path, telegram_webhook, methods=["POST"], include_in_schema=False)

    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_: Any) -> AsyncIterator[Any]:
        async with inner(app_) as state:
            if settings.bot.webhook_url:
                try:
                    await hook.register()
                except TelegramAPIError as exc:
                    logger.error("could not register the webhook: %s", exc)
            try:
                yield state
            finally:
                await hook.close()

    app.router.lifespan_context = lifespan
