"""/targets: a programme's target indicators (indicator · year · value), chosen from an inline keyboard by programme,
shown a page at a time with links to each statement in the viewer."""

from __future__ import annotations

import html
from collections import defaultdict

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from app.links import doc_titles, viewer_url
from app.service import QAServiceLike
from bot.texts import t
from config import Settings
from index.target_store import book_for
from index.targets import TargetRow

PER_PAGE = 12  # indicators a message: well under Telegram's 4,096 characters with their links


class TargetCB(CallbackData, prefix="tg"):
    """Programme `d` (its place in the book's document list) at page `p`."""

    d: int
    p: int = 0


def statements(rows: list[TargetRow]) -> list[list[TargetRow]]:
    """Rows grouped by the statement they came from, in text order."""
    groups: dict[tuple[int, int], list[TargetRow]] = defaultdict(list)
    for r in rows:
        groups[(r.start, r.end)].append(r)
    return [groups[k] for k in sorted(groups)]


def render_page(rows: list[TargetRow], title: str, page: int, lang: str, base: str) -> tuple[str, int]:
    """(HTML text, number of pages) of one programme's indicators."""
    groups = statements(rows)
    pages = max(1, -(-len(groups) // PER_PAGE))
    page = min(max(page, 0), pages - 1)
    lines = [t("targets_head", lang, title=html.escape(title), page=page + 1, pages=pages)]
    for group in groups[page * PER_PAGE : (page + 1) * PER_PAGE]:
        r = group[0]
        values = "; ".join((f"{x.year}: " if x.year else "") + html.escape(x.figure) for x in group)
        name = html.escape(r.indicator)
        if base:
            url = viewer_url(base, r.doc, r.start, r.end)
            name = f'<a href="{html.escape(url)}">{name}</a>'
        lines.append(f"• {name} — <b>{values}</b>")
    return "\n".join(lines), pages


def programme_keyboard(titles: list[str]) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(text=title[:60], callback_data=TargetCB(d=i).pack())] for i, title in enumerate(titles)
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def pages_keyboard(d: int, page: int, pages: int, lang: str) -> InlineKeyboardMarkup:
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton(text="◀", callback_data=TargetCB(d=d, p=page - 1).pack()))
    if page + 1 < pages:
        nav.append(InlineKeyboardButton(text="▶", callback_data=TargetCB(d=d, p=page + 1).pack()))
    back = [InlineKeyboardButton(text=t("targets_back", lang), callback_data=TargetCB(d=-1).pack())]
    return InlineKeyboardMarkup(inline_keyboard=[nav, back] if nav else [back])


def _programmes(service: QAServiceLike, lang: str) -> tuple[list[str], list[str]]:
    """(document ids, titles) of the documents that state targets."""
    book = book_for(service)
    names = doc_titles(service, lang)
    docs = book.docs()
    return docs, [names.get(d, d) for d in docs]


def build_router() -> Router:
    router = Router(name=__name__)

    @router.message(Command("targets"))
    async def choose(message: Message, lang: str, service: QAServiceLike) -> None:
        docs, titles = _programmes(service, lang)
        if not docs:
            await message.answer(t("targets_none", lang))
            return
        await message.answer(t("targets_choose", lang), reply_markup=programme_keyboard(titles))

    @router.callback_query(TargetCB.filter(F.d >= -1))
    async def show(query: CallbackQuery, callback_data: TargetCB, lang: str, service: QAServiceLike,
                   settings: Settings) -> None:
        docs, titles = _programmes(service, lang)
        await query.answer()
        if not isinstance(query.message, Message):
            return
        if callback_data.d < 0 or callback_data.d >= len(docs):
            await query.message.edit_text(t("targets_choose", lang), reply_markup=programme_keyboard(titles))
            return
        doc = docs[callback_data.d]
        rows = book_for(service).filter(doc=doc)
        text, pages = render_page(rows, titles[callback_data.d], callback_data.p, lang, settings.bot.viewer_base_url)
        page = min(max(callback_data.p, 0), pages - 1)
        await query.message.edit_text(text, reply_markup=pages_keyboard(callback_data.d, page, pages, lang))

    return router
