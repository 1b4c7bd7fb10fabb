"""Matching a question to an indicator: typing variants, target cues, years, and staying silent when unsure."""

from __future__ import annotations

from index.models import Document, DocumentInfo
from index.target_eval import hits_gold
from index.target_match import TargetIndex, answer_from_targets, keys, rows_at
from index.targets import extract_targets

TEXT = (
    "Міндеті: ақпараттық кеңістікті дамыту. Нысаналы индикаторлар: 1) ұлттық жерсеріктік желінің абоненттер саны "
    "2020 жылы - 500 мың абонент; 2) электрондық қызметтердің жалпы көлемінде ұтқыр электрондық мемлекеттік "
    "қызметтердің үлесі 2017 жылы - 36 %, 2020 жылы 40 % құрауы тиіс; 3) отандық телесериал түсіру 2017 жылы "
    "кемінде - 10, 2020 жылы — 20; 4) халықтың компьютерлік сауаттылық деңгейі 2017 жылы - 65 %, 2020 жылы - 80 %. "
    "Қол жеткізу жолдары"
)
DOC = Document(DocumentInfo(id="p.txt", title_kk="P", title_ru="P"), TEXT)
INDEX = TargetIndex(extract_targets(DOC))


def test_a_target_question_gets_every_year_of_its_indicator() -> None:
    m = answer_from_targets("Ұтқыр электрондық мемлекеттік қызметтердің үлесі қанша болуы тиіс?", INDEX)
    assert m is not None
    assert [r.year for r in m.rows] == [2017, 2020]
    assert TEXT[m.start : m.end].startswith("2) электрондық қызметтердің")
    assert "2020 · 40 %" in m.label


def test_a_named_year_keeps_that_years_row_and_the_whole_statement() -> None:
    m = answer_from_targets("2020 жылға қарай халықтың компьютерлік сауаттылық деңгейі қанша болуы керек?", INDEX)
    assert m is not None and [r.value for r in m.rows] == [80]
    assert TEXT[m.start : m.end].endswith("2020 жылы - 80 %")


def test_plain_keyboard_and_latin_typing_match_the_same_row() -> None:
    kk = answer_from_targets("Халықтың компьютерлік сауаттылық деңгейі 2020 жылы қанша болуы тиіс?", INDEX)
    plain = answer_from_targets("Халыктын компьютерлик сауаттылык денгейи 2020 жылы канша болуы тиис?", INDEX)
    latin = answer_from_targets("Halyqtyñ kompüterlık sauattylyq deñgeiı 2020 jyly qanşa boluy tiıs?", INDEX)
    assert kk is not None and plain is not None and latin is not None
    assert kk.start == plain.start == latin.start


def test_a_question_about_the_present_state_is_left_to_the_normal_path() -> None:
    state = "Компьютерлік сауаттылық деңгейі 2008 жылғы деректер бойынша қанша болды?"
    assert answer_from_targets(state, INDEX) is None
    assert answer_from_targets("Электрондық үкімет дегеніміз не?", INDEX) is None


def test_retrieval_hits_let_a_russian_question_match() -> None:
    q = "Сколько абонентов должна иметь национальная спутниковая сеть в 2020 году?"
    assert answer_from_targets(q, INDEX) is None  # no shared words with the Kazakh phrase
    row = INDEX.groups[0][1][0]
    assert answer_from_targets(q, INDEX, hits=[(row.doc, row.start, row.end)]) is None  # no bonus by default
    m = answer_from_targets(q, INDEX, hits=[(row.doc, row.start, row.end)], hit_bonus=0.6, min_score=0.5)
    assert m is not None and m.rows[0].value == 500


def test_gold_hit_rule_is_the_scorers() -> None:
    gold = "40 % құрауы тиіс"
    start = TEXT.index("2) электрондық")
    end = TEXT.index("; 3)")
    assert hits_gold("p.txt", start, end, TEXT, "p.txt", [gold])
    assert not hits_gold("q.txt", start, end, TEXT, "p.txt", [gold])


def test_a_named_year_rules_out_indicators_without_a_target_for_it() -> None:
    text = (
        "Нысаналы индикаторлар: 1) Интернет желісін пайдаланушылардың көрсеткіші 2009 жылы - 20 %.\n\n"
        "Нысаналы индикаторлар: 1) Интернет желісін пайдаланушылар саны 2020 жылы - 75 %.\n\n"
    )
    index = TargetIndex(extract_targets(Document(DocumentInfo(id="i.txt", title_kk="I", title_ru="I"), text)))
    m = answer_from_targets("2020 жылы интернетті қолданатындар саны қанша болуы тиіс?", index)  # қолдану=пайдалану
    assert m is not None and [(r.year, r.value) for r in m.rows] == [(2020, 75)]


def test_an_answer_span_inside_a_target_statement_carries_its_rows() -> None:
    start = TEXT.index("4) халықтың")
    end = TEXT.index("80 %") + len("80 %")
    every = rows_at("Компьютерлік сауаттылық туралы не жоспарланған?", INDEX, "p.txt", start, end)
    assert every is not None and [r.value for r in every.rows] == [65, 80]
    assert TEXT[every.start : every.end].startswith("4) халықтың")
    with_stop = rows_at("?", INDEX, "p.txt", start, end + 1)  # the sentence's full stop: the statement inside it
    assert with_stop is not None and with_stop.rows == every.rows
    named = rows_at("2017 жылы компьютерлік сауаттылық қандай еді?", INDEX, "p.txt", start, end)
    assert named is not None and [r.year for r in named.rows] == [2017]
    before = TEXT.index("Нысаналы")
    assert rows_at("Міндеті қандай?", INDEX, "p.txt", 0, before) is None  # not a target statement
    assert rows_at("?", INDEX, "other.txt", start, end) is None


def test_scores_read_through_the_postings_equal_a_pass_over_every_statement() -> None:
    """The postings give each statement that shares a word the same score as scoring every statement would, and
    leave out only those that score 0."""
    hits = [("p.txt", TEXT.index("3) отандық"), TEXT.index("3) отандық") + 20)]
    for question in ("Ұтқыр қызметтердің үлесі қанша?", "Телесериал 2020 жылы", "Ауа райы қандай?", "үлесі"):
        q = set(k for k in keys(question) if not k.isdigit())
        q_total = sum(INDEX.idf.get(k, INDEX.unknown) for k in q) or 1.0
        every = []
        for i, ((_, start, end), _) in enumerate(INDEX.groups):
            shared = sum(INDEX.idf[k] for k in INDEX.keys[i] & q)
            score = (shared / (sum(INDEX.idf[k] for k in INDEX.keys[i]) or 1.0) * shared / q_total) ** 0.5
            score += 0.3 if min(end, hits[0][2]) - max(start, hits[0][1]) > 0 else 0.0
            every.append((score, i))
        expected = sorted((s, i) for s, i in every if s > 0)[::-1]
        got = INDEX.scores(question, hits, hit_bonus=0.3)
        assert [i for _, i in got] == [i for _, i in expected]
        assert all(abs(a - b) < 1e-12 for (a, _), (b, _) in zip(got, expected, strict=True))
