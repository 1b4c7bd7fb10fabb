"""Buttons under answers: 👍/👎 (stored with the API's feedback), reasons, more results, full passage."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from app.links import doc_titles
from app.service import QAServiceLike
from bot.formatting import answer_ranges, render_more, render_passage, section_label
from bot.keyboards import AnswerCB, ReasonCB, answer_keyboard, reason_keyboard
from bot.memo import Memory
from bot.replies import CHANNEL, send_parts
from bot.texts import REASONS, t
from config import Settings
from ops.querylog import QueryLog

CONTEXT_CHARS = 1500  # how far "full passage" reaches beyond a citation, to the enclosing paragraphs


def _without_feedback(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup:
    rows = []
    for row in markup.inline_keyboard if markup else []:
        kept = [b for b in row if not (b.callback_data or "").startswith(("a:up:", "a:down:"))]
        if kept:
            rows.append(kept)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def paragraph_bounds(text: str, start: int, end: int, reach: int = CONTEXT_CHARS) -> tuple[int, int]:
    """Widen [start, end) to the enclosing paragraphs, by at most `reach` characters each way."""
    lo = max(0, start - reach)
    left = text.rfind("\n\n", lo, start)
    right = text.find("\n\n", end, end + reach)
    return (left + 2 if left != -1 else lo), (right if right != -1 else min(len(text), end + reach))


def build_router() -> Router:
    router = Router(name=__name__)

    @router.callback_query(AnswerCB.filter(F.act.in_({"up", "down"})))
    async def rate(query: CallbackQuery, callback_data: AnswerCB, querylog: QueryLog, lang: str) -> None:
        rating = 1 if callback_data.act == "up" else -1
        querylog.set_feedback(answer_id=callback_data.aid, rating=rating, reason=None, channel=CHANNEL)
        await query.answer(t("thanks", lang))
        if isinstance(query.message, Message):
            await query.message.edit_reply_markup(reply_markup=_without_feedback(query.message.reply_markup))
            if rating < 0:
                await query.message.answer(t("ask_reason", lang), reply_markup=reason_keyboard(callback_data.aid, lang))

    @router.callback_query(ReasonCB.filter(F.reason.in_(REASONS)))
    async def reason(query: CallbackQuery, callback_data: ReasonCB, querylog: QueryLog, lang: str) -> None:
        querylog.set_feedback(answer_id=callback_data.aid, rating=-1, reason=callback_data.reason, channel=CHANNEL)
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_text(t("reason_thanks", lang))

    @router.callback_query(AnswerCB.filter(F.act.in_({"more", "full"})))
    async def show(
        query: CallbackQuery,
        callback_data: AnswerCB,
        service: QAServiceLike,
        settings: Settings,
        memory: Memory,
        lang: str,
    ) -> None:
        message = query.message
        if not isinstance(message, Message):
            await query.answer(t("expired", lang), show_alert=True)
            return
        answer = await memory.recall(message.chat.id, callback_data.aid, service)
        if answer is None:
            await query.answer(t("expired", lang), show_alert=True)
            return
        n = callback_data.n
        if not 0 <= n < len(answer.citations):
            await query.answer(t("no_more", lang))
            return
        await query.answer()
        titles = doc_titles(service, lang)
        if callback_data.act == "more":
            shown = settings.bot.sources_per_message
            parts = render_more(answer, lang, titles, n, shown, settings.bot.passage_chars)
            later = n + shown if n + shown < len(answer.citations) else None
            markup = answer_keyboard(callback_data.aid, lang, more_from=later, passage=None, feedback=False)
            await send_parts(message, parts, markup if later is not None else None)
            return
        citation = answer.citations[n]
        text = service.document(citation.doc).text
        start, end = paragraph_bounds(text, citation.start, citation.end)
        shifted = [(a + citation.start - start, b + citation.start - start) for a, b in answer_ranges(citation, answer)]
        title = titles.get(citation.doc) or citation.doc
        section = section_label(citation.section, {citation.title})
        await send_parts(message, render_passage(title, section, text[start:end], lang, shifted))

    @router.callback_query()
    async def stale(query: CallbackQuery, lang: str) -> None:
        """Buttons of an older bot version (or forged data): stop the client's spinner and say so."""
        await query.answer(t("expired", lang), show_alert=True)

    return router
