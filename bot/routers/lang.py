"""/lang and the language buttons: the choice is kept per user (memory or Redis)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.keyboards import LangCB, language_keyboard
from bot.memo import Memory
from bot.texts import LANGS, t


def build_router() -> Router:
    router = Router(name=__name__)

    @router.message(Command("lang"))
    async def choose(message: Message, lang: str) -> None:
        await message.answer(t("choose_lang", lang), reply_markup=language_keyboard())

    @router.callback_query(LangCB.filter(F.lang.in_(LANGS)))
    async def chosen(query: CallbackQuery, callback_data: LangCB, memory: Memory) -> None:
        await memory.set_lang(query.from_user.id, callback_data.lang)
        await query.answer()
        if query.message is not None:
            await query.message.answer(t("lang_set", callback_data.lang))

    return router
