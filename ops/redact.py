"""Redaction of personal data (IIN, phone numbers, e-mails, payment card numbers) before anything is logged or stored.

Patterns are deliberately conservative about ordinary numbers: questions quote years ("2020"), statistics
("1 017 486", "15 584 676") and short service numbers ("1414", "112"), which must survive untouched, while a
12-digit IIN or a Kazakh phone number must never reach a log line or the query store.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

IIN_PLACEHOLDER = "[IIN]"
PHONE_PLACEHOLDER = "[PHONE]"
EMAIL_PLACEHOLDER = "[EMAIL]"
CARD_PLACEHOLDER = "[CARD]"

_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")

# An IIN is 12 digits (YYMMDD + 6). People type it whole, split in halves ("880101 300123") or in groups of three
# ("880 101 300 123"). Arbitrary separators are not accepted: "2019 2020 2021" is three years, not an IIN. A grouped
# form must also start with a plausible date, so that "100 000 000 000" (a budget figure) is left alone.
_IIN_GROUPED = re.compile(r"(?<!\d)(?<!\d[ \-])(?:\d{6}[ \-]\d{6}|\d{3}([ \-])\d{3}\1\d{3}\1\d{3})(?!\d)(?![ \-]\d)")
_IIN_PLAIN = re.compile(r"(?<!\d)\d{12}(?!\d)")

# Phone numbers: an optional prefix (+7 or 8), a 7xx mobile / 7xxx city code (bracketed or not) and the rest in
# the usual groupings, with optional spaces, dashes or dots between groups.
_S = r"[ \-.]?"
_PHONE_KZ = re.compile(
    "".join(
        [
            r"(?<![\d+])(?:(?:\+\s?7|8)", _S, ")?",
            r"(?:(?:\(\s?7\d{2}\s?\)|7\d{2})", _S, r"(?:\d{3}", _S, r"\d{2}", _S, r"\d{2}|\d{3}", _S, r"\d{4})",
            r"|(?:\(\s?7\d{3}\s?\)|7\d{3})", _S, r"(?:\d{2}", _S, r"\d{2}", _S, r"\d{2}|\d{3}", _S, r"\d{3}))",
            r"(?!\d)",
        ]
    )
)  # fmt: skip
# Any other international number written with a plus sign (+7 495 …, +998 …).
_PHONE_INTL = re.compile(r"(?<![\w+])\+\d[\d \-.()]{7,18}\d(?!\d)")


# Payment cards: 13-19 digits written whole, in fours (4-4-4-4, 4-4-4-4-3) or as Amex does (4-6-5), with one kind of
# separator; only numbers that pass the Luhn check, so a long statistic or a document number stays.
_CARD = re.compile(
    r"(?<![\d+])(?:\d{13,19}|\d{4}([ \-])\d{4}\1\d{4}\1\d{4}(?:\1\d{3})?|\d{4}([ \-])\d{6}\2\d{5})(?![\d])"
)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    return CARD_PLACEHOLDER if _luhn(re.sub(r"\D", "", match.group(0))) else match.group(0)


def _iin_grouped(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    month, day = int(digits[2:4]), int(digits[4:6])
    return IIN_PLACEHOLDER if 1 <= month <= 12 and 1 <= day <= 31 else match.group(0)


def _intl(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return PHONE_PLACEHOLDER if 10 <= len(digits) <= 15 else match.group(0)


# A URL a library logs ("GET /documents/%D0%96%D0%A1%D0%9D%20880101300123") hides a number behind "%20": three
# or more percent escapes mean an encoded URL, which is redacted (and logged) decoded.
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


def redact(text: str) -> str:
    """Replace IINs, phone numbers, e-mail addresses and card numbers by `[IIN]`, `[PHONE]`, `[EMAIL]`, `[CARD]`."""
    if not text:
        return text
    if len(_ESCAPE.findall(text)) >= 3:
        text = unquote(text, errors="replace")
    text = _EMAIL.sub(EMAIL_PLACEHOLDER, text)
    text = _CARD.sub(_card, text)
    text = _IIN_PLAIN.sub(IIN_PLACEHOLDER, text)
    text = _IIN_GROUPED.sub(_iin_grouped, text)
    text = _PHONE_KZ.sub(PHONE_PLACEHOLDER, text)
    return _PHONE_INTL.sub(_intl, text)


# What no store or log stream can take: NUL (PostgreSQL text refuses it), other C0 controls but tab and line breaks,
# and lone surrogates (JSON can carry "\ud800"; UTF-8 cannot encode it, so SQLite and a log stream fail on it).
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` with the characters no database or log stream can hold replaced by U+FFFD (the rest unchanged)."""
    return _UNSTORABLE.sub("\ufffd", text) if text else text
