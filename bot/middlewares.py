"""Dispatcher middlewares: per-user context (language, memory), throttling, and redacted update logging."""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, Update, User

from bot.memo import Memory
from bot.texts import pick_lang, t
from ops.logs import request_id_var
from ops.redact import redact

logger = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def user_tag(user_id: int | None) -> str:
    """A stable pseudonym for a Telegram user id, so logs can follow a conversation without naming the user."""
    if user_id is None:
        return "-"
    return hashlib.sha256(str(user_id).encode()).hexdigest()[:10]


class ContextMiddleware(BaseMiddleware):
    """Gives handlers `memory` (the bot's state) and `lang` (the user's chosen or Telegram language)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        memory = Memory(data["fsm_storage"], data["bot"].id)
        user: User | None = data.get("event_from_user")
        lang = None
        if user is not None:
            lang = await memory.get_lang(user.id)
        data["memory"] = memory
        data["lang"] = lang or pick_lang(user.language_code if user else None)
        return await handler(event, data)


class ThrottlingMiddleware(BaseMiddleware):
    """A token bucket per user (inner middleware: only updates a handler accepted count, not group chatter)."""

    def __init__(self, rate: float, burst: int, max_users: int = 10_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_users = max_users
        self._buckets: OrderedDict[int, tuple[float, float, bool]] = OrderedDict()  # tokens, stamp, warned

    def allow(self, user_id: int, now: float | None = None) -> tuple[bool, bool]:
        """(allowed, should_warn) for one update of `user_id`; warns once per throttled stretch."""
        now = time.monotonic() if now is None else now
        tokens, stamp, warned = self._buckets.pop(user_id, (float(self.burst), now, False))
        tokens = min(float(self.burst), tokens + (now - stamp) * self.rate)
        if tokens >= 1.0:
            self._buckets[user_id] = (tokens - 1.0, now, False)
            allowed, warn = True, False
        else:
            self._buckets[user_id] = (tokens, now, True)
            allowed, warn = False, not warned
        while len(self._buckets) > self.max_users:
            self._buckets.popitem(last=False)
        return allowed, warn

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        allowed, warn = self.allow(user.id)
        if allowed:
            return await handler(event, data)
        logger.info("throttled user=%s", user_tag(user.id))
        lang = data.get("lang", "kk")
        private_message = isinstance(event, Message) and event.chat.type == "private"
        if isinstance(event, CallbackQuery) or (private_message and warn):
            await event.answer(t("throttled", lang))
        return None


def describe(update: Update) -> tuple[str, str]:
    """(event type, redacted and shortened text) of an update, for logging."""
    event_type = update.event_type
    event = update.event
    text = getattr(event, "text", None) or getattr(event, "caption", None) or getattr(event, "query", None)
    text = getattr(event, "data", None) if text is None and isinstance(event, CallbackQuery) else text
    shown = redact(text)[:200] if isinstance(text, str) else ""
    return event_type, shown


class LoggingMiddleware(BaseMiddleware):
    """Logs every update (type, pseudonymous user, redacted text, duration) — never an IIN, phone or e-mail."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        event_type, text = describe(event)
        user: User | None = data.get("event_from_user")
        started = time.perf_counter()
        token = request_id_var.set(f"tg-{event.update_id}")
        try:
            return await handler(event, data)
        finally:
            request_id_var.reset(token)
            logger.info(
                "update %s type=%s user=%s text=%r took %.0f ms",
                event.update_id,
                event_type,
                user_tag(user.id if user else None),
                text,
                (time.perf_counter() - started) * 1000,
            )
