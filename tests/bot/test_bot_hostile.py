"""Hostile text through the bot: whatever a user sends or a document holds, every reply is Telegram HTML that
uses only the tags the bot writes (markup from a question or a document arrives as text), fits the message limit,
and the bot keeps answering."""

from __future__ import annotations

import asyncio
import logging
from html.parser import HTMLParser

from bot_harness import polling
from fake_telegram import message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from personal_data import leaks, sentences

from bot.formatting import MESSAGE_LIMIT, render_answer, render_passage, tg_len
from index.models import Answer, Citation, Span

# The tags bot/formatting.py writes (and Telegram accepts); anything else in a reply came from someone's text.
ALLOWED = {"b": set(), "i": set(), "u": set(), "blockquote": {"expandable"}}
MARKUP = ["<script>alert(1)</script>", "<b>", "</blockquote>", "<a href='javascript:x'>", "&lt;i&gt;", "&", "<"]
INVISIBLE = ["\u200b", "\u200d", "\ufeff", "\u202e", "\u2066", "\u2069", "\u200f"]


class TelegramHtml(HTMLParser):
    """Parses a reply the way a strict reader would: records foreign tags, attributes and unbalanced nesting."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED or {name for name, _ in attrs} - ALLOWED[tag]:
            self.problems.append(f"<{tag} {attrs}>")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"</{tag}> out of order")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_reply(reply: str) -> str:
    """The reply's visible text, after asserting it is well-formed Telegram HTML of the bot's own tags only."""
    parser = TelegramHtml()
    parser.feed(reply)
    parser.close()
    assert not parser.problems and not parser.stack, (parser.problems, parser.stack, reply[:300])
    assert tg_len(reply) <= MESSAGE_LIMIT
    return "".join(parser.text)


hostile = st.lists(
    st.one_of(st.sampled_from(MARKUP + INVISIBLE), st.text(min_size=1, max_size=30)), min_size=1, max_size=40
).map("".join)


def _answer(doc_text: str, title: str, section: str, a: int, b: int) -> Answer:
    a, b = sorted((a % (len(doc_text) + 1), b % (len(doc_text) + 1)))
    citation = Citation("doc.txt", 0, len(doc_text), doc_text, section, 1.0, title, ((a, b), (0, 3)))
    return Answer("q", Span("doc.txt", a, b, doc_text[a:b]), [citation])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(doc_text=hostile, title=hostile, section=hostile, a=st.integers(0, 10_000), b=st.integers(0, 10_000))
def test_any_document_text_renders_as_inert_well_formed_telegram_html(
    doc_text: str, title: str, section: str, a: int, b: int
) -> None:
    answer = _answer(doc_text, title, section, a, b)
    for lang in ("kk", "ru"):
        for reply in render_answer(answer, lang, {"doc.txt": title}, passage_chars=900):
            check_reply(reply)
        visible = "".join(check_reply(r) for r in render_passage(title, section, doc_text, lang))
        assert doc_text.strip("\n") in visible  # the whole passage arrives, as text


def test_a_huge_hostile_passage_is_split_into_valid_messages() -> None:
    doc_text = ("<script>alert(1)</script>\u202e" + "ж" * 50 + " ") * 400  # 30,000 characters
    replies = render_passage("<b>title</b>", "§ <i>", doc_text, "kk")
    assert len(replies) > 5
    visible = "".join(check_reply(r) for r in replies)
    assert visible.count("<script>alert(1)</script>") == 400


HOSTILE_MESSAGES = [
    "<script>alert(1)</script> 1414 нөмірі не?",
    "\u202e1414\u202c нөмірі \u2066не\u2069?",
    "\u200b\u200c\u200d\ufeff",  # invisible only
    "\u202e" * 4000,  # direction overrides only, near Telegram's message limit
    "<b><i><u>" * 300,
    "1414 \x00 нөмірі\x07",
    "\U0001f600" * 2000,  # astral characters: two UTF-16 units each
    "a\u0301" * 1500,  # combining marks
    "1414 \ud800 нөмірі не?",  # a lone surrogate (JSON can carry one: "\\ud800")
]


def test_hostile_messages_each_get_a_valid_reply_and_the_bot_keeps_answering(telegram, service, querylog) -> None:
    async def scenario() -> None:
        async with polling(telegram, service, querylog):
            for i, text in enumerate(HOSTILE_MESSAGES, start=1):
                telegram.push(message(text, user_id=700 + i))
                await telegram.until("sendMessage", i)

    asyncio.run(scenario())
    for i in range(1, len(HOSTILE_MESSAGES) + 1):
        [reply] = telegram.texts(700 + i)[:1]
        visible = check_reply(reply)
        assert "<script>" not in reply
        if i == 1:
            assert "1414" in visible
    querylog.flush()
    logged = [row.question for row in querylog.questions()]
    # every answered question is logged (NUL and the lone surrogate replaced): none lost its batch
    assert len(logged) == 4 and "1414 \ufffd нөмірі не?" in logged and "1414 \ufffd нөмірі\ufffd" in logged


@settings(max_examples=4, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(cases=st.lists(sentences(), min_size=3, max_size=3))
def test_generated_personal_data_never_reaches_the_bots_logs_or_query_log(
    telegram, service, querylog, caplog, cases: list[tuple[str, list[str]]]
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    start = len(telegram.calls_of("sendMessage"))

    async def scenario() -> None:
        async with polling(telegram, service, querylog):
            for i, (text, _) in enumerate(cases, start=1):
                telegram.push(message(text, user_id=800 + i))
                await telegram.until("sendMessage", start + i)

    asyncio.run(scenario())
    querylog.flush()
    stored = "\n".join(f"{row.question}" for row in querylog.questions())
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert "update" in logged  # the updates were logged, so the check is meaningful
    for _, secrets in cases:
        assert not leaks(logged, secrets) and not leaks(stored, secrets), secrets
