"""Target rows: both layouts, ranges, comparisons, Russian units, the year lists, and the corpus fixture."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.documents import load_corpus
from index.models import Document, DocumentInfo
from index.target_eval import load_expected, score_extraction
from index.target_store import extract_corpus
from index.targets import extract_targets

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = ROOT / "tests" / "data" / "targets_expected.json"


def doc(text: str, name: str = "p.txt") -> Document:
    return Document(DocumentInfo(id=name, title_kk="P", title_ru="P"), text)


def rows_of(text: str):
    d = doc(text)
    rows = extract_targets(d)
    for r in rows:  # every span is exact
        assert text[r.start : r.end] and r.start <= r.value_start < r.value_end <= r.end
    return rows


def test_passport_list_with_and_without_years() -> None:
    text = (
        "Нысаналы индикаторлар     1) 2020 жылы Қазақстан «Doing Business» рейтингінде алғашқы 35 елдің тізімінде "
        "болуға тиіс; 2) елдің ЖІӨ-не АКТ секторының үлесі - 4 %; 3) 2020 жылы Интернет желісін пайдаланушылар "
        "саны - 75 %.\n\nҚаржыландыру"
    )
    rows = rows_of(text)
    assert [(r.year, r.value, r.unit, r.comparison) for r in rows] == [
        (2020, 35, "ел", "top"), (None, 4, "%", None), (2020, 75, "%", None)
    ]
    assert rows[2].indicator == "Интернет желісін пайдаланушылар саны"
    assert text[rows[2].start : rows[2].end] == "3) 2020 жылы Интернет желісін пайдаланушылар саны - 75 %"
    assert text[rows[2].value_start : rows[2].value_end] == "75 %"


def test_running_sentence_with_several_years() -> None:
    text = (
        "Міндеті: «электрондық үкіметті» дамыту. Нысаналы индикаторлар: 4) дәстүрлі түрде алынған қызметтердің "
        "үлесі 2017 жылы - 50 %, 2020 жылы 80 % құрауы тиіс; 5) мемлекеттік қызмет көрсетудің ең көп уақыты "
        "2017 жылы - 5 жұмыс күнінен, 2020 жылы - 3 жұмыс күнінен аспайды. Қол жеткізу жолдары бар."
    )
    rows = rows_of(text)
    assert [(r.year, r.value, r.unit, r.comparison) for r in rows] == [
        (2017, 50, "%", None), (2020, 80, "%", None), (2017, 5, "жұмыс күні", "<="), (2020, 3, "жұмыс күні", "<=")
    ]
    assert rows[0].section == "«электрондық үкіметті» дамыту"
    assert rows[0].indicator == "дәстүрлі түрде алынған қызметтердің үлесі"
    assert text[rows[1].value_start : rows[1].value_end] == "2020 жылы 80 %"


def test_at_least_scores_ratios_and_baselines() -> None:
    text = (
        "Нысаналы индикаторлар: 1) қосымшалардың саны 2017 жылы - кемінде 50, 2020 жылы - 65 құрады; "
        "2) қанағаттану индексі 2017 жылы 5 балдың 4,5 балын, 2020 жылы - 4,7 балды құрауға тиіс; "
        "3) трафиктің арақатынасы - 2017 жылы - 0,7:1-ге, 2020 жылы - 1:1-ге; "
        "4) шығындарды қысқарту 2017 жылы 2012 жылмен салыстырғанда 40 %, 2020 жылы - 50 % құрауы тиіс. "
        "Қол жеткізу жолдары"
    )
    got = [(r.year, r.value, r.value_text, r.unit, r.comparison) for r in rows_of(text)]
    assert got == [
        (2017, 50, "50", None, ">="), (2020, 65, "65", None, None),
        (2017, 4.5, "4,5", "балл", None), (2020, 4.7, "4,7", "балл", None),
        (2017, 0.7, "0,7:1", ":1", None), (2020, 1, "1:1", ":1", None),
        (2017, 40, "40", "%", None), (2020, 50, "50", "%", None),
    ]


def test_labelled_parts_take_the_head_and_their_own_label() -> None:
    text = (
        "Нысаналы индикатор: 1) жүйесін енгізген субъектілердің үлесі: сумен жабдықтау саласында 2017 жылы - 30 %, "
        "2020 жылы - 80 %; жылумен жабдықтау саласында 2017 жылы - 20 %, 2020 жылы - 80 %. Қол жеткізу жолдары"
    )
    rows = rows_of(text)
    assert [r.indicator for r in rows[::2]] == [
        "жүйесін енгізген субъектілердің үлесі: сумен жабдықтау саласында",
        "жүйесін енгізген субъектілердің үлесі: жылумен жабдықтау саласында",
    ]
    assert [r.value for r in rows] == [30, 80, 20, 80]


def test_russian_units_ranges_and_times() -> None:
    text = (
        "Целевые индикаторы: 1) доля пользователей сети Интернет в 2020 году - не менее 75 процентов; "
        "2) срок оказания услуги в 2020 году - не более 3 рабочих дней; 3) число абонентов к 2020 году - 500 тыс. "
        "абонентов; 4) рост трафика в 2020 году - 2 раза; 5) доля выбросов в 2017 году 25-50 %.\n\nПути достижения"
    )
    got = [(r.year, r.value, r.high, r.unit, r.comparison) for r in rows_of(text)]
    assert got == [
        (2020, 75, None, "%", ">="), (2020, 3, None, "жұмыс күні", "<="), (2020, 500, None, "мың абонент", None),
        (2020, 2, None, "есе", None), (2017, 25, 50, "%", None),
    ]


def test_kazakh_times_and_money() -> None:
    rows = rows_of("Нысаналы индикаторлар: 1) экспорт көлемі 2020 жылы - 2 есе; 2) инвестиция 2020 жылы - 15 млн "
                   "теңге.\n\n")
    assert [(r.value, r.unit) for r in rows] == [(2, "есе"), (15, "млн теңге")]


def test_year_lists_of_a_plan_table() -> None:
    text = (
        "\tӘскери қызметшілерді компьютерлік сауаттылыққа оқыту:\n2007 жыл - 12512 адам;\n2008 жыл - 25024 адам;"
        "\n\tАБА-ға ақпарат\n\tжыл сайын 30 желтоқсан\n"
        "\tБағдарламаның жалпы құны: 15 584 676 мың теңге, оның ішінде республикалық бюджет қаражатынан "
        "қаржыландыру көлемі -13 701 595 мың теңге, оның ішінде жылдар бойынша: \n2007 жылға - 4 901 052 мың "
        "теңге;\n2008 жылға - 4 398 361 мың теңге;\n"
    )
    rows = rows_of(text)
    assert [(r.indicator, r.year, r.value, r.unit) for r in rows] == [
        ("Әскери қызметшілерді компьютерлік сауаттылыққа оқыту", 2007, 12512, "адам"),
        ("Әскери қызметшілерді компьютерлік сауаттылыққа оқыту", 2008, 25024, "адам"),
        ("республикалық бюджет қаражатынан қаржыландыру көлемі", 2007, 4901052, "мың теңге"),
        ("республикалық бюджет қаражатынан қаржыландыру көлемі", 2008, 4398361, "мың теңге"),
    ]


def test_a_year_run_stops_at_the_next_list_item() -> None:
    """Two numbered items outside an indicator list, one per line: each item's years are its own indicator's, not
    one run under the first item (which gave the second item's 30 % and 50 % to «компьютерлік сауаттылық»)."""
    text = (
        "Күтілетін нәтижелер\n\nБағдарлама мынаған мүмкіндік береді:\n"
        "1) халықтың компьютерлік сауаттылық деңгейі 2017 жылы - 65 %, 2020 жылы - 80 %;\n"
        "2) электрондық қызметтердің үлесі 2017 жылы - 30 %, 2020 жылы - 50 %."
    )
    assert [(r.indicator, r.year, r.value) for r in rows_of(text)] == [
        ("халықтың компьютерлік сауаттылық деңгейі", 2017, 65),
        ("халықтың компьютерлік сауаттылық деңгейі", 2020, 80),
        ("электрондық қызметтердің үлесі", 2017, 30),
        ("электрондық қызметтердің үлесі", 2020, 50),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Міндеті: байланысты дамыту.\n\nНысаналы индикаторлар\n\n"
            "1) Интернет желісін пайдаланушылар саны 2017 жылы - 65 %, 2020 жылы - 75 %;\n"
            "2) елдің ЖІӨ-не АКТ секторының үлесі - 4 %.\n\nҚол жеткізу жолдары",
            [("Интернет желісін пайдаланушылар саны", 2017, 65), ("Интернет желісін пайдаланушылар саны", 2020, 75),
             ("елдің ЖІӨ-не АКТ секторының үлесі", None, 4)],
        ),
        (
            "Целевые индикаторы:\n \n1) доля пользователей сети Интернет в 2020 году - 75 %;\n"
            "2) уровень компьютерной грамотности в 2020 году - 80 %.\n\nПути достижения",
            [("доля пользователей сети Интернет", 2020, 75), ("уровень компьютерной грамотности", 2020, 80)],
        ),
        ("Нысаналы индикаторлар\n\nбағдарлама аяқталғанда анықталады, 2020 жылы 75 %.\n\nКейінгі бөлім", []),
    ],
)
def test_a_list_under_a_bare_heading_is_an_indicator_list(text: str, expected: list) -> None:
    """«Нысаналы индикаторлар», a blank line, then the items: the blank line ended the list before its first item,
    so an item without a year gave no row (and the years were read as runs). Prose under the heading stays prose."""
    rows = rows_of(text)
    assert [(r.indicator, r.year, r.value) for r in rows] == expected
    assert all(text[r.start : r.end].startswith(("1)", "2)")) for r in rows)


def test_text_without_targets_gives_no_rows() -> None:
    assert rows_of("Бағдарлама 2013 жылы бекітілді. Нысаналы индикаторлардың мәні екі кезең бойынша белгіленді.") == []


def test_extraction_is_deterministic() -> None:
    text = EXPECTED.read_text(encoding="utf-8")[:0] + "Нысаналы индикаторлар: 1) үлесі 2017 жылы - 1 %.\n\n"
    assert rows_of(text) == rows_of(text)


@pytest.mark.skipif(not (ROOT / "corpus").is_dir(), reason="the corpus is not in this checkout")
def test_corpus_rows_match_the_hand_checked_fixture() -> None:
    """≥ 95 % of the rows exactly right (indicator, year, value, unit, comparison, both spans), both ways."""
    documents = load_corpus(ROOT / "corpus").documents
    expected = load_expected(EXPECTED)
    texts = {d.id: d.text for d in documents}
    for e in expected:  # the fixture itself quotes the corpus exactly
        assert texts[e["doc"]][e["start"] : e["end"]] == e["statement"]
        assert texts[e["doc"]][e["value_start"] : e["value_end"]] == e["clause"]
    score = score_extraction(extract_corpus(documents), expected)
    assert score["precision"] >= 0.95 and score["recall"] >= 0.95, json.dumps(score)
    passport = [e for e in expected if e["start"] < 5000 and e["doc"] == "aqparatty-qazaqstan-2020.txt"]
    assert len(passport) == 12
