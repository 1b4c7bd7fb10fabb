"""What the bot remembers between updates — language per user, recent answers per chat — in the FSM storage.

The storage is memory or Redis (see `bot.client.create_storage`), so several bot instances behind a webhook share
it. Answers are remembered as offsets only (no question, no passage text): the text is read back from the service.
"""

from __future__ import annotations

from typing import Any

from aiogram.fsm.storage.base import BaseStorage, StorageKey

from app.service import QAServiceLike
from index.errors import JauapError
from index.models import Answer, Citation, Span

MAX_ANSWERS = 20
_ANSWERS = "answers"


class Memory:
    """Per-user language and per-chat recent answers of one bot."""

    def __init__(self, storage: BaseStorage, bot_id: int) -> None:
        self.storage = storage
        self.bot_id = bot_id

    def _user(self, user_id: int) -> StorageKey:
        return StorageKey(bot_id=self.bot_id, chat_id=user_id, user_id=user_id)

    def _chat(self, chat_id: int) -> StorageKey:
        return StorageKey(bot_id=self.bot_id, chat_id=chat_id, user_id=chat_id, destiny=_ANSWERS)

    async def get_lang(self, user_id: int) -> str | None:
        return (await self.storage.get_data(self._user(user_id))).get("lang")

    async def set_lang(self, user_id: int, lang: str) -> None:
        await self.storage.update_data(self._user(user_id), {"lang": lang})

    async def remember(self, chat_id: int, aid: str, answer: Answer) -> None:
        """Keep the offsets of `answer` under `aid` for "more results" and "full passage" (last 20 per chat)."""
        data = await self.storage.get_data(self._chat(chat_id))
        answers: dict[str, Any] = dict(data.get("answers", {}))
        answers[aid] = _dump(answer)
        for old in list(answers)[:-MAX_ANSWERS]:
            del answers[old]
        await self.storage.set_data(self._chat(chat_id), {"answers": answers})

    async def recall(self, chat_id: int, aid: str, service: QAServiceLike) -> Answer | None:
        """The answer remembered under `aid`, its texts read back from `service`; None if forgotten or stale."""
        data = await self.storage.get_data(self._chat(chat_id))
        stored = data.get("answers", {}).get(aid)
        if stored is None:
            return None
        try:
            return _load(stored, service)
        except (JauapError, IndexError, KeyError, TypeError, ValueError):
            return None


def _dump(answer: Answer) -> dict[str, Any]:
    span = answer.answer
    return {
        "abstained": answer.abstained,
        "answer": [span.doc, span.start, span.end] if span else None,
        "citations": [
            [c.doc, c.start, c.end, c.section, c.score, c.title, [list(m) for m in c.matches]] for c in answer.citations
        ],
    }


def _load(stored: dict[str, Any], service: QAServiceLike) -> Answer:
    texts: dict[str, str] = {}

    def text(doc: str) -> str:
        if doc not in texts:
            texts[doc] = service.document(doc).text
        return texts[doc]

    span = None
    if stored["answer"]:
        doc, start, end = stored["answer"]
        span = Span(doc, start, end, text(doc)[start:end])
    citations = [
        Citation(doc, start, end, text(doc)[start:end], section, score, title, tuple((a, b) for a, b in matches))
        for doc, start, end, section, score, title, matches in stored["citations"]
    ]
    return Answer(question="", answer=span, citations=citations, abstained=stored["abstained"])
