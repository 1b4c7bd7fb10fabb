"""Redaction removes personal data and leaves the numbers citizens quote in questions alone."""

import pytest

from ops.redact import redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ИИН 880101300123 берілді", "ИИН [IIN] берілді"),
        ("ЖСН: 880101 300123", "ЖСН: [IIN]"),
        ("iin 880-101-300-123", "iin [IIN]"),
        ("ИИН880101300123", "ИИН[IIN]"),
        ("моб +7 701 123 45 67", "моб [PHONE]"),
        ("8 (701) 123-45-67", "[PHONE]"),
        ("87011234567, +77011234567", "[PHONE], [PHONE]"),
        ("Астана 8 7172 12 34 56", "Астана [PHONE]"),
        ("(727) 123-45-67", "[PHONE]"),
        ("7011234567", "[PHONE]"),
        ("тел.8-701-123-45-67.", "тел.[PHONE]."),
        ("+998 90 123 45 67", "[PHONE]"),
        ("1414 8 701 123 45 67", "1414 [PHONE]"),
        ("пишите на a.b-c@mail.kz или info@egov.kz", "пишите на [EMAIL] или [EMAIL]"),
        ("email@x.kz 880101300123 +7(701)1234567", "[EMAIL] [IIN] [PHONE]"),
    ],
)
def test_personal_data_is_replaced_by_placeholders(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2020 жылы 1 017 486 адам, 15 584 676 тұрғын",
        "1414 нөміріне қоңырау шалыңыз, төтенше жағдайда 112",
        "2019 2020 2021 жылдары",
        "Порталды күн сайын 25 000-нан астам азамат пайдаланады",
        "бюджет 100 000 000 000 теңге",
        "1 000 000 000 000 теңге",
        "7 500 000 теңге, 12,5 %",
        "Постановление № 464 от 08.11.2012",
    ],
)
def test_ordinary_numbers_survive(text: str) -> None:
    assert redact(text) == text


def test_redaction_is_idempotent_and_handles_empty_text() -> None:
    once = redact("ИИН 880101300123, тел +7 701 123 45 67")
    assert redact(once) == once
    assert redact("") == ""


def test_card_numbers_and_percent_encoded_urls_are_redacted() -> None:
    assert redact("карта 4111 1111 1111 1111, 4111-1111-1111-1111, 3782 822463 10005") == "карта [CARD], [CARD], [CARD]"
    assert redact("1234 5678 9012 3456 (Luhn fails: not a card)") == "1234 5678 9012 3456 (Luhn fails: not a card)"
    logged = "GET http://h/documents/%D0%96%D0%A1%D0%9D%20880101300123%2C%20a%40b.kz 404"
    assert redact(logged) == "GET http://h/documents/ЖСН [IIN], [EMAIL] 404"
    assert redact("50%-ға, 100% адам") == "50%-ға, 100% адам"
