"""/help: what the bot knows (the catalogue) and example questions."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from app.service import QAServiceLike
from bot.formatting import esc, split_blocks
from bot.texts import t


def build_router() -> Router:
    router = Router(name=__name__)

    @router.message(Command("help"))
    async def help_(message: Message, lang: str, service: QAServiceLike) -> None:
        docs = "\n".join(
            f"• {esc(info.title(lang))}" + (f" ({info.year})" if info.year else "") for info in service.documents()
        )
        text = t("help", lang, docs=docs, examples=esc(t("examples", lang)))
        for part in split_blocks(text.split("\n\n")):
            await message.answer(part)

    return router
