"""Last line of defence: log the failure (redacted) and apologise instead of going silent."""

from __future__ import annotations

import logging
import traceback
from contextlib import suppress

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent

from bot.texts import pick_lang, t
from ops.redact import redact

logger = logging.getLogger(__name__)


def build_router() -> Router:
    router = Router(name=__name__)

    @router.errors()
    async def on_error(event: ErrorEvent, bot: Bot) -> bool:
        update = event.update
        details = "".join(traceback.format_exception(event.exception))
        logger.error("update %s failed: %s", update.update_id, redact(details))
        user = getattr(update.event, "from_user", None)
        lang = pick_lang(user.language_code if user else None)
        with suppress(TelegramAPIError):
            if update.message is not None:
                await bot.send_message(update.message.chat.id, t("error", lang))
            elif update.callback_query is not None:
                await update.callback_query.answer(t("error", lang), show_alert=True)
        return True

    return router
