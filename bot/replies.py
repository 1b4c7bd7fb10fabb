"""Asking the service and sending the formatted answer — shared by private chats, groups and callbacks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from aiogram import Bot
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineKeyboardMarkup, Message

from bot.formatting import render_answer
from bot.keyboards import answer_keyboard, viewer_url
from bot.memo import Memory
from bot.settings import BotSettings
from bot.texts import t
from index.errors import BadQuestionError
from index.models import Answer

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
TYPING_EVERY = 4.5  # Telegram shows "typing…" for 5 s
_background: set[asyncio.Task[None]] = set()


@contextlib.asynccontextmanager
async def typing(bot: Bot, chat_id: int) -> AsyncIterator[None]:
    """Show "typing…" while the block runs: sent at once, renewed while it lasts, never failing the block."""
    stop = asyncio.Event()

    async def keep_typing() -> None:
        while not stop.is_set():
            with contextlib.suppress(TelegramAPIError):
                await bot.send_chat_action(chat_id=chat_id, action="typing")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), TYPING_EVERY)

    task = asyncio.create_task(keep_typing())
    _background.add(task)  # the loop keeps only weak references to tasks
    task.add_done_callback(_background.discard)
    try:
        yield
    finally:
        stop.set()  # the task ends by itself once a request in flight returns; the answer does not wait for it


def doc_titles(service: Any, lang: str) -> dict[str, str]:
    """Document id → title in `lang`, from the service's catalogue."""
    return {info.id: info.title(lang) for info in service.documents()}


async def send_parts(
    message: Message, parts: list[str], markup: InlineKeyboardMarkup | None = None, reply: bool = False
) -> None:
    """Send `parts` in order, the first as a reply when asked, the keyboard under the last one."""
    for i, part in enumerate(parts):
        kb = markup if i == len(parts) - 1 else None
        if reply and i == 0:
            await message.reply(part, reply_markup=kb)
        else:
            await message.answer(part, reply_markup=kb)


def answer_markup(aid: str, answer: Answer, lang: str, settings: BotSettings) -> InlineKeyboardMarkup:
    shown = settings.sources_per_message
    first = answer.citations[0] if answer.citations else None
    return answer_keyboard(
        aid,
        lang,
        more_from=shown if len(answer.citations) > shown else None,
        passage=0 if first else None,
        link=viewer_url(settings.viewer_base_url, first) if settings.viewer_base_url and first else "",
    )


async def ask(service: Any, question: str) -> tuple[Answer, float]:
    """The service's answer (searched in a worker thread: it is CPU-bound) and how long it took in ms."""
    started = time.perf_counter()
    answer = await asyncio.to_thread(service.ask, question)
    return answer, (time.perf_counter() - started) * 1000


async def reply_with_answer(
    message: Message,
    question: str,
    *,
    bot: Bot,
    service: Any,
    querylog: Any,
    settings: BotSettings,
    memory: Memory,
    lang: str,
) -> None:
    """Answer `question` asked in `message`: cited answer or polite abstention, with the answer keyboard."""
    question = question.strip()
    group = message.chat.type != ChatType.PRIVATE
    limit = service.settings.max_question_chars
    if len(question) > limit:
        await message.reply(t("too_long", lang, length=len(question), limit=limit))
        return
    try:
        async with typing(bot, message.chat.id):
            answer, latency_ms = await ask(service, question)
    except BadQuestionError:
        await message.reply(t("bad_question", lang))
        return
    aid = uuid.uuid4().hex[:16]
    querylog.log_question(
        answer_id=aid,
        channel=CHANNEL,
        question=question,
        lang=lang,
        abstained=answer.abstained,
        confidence=answer.confidence,
        top_doc=answer.citations[0].doc if answer.citations else None,
        latency_ms=latency_ms,
    )
    await memory.remember(message.chat.id, aid, answer)
    parts = render_answer(
        answer,
        lang,
        doc_titles(service, lang),
        shown=settings.sources_per_message,
        passage_chars=settings.passage_chars,
    )
    await send_parts(message, parts, answer_markup(aid, answer, lang, settings), reply=group)
    logger.info("answered aid=%s abstained=%s latency=%.0f ms", aid, answer.abstained, latency_ms)
