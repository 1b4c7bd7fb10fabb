"""Chunker invariants on every real corpus document and the tiny test corpus, and the structure rules on small texts."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from index.chunking import chunk_document, split_units
from index.documents import load_corpus
from index.models import Chunk, Document, DocumentInfo

ROOT = Path(__file__).resolve().parents[2]
CORPORA = (ROOT / "corpus", ROOT / "tests" / "data" / "corpus")
DOCUMENTS = {f"{c.relative_to(ROOT)}/{d.id}": d for c in CORPORA for d in load_corpus(c).documents}
SIZE = 600


@pytest.fixture(scope="module")
def chunked() -> dict[str, list[Chunk]]:
    return {name: chunk_document(doc, SIZE) for name, doc in DOCUMENTS.items()}


def doc(text: str, title: str = "Тест") -> Document:
    return Document(DocumentInfo("t.txt", title, title), text)


def unit_texts(text: str) -> list[str]:
    return [text[u.start : u.end] for u in split_units(text)]


def test_both_corpora_are_present() -> None:
    assert sum(n.startswith("corpus/") for n in DOCUMENTS) == 5
    assert sum(n.startswith("tests/data/corpus/") for n in DOCUMENTS) == 3


@pytest.mark.parametrize("name", DOCUMENTS)
def test_chunk_text_is_the_exact_document_slice(name: str, chunked: dict[str, list[Chunk]]) -> None:
    text = DOCUMENTS[name].text
    assert chunked[name], "a document with text must give chunks"
    for c in chunked[name]:
        assert c.text == text[c.start : c.end]
        assert c.doc == DOCUMENTS[name].id
        assert c.text == c.text.strip(), "chunks start and end on text, not whitespace"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_non_whitespace_character_is_in_some_chunk(name: str, chunked: dict[str, list[Chunk]]) -> None:
    text = DOCUMENTS[name].text
    covered = bytearray(len(text))
    for c in chunked[name]:
        covered[c.start : c.end] = b"\1" * (c.end - c.start)
    lost = [i for i, ch in enumerate(text) if not covered[i] and not ch.isspace()]
    assert not lost, f"{len(lost)} characters in no chunk, first at {lost[0]}: {text[lost[0] : lost[0] + 40]!r}"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_chunks_are_ordered_and_do_not_overlap(name: str, chunked: dict[str, list[Chunk]]) -> None:
    chunks = chunked[name]
    assert [c.id for c in chunks] == list(range(len(chunks)))
    for a, b in itertools.pairwise(chunks):
        assert a.start < a.end <= b.start


@pytest.mark.parametrize("name", DOCUMENTS)
def test_chunking_is_deterministic(name: str, chunked: dict[str, list[Chunk]]) -> None:
    original = DOCUMENTS[name]
    copy = Document(DocumentInfo(**vars(original.info)), "".join(list(original.text)))
    assert chunk_document(copy, SIZE) == chunked[name]
    assert chunk_document(original, SIZE, first_id=7)[0].id == 7


@pytest.mark.parametrize("name", DOCUMENTS)
def test_chunks_fit_the_size_unless_a_single_unit_is_longer(name: str, chunked: dict[str, list[Chunk]]) -> None:
    for c in chunked[name]:
        if len(c.text) > SIZE:
            assert len(c.units) == 1, f"chunk {c.id} has {len(c.text)} characters in {len(c.units)} units"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_units_lie_inside_their_chunk_in_order(name: str, chunked: dict[str, list[Chunk]]) -> None:
    text = DOCUMENTS[name].text
    for c in chunked[name]:
        assert c.units, f"chunk {c.id} has no units"
        assert c.units[0][0] == c.start and c.units[-1][1] == c.end
        for (s, e), (s2, _) in zip(c.units, [*c.units[1:], (c.end, c.end)], strict=True):
            assert c.start <= s < e <= s2 <= c.end
            assert text[s:e] == text[s:e].strip()


@pytest.mark.parametrize("name", DOCUMENTS)
def test_section_path_starts_with_the_document_title(name: str, chunked: dict[str, list[Chunk]]) -> None:
    title = DOCUMENTS[name].info.title_kk
    assert all(c.section and c.section[0] == title for c in chunked[name])


@pytest.mark.parametrize("size", [80, 200, 1000])
def test_invariants_hold_for_other_chunk_sizes(size: int) -> None:
    for name, d in DOCUMENTS.items():
        if not name.startswith("corpus/") or len(d.text) > 20_000:
            continue
        chunks = chunk_document(d, size)
        assert all(c.text == d.text[c.start : c.end] for c in chunks)
        assert all(a.end <= b.start for a, b in itertools.pairwise(chunks))
        covered = {i for c in chunks for i in range(c.start, c.end)}
        assert all(ch.isspace() for i, ch in enumerate(d.text) if i not in covered)


def test_smaller_chunks_mean_more_chunks() -> None:
    d = DOCUMENTS["corpus/ict-adoption-essay.txt"]
    assert len(chunk_document(d, 200)) > len(chunk_document(d, 600)) > len(chunk_document(d, 3000))


@pytest.mark.parametrize(
    "sentence",
    [
        "Портал 2006 ж. сәуірде іске қосылды.",
        "Орталықтарда т.б. қызметтер де ұсынылады.",
        "Бюджет 12 млн. Теңгеге жетті.",
        "Бұйрық № 5 қабылданды.",
        "Бағдарлама 2010-2014 жж. Іске асырылды.",
    ],
)
def test_kazakh_abbreviations_do_not_end_a_sentence(sentence: str) -> None:
    text = f"Бірінші сөйлем осында. {sentence} Соңғы сөйлем де бар."
    assert unit_texts(text) == ["Бірінші сөйлем осында.", sentence, "Соңғы сөйлем де бар."]


def test_sentences_split_at_full_stops_question_and_exclamation_marks() -> None:
    text = "Портал жұмыс істейді. Қалай тіркелуге болады? Өте оңай! 2020 жылы 80 % жетті."
    assert unit_texts(text) == [
        "Портал жұмыс істейді.",
        "Қалай тіркелуге болады?",
        "Өте оңай!",
        "2020 жылы 80 % жетті.",
    ]


def test_inline_numbered_items_split() -> None:
    text = "Міндеттер: 1) порталды дамыту; 2) қызметтерді көбейту; 3) байланыс орталығын ашу."
    assert unit_texts(text) == [
        "Міндеттер:",
        "1) порталды дамыту;",
        "2) қызметтерді көбейту;",
        "3) байланыс орталығын ашу.",
    ]
    assert [u.kind for u in split_units(text)] == ["sentence", "item", "item", "item"]


def test_numbered_lines_start_new_units() -> None:
    text = (
        "Кіріспе мәтіні осында жазылған және ол жеткілікті ұзын болып келеді\n"
        "2. Екінші тармақ мұнда жазылған.\n"
        "2.1. Бірінші бөлім туралы мәтін бар.\n"
        "2.2. Екінші бөлім туралы мәтін бар."
    )
    texts = unit_texts(text)
    assert texts[1:] == [
        "2. Екінші тармақ мұнда жазылған.",
        "2.1. Бірінші бөлім туралы мәтін бар.",
        "2.2. Екінші бөлім туралы мәтін бар.",
    ]


@pytest.mark.parametrize(
    "row",
    ["Көрсетілген қызметтер, млн.\t12,5 ж.\t16,7", "Көрсетілген қызметтер, млн. | 2015 ж. | 16,7 т.б. Басқа"],
)
def test_a_table_row_is_one_unit(row: str) -> None:
    text = f"Кесте туралы сөйлем. Тағы бір сөйлем.\n\n{row}\n\nКестеден кейінгі сөйлем."
    units = split_units(text)
    assert [text[u.start : u.end] for u in units] == [
        "Кесте туралы сөйлем.",
        "Тағы бір сөйлем.",
        row,
        "Кестеден кейінгі сөйлем.",
    ]
    assert units[2].kind == "row"


def test_a_cell_holding_a_numbered_list_gives_each_item_a_unit() -> None:
    row = (
        "Нысаналы индикаторлар\u00a0\u00a0\u00a0\u00a0 1) порталдың үлесі - 50 %; "
        "2) компьютерлік сауаттылық деңгейі - 80 %; 3) Интернет пайдаланушылары - 75 %."
    )
    units = split_units(f"Паспорт.\n\n{row}")
    assert [row[u.start - 10 : u.end - 10] for u in units[1:]] == [
        "Нысаналы индикаторлар\u00a0\u00a0\u00a0\u00a0 1) порталдың үлесі - 50 %;",
        "2) компьютерлік сауаттылық деңгейі - 80 %;",
        "3) Интернет пайдаланушылары - 75 %.",
    ]
    assert {u.kind for u in units[1:]} == {"row"}


def test_table_rows_of_the_tiny_corpus_stay_whole_in_one_unit() -> None:
    d = DOCUMENTS["tests/data/corpus/con-centres.txt"]
    row = "Көрсетілген қызметтер, млн.\t12,5\t16,7"
    start = d.text.index(row)
    [unit] = [u for u in split_units(d.text) if u.start <= start < u.end]
    assert unit.end >= start + len(row) and unit.kind == "row"


def test_wrapped_lines_join_into_one_sentence() -> None:
    text = (
        "Бұл мәтін PDF файлынан алынған және әр жолдың соңында жол үзілімі бар, сондықтан\n"
        "сөйлем келесі жолда жалғасады."
    )
    assert unit_texts(text) == [text]


def test_a_blank_line_inside_a_wrapped_sentence_does_not_split_it() -> None:
    sentence = (
        "Қазақстандағы «электронды үкімет» жобасының таяу болашағын сарапшылардың көпшілігі \n\n"
        "35% - бюрократизмнің төмендеуіне ықпал етеді деп болжайды."
    )
    assert unit_texts(sentence) == [sentence]
    # a blank line after a full line that ends a sentence, a numbered heading, or before a capital, still splits
    ended = "Бағдарлама 2007 жылы басталып, оның бірінші кезеңі 2009 жылы толық аяқталды."
    assert len(unit_texts(ended + "\n\n35% - өсім.")) == 2
    heading = "5.2. Халықты компьютерлік сауаттылыққа оқыту үшін оқытушыларды даярлау және қайта даярлау"
    assert len(unit_texts(heading + "\n\nоқытушылар даярланады.")) == 2
    assert len(unit_texts(sentence.replace("\n\n35%", "\n\nБұл"))) == 2


def test_section_path_holds_the_headings_above_a_chunk() -> None:
    text = (
        "Бағдарлама паспорты\n\n"
        "Бағдарлама 2010 жылы бекітілді.\n\n"
        "4. Бағдарламаның мақсаты мен міндеттері\n\n"
        "3) «Электрондық үкіметті» дамыту\n\n"
        "Электрондық үкімет порталы 2006 жылы іске қосылды. Қызметтер саны өсті.\n\n"
        "5. Қаржыландыру\n\n"
        "Бағдарламаға 12 млн. теңге бөлінді."
    )
    chunks = chunk_document(doc(text, "«Ақпаратты Қазақстан – 2020»"), 600)
    by_sentence = {s: c for c in chunks for s in ("2006 жылы", "12 млн.") if s in c.text}
    first = by_sentence["2006 жылы"].section
    assert first[0] == "«Ақпаратты Қазақстан – 2020»"
    assert "4. Бағдарламаның мақсаты мен міндеттері" in first and first[-1] == "3) «Электрондық үкіметті» дамыту"
    second = by_sentence["12 млн."].section
    assert second[-1] == "5. Қаржыландыру" and "3) «Электрондық үкіметті» дамыту" not in second


def test_a_numbered_heading_after_a_title_heading_keeps_its_level() -> None:
    text = (
        "Анықтама\n\n4. Мақсаттар\n\n3) «Электрондық үкіметті» дамыту\n\nПортал 2006 жылы іске қосылды.\n\n"
        "5. Қаржыландыру\n\nБағдарламаға 12 млн. теңге бөлінді."
    )
    sections = [c.section for c in chunk_document(doc(text), 600)]
    assert ("Тест", "Анықтама", "4. Мақсаттар", "3) «Электрондық үкіметті» дамыту") in sections
    assert ("Тест", "Анықтама", "5. Қаржыландыру") in sections  # the sibling of "4." sits at the same depth


def test_real_programme_section_path_reaches_the_sub_item() -> None:
    chunks = chunk_document(DOCUMENTS["corpus/aqparatty-qazaqstan-2020.txt"], SIZE)
    paths = [c.section for c in chunks if c.section[-1] == "3) «Электрондық үкіметті» дамыту"]
    assert paths and all(p[0].startswith("«Ақпаратты Қазақстан – 2020»") and len(p) >= 3 for p in paths)


def test_cited_section_path_leaves_out_a_first_heading_that_repeats_the_title() -> None:
    title = "«Ақпаратты Қазақстан – 2020» мемлекеттік бағдарламасы"
    repeated = Chunk(0, "d", 0, 1, "x", (title, "«АҚПАРАТТЫ ҚАЗАҚСТАН - 2020»  мемлекеттік бағдарламасы", "4. Мақсаты"))
    assert repeated.section_path == f"{title} › 4. Мақсаты"
    other = Chunk(0, "d", 0, 1, "x", (title, "«Ақпаратты Қазақстан – 2030»", "4. Мақсаты"))
    assert other.section_path == " › ".join(other.section)  # a different heading stays
    assert Chunk(0, "d", 0, 1, "x", (title, title)).section_path == title
    chunks = chunk_document(DOCUMENTS["corpus/aqparatty-qazaqstan-2020.txt"], SIZE)
    assert all(c.section_path.count("Ақпаратты Қазақстан") == 1 for c in chunks if len(c.section) > 1)
    assert any(len(c.section) > 2 and c.section[1] != c.section[0] for c in chunks)  # the stored path is untouched


def test_a_unit_longer_than_the_limit_is_cut_at_spaces_with_exact_offsets() -> None:
    sentence = " ".join(["ақпараттандыру"] * 80) + "."
    d = doc(sentence)
    chunks = chunk_document(d, 200)
    assert len(chunks) > 1 and all(len(c.text) <= 200 for c in chunks)
    assert all(c.text == sentence[c.start : c.end] and not c.text.startswith(" ") for c in chunks)
