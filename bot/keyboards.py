"""Inline keyboards and their callback data (aiogram CallbackData factories keep each under Telegram's 64 bytes)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.texts import LANG_NAMES, LANGS, REASONS, t


class LangCB(CallbackData, prefix="l"):
    lang: str


class AnswerCB(CallbackData, prefix="a"):
    """An action on a stored answer: `up`/`down` feedback, `more` sources from index `n`, `full` passage `n`."""

    act: str
    aid: str
    n: int = 0


class ReasonCB(CallbackData, prefix="r"):
    aid: str
    reason: str


def language_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for lang in LANGS:
        builder.button(text=LANG_NAMES[lang], callback_data=LangCB(lang=lang))
    return builder.as_markup()


def answer_keyboard(
    aid: str,
    lang: str,
    *,
    more_from: int | None,
    passage: int | None,
    link: str = "",
    feedback: bool = True,
) -> InlineKeyboardMarkup:
    """👍/👎, "more results" (from source index `more_from`), "full passage" (source `passage`), viewer link."""
    rows: list[list[InlineKeyboardButton]] = []
    if feedback:
        rows.append(
            [
                InlineKeyboardButton(text="👍", callback_data=AnswerCB(act="up", aid=aid).pack()),
                InlineKeyboardButton(text="👎", callback_data=AnswerCB(act="down", aid=aid).pack()),
            ]
        )
    actions: list[InlineKeyboardButton] = []
    if more_from is not None:
        data = AnswerCB(act="more", aid=aid, n=more_from).pack()
        actions.append(InlineKeyboardButton(text=t("btn_more", lang), callback_data=data))
    if passage is not None:
        data = AnswerCB(act="full", aid=aid, n=passage).pack()
        actions.append(InlineKeyboardButton(text=t("btn_full", lang), callback_data=data))
    if actions:
        rows.append(actions)
    if link:
        rows.append([InlineKeyboardButton(text=t("btn_viewer", lang), url=link)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def reason_keyboard(aid: str, lang: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for reason in REASONS:
        builder.button(text=t(f"reason_{reason}", lang), callback_data=ReasonCB(aid=aid, reason=reason))
    builder.adjust(2)
    return builder.as_markup()
