"""Questions in private chats: every plain text message is a question."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.types import Message

from app.service import QAServiceLike
from bot.memo import Memory
from bot.replies import reply_with_answer
from config import Settings
from ops.querylog import QueryLog


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == ChatType.PRIVATE)

    @router.message(F.text, ~F.text.startswith("/"))
    async def question(
        message: Message,
        bot: Bot,
        service: QAServiceLike,
        querylog: QueryLog,
        settings: Settings,
        memory: Memory,
        lang: str,
    ) -> None:
        await reply_with_answer(
            message,
            message.text or "",
            bot=bot,
            service=service,
            querylog=querylog,
            settings=settings,
            memory=memory,
            lang=lang,
        )

    return router
