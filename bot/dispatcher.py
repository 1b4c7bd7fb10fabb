"""Composition root of the bot: routers, middlewares and the injected service, query log and settings."""

from __future__ import annotations

import logging

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import BotCommand

from app.service import QAServiceLike
from bot.middlewares import ContextMiddleware, LoggingMiddleware, ThrottlingMiddleware
from bot.routers import callbacks, errors, fallback, groups, help, inline, lang, questions, start, targets
from bot.texts import DEFAULT_LANG, LANGS, t
from config import Settings
from ops.querylog import QueryLog

logger = logging.getLogger(__name__)


def commands(language: str) -> list[BotCommand]:
    names = ("start", "help", "targets", "lang")
    return [BotCommand(command=name, description=t(f"cmd_{name}", language)) for name in names]


async def register_commands(bot: Bot) -> None:
    """Command menus per language (Telegram shows the one matching the user's app language)."""
    try:
        await bot.set_my_commands(commands(DEFAULT_LANG))
        for language in LANGS:
            await bot.set_my_commands(commands(language), language_code=language)
    except TelegramAPIError as exc:  # the menu is a convenience: never stop the bot for it
        logger.warning("could not register the command menu: %s", exc)


def build_dispatcher(
    service: QAServiceLike, querylog: QueryLog, settings: Settings, storage: BaseStorage | None = None
) -> Dispatcher:
    """A Dispatcher answering from `service`, logging to `querylog`, keeping state in `storage` (memory default)."""
    dp = Dispatcher(storage=storage or MemoryStorage(), service=service, querylog=querylog, settings=settings)
    dp.update.outer_middleware(LoggingMiddleware())
    throttle = ThrottlingMiddleware(settings.bot.throttle_rate, settings.bot.throttle_burst)
    # inline queries arrive while the user types: a bucket of their own, three times as generous
    inline_throttle = ThrottlingMiddleware(settings.bot.throttle_rate * 3, settings.bot.throttle_burst * 3)
    for observer, limiter in (
        (dp.message, throttle),
        (dp.callback_query, throttle),
        (dp.inline_query, inline_throttle),
    ):
        observer.middleware(ContextMiddleware())
        observer.middleware(limiter)
    dp.include_routers(
        errors.build_router(),
        start.build_router(),
        lang.build_router(),
        help.build_router(),
        targets.build_router(),
        callbacks.build_router(),
        inline.build_router(),
        groups.build_router(),
        questions.build_router(),
        fallback.build_router(),
    )
    dp.startup.register(register_commands)
    return dp
