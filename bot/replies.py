"""Asking the service and sending the formatted answer — shared by private chats, groups and callbacks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiogram import Bot
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineKeyboardMarkup, Message

from app.ask import QuestionLog, QuestionTooLongError, ask_question, check_question
from app.links import doc_titles, viewer_url
from app.service import QAServiceLike
from bot.formatting import render_answer
from bot.keyboards import answer_keyboard
from bot.memo import Memory
from bot.texts import t
from config import Settings
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


def answer_markup(aid: str, answer: Answer, lang: str, settings: Settings) -> InlineKeyboardMarkup:
    shown = settings.bot.sources_per_message
    first = answer.citations[0] if answer.citations else None
    return answer_keyboard(
        aid,
        lang,
        more_from=shown if len(answer.citations) > shown else None,
        passage=0 if first else None,
        link=viewer_url(settings.bot.viewer_base_url, first.doc, first.start, first.end)
        if settings.bot.viewer_base_url and first
        else "",
    )


async def ask(service: QAServiceLike, question: str) -> Answer:
    """The service's answer, unlogged (inline queries change with every keystroke), searched in a worker thread."""
    return await asyncio.to_thread(service.ask, question)


async def reply_with_answer(
    message: Message,
    question: str,
    *,
    bot: Bot,
    service: QAServiceLike,
    querylog: QuestionLog,
    settings: Settings,
    memory: Memory,
    lang: str,
) -> None:
    """Answer `question` asked in `message`: cited answer or polite abstention, with the answer keyboard."""
    question = question.strip()
    group = message.chat.type != ChatType.PRIVATE
    try:
        check_question(service, question)
        async with typing(bot, message.chat.id):
            # CPU-bound search: in a worker thread, so other chats are served meanwhile
            asked = await asyncio.to_thread(
                ask_question, service, question, channel=CHANNEL, querylog=querylog, lang=lang
            )
    except QuestionTooLongError as e:
        await message.reply(t("too_long", lang, length=e.length, limit=e.limit))
        return
    except BadQuestionError:
        await message.reply(t("bad_question", lang))
        return
    aid, answer = asked.answer_id, asked.answer
    await memory.remember(message.chat.id, aid, answer)
    parts = render_answer(
        answer,
        lang,
        doc_titles(service, lang),
        shown=settings.bot.sources_per_message,
        passage_chars=settings.bot.passage_chars,
    )
    await send_parts(message, parts, answer_markup(aid, answer, lang, settings), reply=group)
    logger.info("answered aid=%s abstained=%s latency=%.0f ms", aid, answer.abstained, asked.latency_ms)
