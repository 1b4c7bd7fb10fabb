"""Groups: answer only when the bot is mentioned or replied to; other chatter is ignored."""

from __future__ import annotations

import re
from typing import Any

from aiogram import Bot, F, Router
from aiogram.enums import ChatType, MessageEntityType
from aiogram.filters import Filter
from aiogram.types import Message

from app.service import QAServiceLike
from bot.memo import Memory
from bot.replies import reply_with_answer
from bot.texts import t
from config import Settings
from ops.querylog import QueryLog


class AddressedToBot(Filter):
    """Passes a group message that mentions the bot or replies to it, giving the handler the `question`."""

    async def __call__(self, message: Message, bot: Bot) -> bool | dict[str, Any]:
        text = message.text or ""
        if not text or text.startswith("/"):
            return False
        me = await bot.me()
        replied = message.reply_to_message
        addressed = bool(replied and replied.from_user and replied.from_user.id == me.id)
        for entity in message.entities or ():
            if entity.type == MessageEntityType.MENTION and me.username:
                addressed |= entity.extract_from(text).lower() == f"@{me.username}".lower()
            elif entity.type == MessageEntityType.TEXT_MENTION and entity.user:
                addressed |= entity.user.id == me.id
        if not addressed:
            return False
        if me.username:
            text = re.sub(rf"@{re.escape(me.username)}\b", " ", text, flags=re.IGNORECASE)
        return {"question": " ".join(text.split())}


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type.in_({ChatType.GROUP, ChatType.SUPERGROUP}))

    @router.message(AddressedToBot())
    async def question(
        message: Message,
        question: str,
        bot: Bot,
        service: QAServiceLike,
        querylog: QueryLog,
        settings: Settings,
        memory: Memory,
        lang: str,
    ) -> None:
        if not question:
            await message.reply(t("bad_question", lang))
            return
        await reply_with_answer(
            message,
            question,
            bot=bot,
            service=service,
            querylog=querylog,
            settings=settings,
            memory=memory,
            lang=lang,
        )

    return router
