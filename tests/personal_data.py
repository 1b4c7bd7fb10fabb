"""Hypothesis strategies for personal data written the ways people write it: IINs, phone numbers, e-mails and
payment card numbers inside Kazakh and Russian sentences (tests/ops/test_no_personal_data_in_sinks.py, bot tests)."""

from __future__ import annotations

from hypothesis import strategies as st


def luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (1 if i % 2 else 2)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


digits = st.text("0123456789", min_size=1, max_size=1)


@st.composite
def iins(draw: st.DrawFn) -> str:
    yy, mm, dd = draw(st.integers(0, 99)), draw(st.integers(1, 12)), draw(st.integers(1, 28))
    iin = f"{yy:02d}{mm:02d}{dd:02d}" + "".join(draw(st.lists(digits, min_size=6, max_size=6)))
    sep = draw(st.sampled_from([" ", "-"]))
    return draw(st.sampled_from([iin, iin[:6] + sep + iin[6:], sep.join(iin[i : i + 3] for i in range(0, 12, 3))]))


@st.composite
def phones(draw: st.DrawFn) -> str:
    code = "7" + draw(st.sampled_from(["00", "01", "02", "05", "07", "08", "47", "71", "75", "76", "77", "78"]))
    n = "".join(draw(st.lists(digits, min_size=7, max_size=7)))
    forms = [
        f"+7 {code} {n[:3]} {n[3:5]} {n[5:]}", f"8 ({code}) {n[:3]}-{n[3:5]}-{n[5:]}", f"+7{code}{n}", f"8{code}{n}",
        f"8-{code}-{n[:3]}-{n[3:5]}-{n[5:]}", f"+7 ({code}) {n[:3]} {n[3:]}",
        f"+998 {code[1:]} {n[:3]} {n[3:5]} {n[5:]}",
    ]  # fmt: skip
    return draw(st.sampled_from(forms))


@st.composite
def emails(draw: st.DrawFn) -> str:
    word = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10)
    local = draw(word) + draw(st.sampled_from(["", ".", "_", "+", "-"])) + draw(word)
    domain = ".".join(draw(st.lists(word, min_size=1, max_size=3)))
    return f"{local}@{domain}.{draw(st.sampled_from(['kz', 'ru', 'com', 'org', 'gov.kz']))}"


@st.composite
def cards(draw: st.DrawFn) -> str:
    body = draw(st.sampled_from(["4", "5", "2"])) + "".join(draw(st.lists(digits, min_size=14, max_size=14)))
    card = body + luhn_digit(body)
    sep = draw(st.sampled_from([" ", "-"]))
    return draw(st.sampled_from([card, sep.join(card[i : i + 4] for i in range(0, 16, 4))]))


personal = st.one_of(iins(), phones(), emails(), cards())
SENTENCES = [
    "Менің ЖСН {}, 1414 нөмірі не?", "Мой номер {} — перезвоните", "{}", "байланыс: {}.", "«{}» 2020 жылы",
    "ЖСН:\n{}", "тел\u200b{}\u200b", "нөмір\x00{}", "\u202e{}\u202c",  # line break, zero-width, NUL, bidi
]  # fmt: skip


@st.composite
def sentences(draw: st.DrawFn) -> tuple[str, list[str]]:
    secrets = draw(st.lists(personal, min_size=1, max_size=3))
    parts = [draw(st.sampled_from(SENTENCES)).format(s) for s in secrets]
    # joined by words: "2019 2020 2021" must stay years, so a grouped IIN right after another number is not one
    # (ops/redact.py); people write a word or a sign between two numbers they give
    return " және ".join(parts), secrets


def leaks(text: str, secrets: list[str]) -> list[str]:
    return [s for s in secrets if s in text]
