"""Answer → Telegram HTML: the answering sentence, numbered sources and their passages, split under 4,096 chars.

Telegram counts the limit in UTF-16 code units of the parsed text; measuring the HTML source in UTF-16 units
is always at least that, so every message built here is accepted whatever its markup.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence

from bot.texts import t
from index.models import Answer, Citation

MESSAGE_LIMIT = 4096
_QUOTE_OPEN, _QUOTE_CLOSE = "<blockquote expandable>", "</blockquote>"
_BOUNDARIES = ("\n\n", "\n", ". ", "; ", ", ", " ")

Ranges = Sequence[tuple[int, int]]


def tg_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def _merge(ranges: Ranges, n: int) -> list[tuple[int, int]]:
    """Ranges clipped to [0, n), sorted, overlapping or touching ones merged."""
    merged: list[tuple[int, int]] = []
    for a, b in sorted((max(0, a), min(n, b)) for a, b in ranges):
        if a >= b:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _marked(text: str, ranges: Ranges, tag: str, inner: Callable[[int, int], str]) -> str:
    """`text` rendered by `inner(a, b)` piece by piece, the pieces inside `ranges` wrapped in <tag>."""
    out: list[str] = []
    pos = 0
    for a, b in _merge(ranges, len(text)):
        out.append(inner(pos, a))
        out.append(f"<{tag}>{inner(a, b)}</{tag}>")
        pos = b
    out.append(inner(pos, len(text)))
    return "".join(out)


def highlight(text: str, bold: Ranges = (), under: Ranges = ()) -> str:
    """Escape `text`, wrapping `bold` ranges in <b> and, inside those, `under` ranges in <u>; well-formed HTML."""

    def underlined(a: int, b: int) -> str:
        piece = text[a:b]
        return _marked(piece, _shift(under, a, len(piece)), "u", lambda x, y: esc(piece[x:y]))

    return _marked(text, bold, "b", underlined)


def _shift(ranges: Ranges, offset: int, length: int) -> list[tuple[int, int]]:
    """Ranges moved by -offset and clipped to [0, length)."""
    moved = [(max(0, a - offset), min(length, b - offset)) for a, b in ranges]
    return [(a, b) for a, b in moved if a < b]


def _cut_point(text: str, near: int) -> int:
    """A natural place to cut `text` close to `near` (paragraph, line, sentence, clause, word)."""
    for sep in _BOUNDARIES:
        left = text.rfind(sep, 0, near)
        if left > near // 2:
            return left + len(sep)
    return near


def quote_blocks(text: str, bold: Ranges = (), under: Ranges = (), budget: int = MESSAGE_LIMIT) -> list[str]:
    """`text` as expandable quotes, split at natural boundaries so that each fits in `budget`."""
    rendered = _QUOTE_OPEN + highlight(text.strip("\n"), bold, under) + _QUOTE_CLOSE
    if tg_len(rendered) <= budget or len(text) < 2:
        return [rendered]
    cut = _cut_point(text, len(text) // 2)
    head, tail = text[:cut], text[cut:]
    return quote_blocks(head, _shift(bold, 0, len(head)), _shift(under, 0, len(head)), budget) + quote_blocks(
        tail, _shift(bold, cut, len(tail)), _shift(under, cut, len(tail)), budget
    )


def answer_ranges(citation: Citation, answer: Answer) -> list[tuple[int, int]]:
    """Where the answering span lies inside `citation.text` (empty when it lies elsewhere)."""
    span = answer.answer
    if span is None or span.doc != citation.doc:
        return []
    return _shift([(span.start, span.end)], citation.start, len(citation.text))


def window(text: str, focus: Ranges, max_chars: int) -> tuple[str, int]:
    """At most `max_chars` of `text` around the first `focus` range, cut at words; returns (excerpt, offset)."""
    if len(text) <= max_chars:
        return text, 0
    centre = focus[0][0] if focus else 0
    start = max(0, min(centre - max_chars // 3, len(text) - max_chars))
    end = start + max_chars
    if start > 0:
        space = text.find(" ", start, start + 40)
        start = space + 1 if space != -1 else start
    if end < len(text):
        space = text.rfind(" ", end - 40, end)
        end = space if space > start else end
    return text[start:end], start


def section_label(section: str, titles: set[str]) -> str:
    """The section path without the document title (already shown above it), at most 200 characters."""
    parts = [p for p in section.split(" › ") if p and p not in titles]
    label = " › ".join(parts)
    return label if len(label) <= 200 else label[:199] + "…"


def source_blocks(
    citations: Sequence[Citation],
    answer: Answer,
    titles: Mapping[str, str],
    first_number: int = 1,
    passage_chars: int = 900,
) -> list[str]:
    """Numbered sources: title, section and the passage in an expandable quote (answer bold, matches underlined)."""
    blocks: list[str] = []
    for number, citation in enumerate(citations, start=first_number):
        title = titles.get(citation.doc) or citation.title or citation.doc
        head = f"<b>{number}. {esc(title)}</b>"
        section = section_label(citation.section, {title, citation.title})
        if section:
            head += f"\n<i>{esc(section)}</i>"
        bold = answer_ranges(citation, answer)
        excerpt, offset = window(citation.text, bold or citation.matches, passage_chars)
        prefix, suffix = ("… " if offset else ""), (" …" if offset + len(excerpt) < len(citation.text) else "")
        shift = offset - len(prefix)
        text = prefix + excerpt + suffix
        quotes = quote_blocks(
            text,
            _shift(bold, shift, len(text)),
            _shift(citation.matches, shift, len(text)),
            MESSAGE_LIMIT - tg_len(head) - 2,
        )
        blocks.append(head + "\n" + quotes[0])
        blocks.extend(quotes[1:])
    return blocks


def abstain_text(answer: Answer) -> str:
    """The documents are on the question's topic but do not give what it asks (a sum, a concept), or not at all."""
    return "abstain_near" if answer.abstain_reason in ("no_amount", "concept_missing") else "abstain"


def render_answer(
    answer: Answer, lang: str, titles: Mapping[str, str], shown: int = 3, passage_chars: int = 900
) -> list[str]:
    """The reply to a question as Telegram HTML messages (at least one), each under the length limit."""
    cited = answer.citations[:shown]
    if answer.abstained or answer.answer is None:
        blocks = [f"🤷 <b>{esc(t(abstain_text(answer), lang))}</b>"]
        if cited:
            blocks.append(f"🔎 {esc(t('maybe_related', lang))}")
            blocks += source_blocks(cited[:2], answer, titles, passage_chars=passage_chars)
        blocks.append(f"☎️ {esc(t('next_step', lang))}")
        return split_blocks(blocks)
    sentence = answer.answer.text.strip()
    if len(sentence) > passage_chars:
        sentence = window(sentence, (), passage_chars)[0] + " …"
    blocks = [f"💡 <b>{esc(t('answer', lang))}:</b> <b>{esc(sentence)}</b>"]
    target = getattr(answer, "target", None)  # a programme target answered: indicator · year · value first
    if target is not None:
        blocks.insert(0, "\n".join(f"🎯 {esc(r.indicator)}{f' · {r.year}' if r.year else ''} · <b>{esc(r.figure)}</b>"
                                    for r in target.rows))
    if cited:
        blocks.append(f"📚 <b>{esc(t('sources', lang))}:</b>")
        blocks += source_blocks(cited, answer, titles, passage_chars=passage_chars)
    return split_blocks(blocks)


def render_more(
    answer: Answer, lang: str, titles: Mapping[str, str], first: int, count: int, passage_chars: int = 900
) -> list[str]:
    """Sources `first`… (0-based) of an answer, numbered as in the full list."""
    cited = answer.citations[first : first + count]
    blocks = [f"📚 <b>{esc(t('more_sources', lang))}:</b>"]
    blocks += source_blocks(cited, answer, titles, first_number=first + 1, passage_chars=passage_chars)
    return split_blocks(blocks)


def render_passage(title: str, section: str, text: str, lang: str, bold: Ranges = ()) -> list[str]:
    """A whole passage, quoted, split over as many messages as it needs."""
    head = f"📄 <b>{esc(t('full_passage', lang))}: {esc(title)}</b>"
    label = section_label(section, {title})
    if label:
        head += f"\n<i>{esc(label)}</i>"
    return split_blocks([head, *quote_blocks(text, bold, (), MESSAGE_LIMIT - 2)])


def split_blocks(blocks: Sequence[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Join well-formed HTML blocks with blank lines into as few messages under `limit` as possible."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}\n\n{block}" if current else block
        if tg_len(candidate) <= limit:
            current = candidate
            continue
        if current:
            messages.append(current)
        current = block if tg_len(block) <= limit else _plain_fit(block, limit)
    if current:
        messages.append(current)
    return messages or [""]


def _plain_fit(markup: str, limit: int) -> str:
    """Last resort for a block that cannot be split: its plain text, escaped and shortened to fit."""
    plain = html.unescape(_strip_tags(markup))
    while tg_len(esc(plain)) > limit - 1:
        plain = plain[: int(len(plain) * 0.9)]
    return esc(plain) + "…"


def _strip_tags(markup: str) -> str:
    out, inside = [], False
    for ch in markup:
        if ch == "<":
            inside = True
        elif ch == ">":
            inside = False
        elif not inside:
            out.append(ch)
    return "".join(out)
