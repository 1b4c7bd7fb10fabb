"""Inline mode: `@bot question` in any chat offers the cited answer and top passages to paste."""

from __future__ import annotations

import uuid

from aiogram import Router
from aiogram.types import (
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
)

from app.links import doc_titles
from app.service import QAServiceLike
from bot.formatting import abstain_text, render_answer, source_blocks, split_blocks
from bot.replies import ask
from bot.texts import t
from index.errors import BadQuestionError
from index.models import Answer

MAX_RESULTS = 5
INLINE_PASSAGE_CHARS = 600


def _article(rid: str, title: str, description: str, html: str) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        id=rid,
        title=title[:100] or "Jauap",
        description=description[:150],
        input_message_content=InputTextMessageContent(message_text=html, parse_mode="HTML"),
    )


def build_results(answer: Answer, lang: str, titles: dict[str, str]) -> list[InlineQueryResultArticle]:
    """The answer (or abstention) first, then one article per cited passage."""
    rid = uuid.uuid4().hex[:12]
    head = render_answer(answer, lang, titles, shown=1, passage_chars=INLINE_PASSAGE_CHARS)[0]
    if answer.abstained or answer.answer is None:
        results = [_article(f"{rid}-0", t(abstain_text(answer), lang), t("next_step", lang), head)]
    else:
        first = answer.citations[0].doc if answer.citations else ""
        results = [_article(f"{rid}-0", answer.answer.text.strip(), titles.get(first, first), head)]
    for i, citation in enumerate(answer.citations[: MAX_RESULTS - 1], start=1):
        blocks = source_blocks([citation], answer, titles, first_number=i, passage_chars=INLINE_PASSAGE_CHARS)
        title = titles.get(citation.doc) or citation.doc
        summary = " ".join(citation.text.split())
        results.append(_article(f"{rid}-{i}", f"{i}. {title}", summary, split_blocks(blocks)[0]))
    return results


def build_router() -> Router:
    router = Router(name=__name__)

    @router.inline_query()
    async def inline(query: InlineQuery, service: QAServiceLike, lang: str) -> None:
        question = " ".join(query.query.split())[: service.settings.retrieval.max_question_chars]
        hint = InlineQueryResultsButton(text=t("inline_hint_title", lang), start_parameter="help")
        if not question:
            await query.answer([], cache_time=5, is_personal=True, button=hint)
            return
        try:
            answer = await ask(service, question)
        except BadQuestionError:
            await query.answer([], cache_time=5, is_personal=True, button=hint)
            return
        results = build_results(answer, lang, doc_titles(service, lang))
        await query.answer(results, cache_time=60, is_personal=True)

    return router
