"""Private messages that are not questions: stickers, photos, voice, files → "text questions only"."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.types import Message

from bot.texts import t


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == ChatType.PRIVATE)

    @router.message(F.text.startswith("/"))
    async def unknown_command(message: Message, lang: str) -> None:
        await message.answer(t("unknown_command", lang))

    @router.message(~F.text)
    async def not_text(message: Message, lang: str) -> None:
        await message.answer(t("text_only", lang))

    return router
