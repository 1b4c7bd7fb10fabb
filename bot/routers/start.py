"""/start: greet and offer the language (default from the user's Telegram language)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import CommandStart
from aiogram.types import Message

from bot.keyboards import language_keyboard
from bot.texts import t


def build_router() -> Router:
    router = Router(name=__name__)

    @router.message(CommandStart())
    async def start(message: Message, lang: str) -> None:
        await message.answer(t("greeting", lang), reply_markup=language_keyboard())

    return router
