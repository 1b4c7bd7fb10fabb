"""Answer → Telegram HTML, keyboards, texts and throttling, on hand-made answers (no network)."""

from __future__ import annotations

import html
from html.parser import HTMLParser

import pytest

from app.links import viewer_url
from bot.formatting import (
    MESSAGE_LIMIT,
    highlight,
    quote_blocks,
    render_answer,
    render_passage,
    split_blocks,
    tg_len,
)
from bot.keyboards import AnswerCB, ReasonCB, answer_keyboard
from bot.middlewares import ThrottlingMiddleware
from bot.texts import LANGS, TEXTS, pick_lang, t
from index.models import Answer, Citation, Span

ALLOWED_TAGS = {"b", "i", "u", "s", "a", "code", "pre", "blockquote", "tg-spoiler"}


class _TagChecker(HTMLParser):
    """Fails on unknown tags and unbalanced nesting — what Telegram's HTML parser rejects."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        assert tag in ALLOWED_TAGS, tag
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag, tag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def plain(markup: str) -> str:
    """The text Telegram would show for `markup`, asserting that the markup is valid."""
    checker = _TagChecker()
    checker.feed(markup)
    checker.close()
    assert checker.stack == []
    return "".join(checker.text)


def citation(doc: str, start: int, text: str, section: str = "1. Жалпы ережелер", matches=()) -> Citation:
    return Citation(doc, start, start + len(text), text, section, 0.5, "Құжат", tuple(matches))


def test_highlight_escapes_markup_and_nests_bold_and_underline() -> None:
    text = "<b>ЖСН</b> & «портал» 25 000 😀"
    out = highlight(text, bold=[(11, 29)], under=[(0, 3), (12, 25)])
    assert "<b>ЖСН</b>" not in out and "&lt;b&gt;" in out and "&amp;" in out
    assert plain(out) == text
    assert out.count("<b>") == 1


@pytest.mark.parametrize("lang", LANGS)
def test_long_answer_is_split_under_the_limit_at_block_boundaries(lang: str) -> None:
    body = ("Порталда 739 мемлекеттік қызмет & <тест> көрсетіледі. 🇰🇿 " * 60).strip()
    cites = [citation(f"doc-{i}.txt", 0, body, matches=[(0, 8), (9, 12)]) for i in range(10)]
    answer = Answer("?", Span("doc-0.txt", 0, 55, body[:55]), cites, False, 0.9)
    messages = render_answer(answer, lang, {"doc-0.txt": "Құжат <1>"}, shown=10, passage_chars=3000)
    assert len(messages) > 1
    for message in messages:
        assert tg_len(message) <= MESSAGE_LIMIT
        plain(message)
    joined = "\n\n".join(messages)
    assert all(f"<b>{i}. " in joined for i in range(1, 11))
    assert "Құжат &lt;1&gt;" in joined


def test_a_huge_passage_is_quoted_over_several_messages_without_losing_text() -> None:
    text = "\n\n".join(f"{i}-абзац: «Электрондық үкімет» & порталы. " * 30 for i in range(12))
    messages = render_passage("Құжат", "1 › 2", text, "kk", bold=[(100, 180)])
    assert len(messages) >= 3
    for message in messages:
        assert tg_len(message) <= MESSAGE_LIMIT
        plain(message)
    assert html.unescape("".join(plain(m) for m in messages)).count("абзац") == 12 * 30


def test_quote_blocks_split_text_with_no_spaces() -> None:
    blocks = quote_blocks("ә" * 9000, budget=1000)
    assert len(blocks) > 9 and all(tg_len(b) <= 1000 for b in blocks)
    assert "".join(plain(b) for b in blocks) == "ә" * 9000


def test_abstention_is_polite_and_points_to_1414() -> None:
    cites = [citation("a.txt", 0, "ХҚКО қызметтері"), citation("b.txt", 10, "Портал")]
    [text] = render_answer(Answer("?", None, cites, True, 0.1), "ru", {"a.txt": "Документ А"})
    assert t("abstain", "ru") in text and t("maybe_related", "ru") in text and "1414" in text
    assert "Документ А" in text and "<b>2. " in text
    plain(text)


@pytest.mark.parametrize(
    ("reason", "text"),
    [("concept_missing", "abstain_near"), ("no_amount", "abstain_near"), ("unknown_figure", "abstain")],
)
def test_an_abstention_on_the_topic_says_the_documents_do_not_give_what_was_asked(reason: str, text: str) -> None:
    cites = [citation("a.txt", 0, "ХҚКО қызметтері")]
    answer = Answer("?", None, cites, True, 0.7, abstain_reason=reason)
    [message] = render_answer(answer, "kk", {"a.txt": "Құжат"})
    assert t(text, "kk") in message and t("maybe_related", "kk") in message and "1414" in message


def test_split_blocks_keeps_blocks_whole() -> None:
    blocks = [f"<b>{i}</b> " + "x" * 1500 for i in range(6)]
    messages = split_blocks(blocks)
    assert len(messages) == 3
    assert [m.count("<b>") for m in messages] == [2, 2, 2]


def test_callback_data_fits_64_bytes_and_round_trips() -> None:
    aid = "f" * 32  # app.ask.new_answer_id()
    markup = answer_keyboard(aid, "kk", more_from=10, passage=9, link="https://x.kz/view/a.txt?start=1&end=2")
    datas = [b.callback_data for row in markup.inline_keyboard for b in row if b.callback_data]
    assert {d.split(":")[1] for d in datas} == {"up", "down", "more", "full"}
    assert all(len(d.encode()) <= 64 for d in datas)
    assert AnswerCB.unpack(AnswerCB(act="more", aid=aid, n=10).pack()) == AnswerCB(act="more", aid=aid, n=10)
    assert len(ReasonCB(aid=aid, reason="incomplete").pack().encode()) <= 64


def test_viewer_url_quotes_the_document_name() -> None:
    url = viewer_url("https://jauap.kz/", "құжат 1.txt", 5, 10)
    assert url == "https://jauap.kz/view/%D2%9B%D2%B1%D0%B6%D0%B0%D1%82%201.txt?start=5&end=10"
    assert viewer_url("https://jauap.kz", "a/b?.txt", 0, 1) == "https://jauap.kz/view/a%2Fb%3F.txt?start=0&end=1"


def test_every_text_exists_in_both_languages() -> None:
    for key, entry in TEXTS.items():
        assert set(entry) == set(LANGS), key
        assert all(value.strip() for value in entry.values()), key
    assert (
        pick_lang("ru-RU") == "ru" and pick_lang("kk") == "kk" and pick_lang(None) == "kk" and pick_lang("en") == "kk"
    )


def test_throttling_allows_a_burst_then_refills_at_the_rate() -> None:
    throttle = ThrottlingMiddleware(rate=1.0, burst=2)
    assert throttle.allow(1, now=0.0) == (True, False)
    assert throttle.allow(1, now=0.0) == (True, False)
    assert throttle.allow(1, now=0.1) == (False, True)  # warned once…
    assert throttle.allow(1, now=0.2) == (False, False)  # …not again
    assert throttle.allow(2, now=0.2) == (True, False)  # other users unaffected
    assert throttle.allow(1, now=1.3) == (True, False)  # one token back after a second


def test_an_answer_from_a_target_row_starts_with_indicator_year_value() -> None:
    from dataclasses import dataclass

    from index.models import Answer, Document, DocumentInfo, Span
    from index.target_match import TargetIndex, TargetMatch, answer_from_targets
    from index.targets import extract_targets

    @dataclass(frozen=True)
    class TargetAnswer(Answer):
        target: TargetMatch | None = None

    text = "Нысаналы индикаторлар: 1) АКТ-парктердің саны 2017 жылы - 2, 2020 жылы - кемінде 4 құрауы тиіс.\n\n"
    doc = Document(DocumentInfo(id="p.txt", title_kk="P", title_ru="P"), text)
    match = answer_from_targets("АКТ-парктердің саны қанша болуы тиіс?", TargetIndex(extract_targets(doc)))
    assert match is not None
    span = Span("p.txt", match.start, match.end, text[match.start : match.end])
    [reply] = render_answer(TargetAnswer("q", span, [], target=match), "kk", {})
    first, second = reply.split("\n")[:2]
    assert first == "🎯 АКТ-парктердің саны · 2017 · <b>2</b>"
    assert second == "🎯 АКТ-парктердің саны · 2020 · <b>≥ 4</b>"
