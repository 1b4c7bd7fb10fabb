"""QAService on the tiny corpus (real FAISS + bm25s, the fake hash embedder): answers, citations, search, catalogue,
and what happens to questions that are not clean text."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from index.errors import BadQuestionError, UnknownDocumentError
from index.models import Answer
from index.service import QAService
from index.target_match import answer_from_targets
from index.target_store import book_for

PORTAL = "«Электрондық үкімет» порталын күн сайын қанша азамат пайдаланады?"
CONTACT = "Мемлекеттік қызметтер бойынша кеңес алу үшін қай нөмірге хабарласу керек?"
TARIFF = "На сколько процентов снизили тарифы на интернет?"


def assert_exact(service: QAService, answer: Answer) -> None:
    for c in answer.citations:
        text = service.document(c.doc).text
        assert c.text == text[c.start : c.end]
        for a, b in c.matches:
            assert 0 <= a < b <= len(c.text)
    if answer.answer:
        a = answer.answer
        assert a.text == service.document(a.doc).text[a.start : a.end]


@pytest.mark.parametrize(
    ("question", "doc", "needle"),
    [
        (PORTAL, "egov-portal.txt", "25 000"),
        (CONTACT, "egov-portal.txt", "1414"),
        (TARIFF, "tariffs-ru.txt", "6 процентов"),
        ("ХҚКО қанша мемлекеттік қызмет көрсетті?", "con-centres.txt", "29 млн"),
    ],
)
def test_ask_answers_with_a_span_inside_a_top_citation(
    service: QAService, question: str, doc: str, needle: str
) -> None:
    answer = service.ask(question)
    assert not answer.abstained and answer.answer is not None
    assert answer.citations[0].doc == doc and needle in answer.answer.text
    assert_exact(service, answer)
    span = answer.answer
    assert any(c.doc == span.doc and c.start <= span.start < span.end <= c.end for c in answer.citations[:3])
    assert 0.0 <= answer.confidence <= 1.0 and answer.question == question


def test_citations_are_ranked_by_score_and_limited_by_top_k(service: QAService) -> None:
    answer = service.ask(PORTAL)
    scores = [c.score for c in answer.citations]
    assert scores == sorted(scores, reverse=True) and len(scores) <= service.settings.retrieval.top_k
    assert len({(c.doc, c.start) for c in answer.citations}) == len(answer.citations)
    assert len(service.ask(PORTAL, top_k=2).citations) <= 2
    assert service.ask(PORTAL, top_k=2).citations == answer.citations[:2]


def test_citations_carry_title_section_and_matched_words(service: QAService) -> None:
    top = service.ask(CONTACT).citations[0]
    assert top.title == "«Электрондық үкімет» порталы"  # from the catalogue
    assert top.section.startswith("«Электрондық үкімет» порталы") and "Байланыс орталығы" in top.section
    matched = {top.text[a:b].lower() for a, b in top.matches}
    assert {"мемлекеттік", "қызметтер", "кеңес"} <= matched


def test_answers_are_deterministic(service: QAService) -> None:
    assert service.ask(PORTAL) == service.ask(PORTAL)


def test_to_dict_is_the_contract_object(service: QAService) -> None:
    d = service.ask(TARIFF).to_dict()
    assert set(d) == {"abstained", "answer", "citations"}
    assert set(d["answer"]) == {"doc", "start", "end", "text"}
    assert all(set(c) == {"doc", "start", "end", "text", "section", "score"} for c in d["citations"])


def test_latin_and_plain_keyboard_questions_find_the_same_passage(service: QAService) -> None:
    expected = service.ask(PORTAL).citations[0]
    for typed in (
        "Elektrondyq ükimet portalyn kün saiyn qanşa azamat paidalanady?",
        "Электрондык укимет порталын кун сайын канша азамат пайдаланады?",
    ):
        top = service.ask(typed).citations[0]
        assert (top.doc, top.start) == (expected.doc, expected.start), typed


def test_search_ranks_passages_and_filters_by_document(service: QAService) -> None:
    everywhere = service.search("мемлекеттік қызмет", k=10)
    assert len({c.doc for c in everywhere}) >= 2
    only = service.search("мемлекеттік қызмет", k=10, doc="con-centres.txt")
    assert only and all(c.doc == "con-centres.txt" for c in only)
    assert [c.start for c in only] == [c.start for c in everywhere if c.doc == "con-centres.txt"]
    assert len(service.search("мемлекеттік қызмет", k=1)) == 1
    assert all(c.doc == "tariffs-ru.txt" for c in service.search(PORTAL, doc="tariffs-ru.txt"))


def test_documents_and_document(service: QAService) -> None:
    infos = {d.id: d for d in service.documents()}
    assert set(infos) == {"con-centres.txt", "egov-portal.txt", "tariffs-ru.txt"}
    assert infos["egov-portal.txt"].title("ru") == "Портал «Электронное правительство»"
    assert infos["tariffs-ru.txt"].title_kk == "Тарифы на доступ к сети Интернет"  # no catalogue entry: first line
    assert service.document("egov-portal.txt").text.startswith("«Электрондық үкімет» порталы туралы анықтама")


@pytest.mark.parametrize("doc", ["nope.txt", "", "../corpus/egov-portal.txt", "EGOV-PORTAL.TXT"])
def test_unknown_document_is_a_clear_error(service: QAService, doc: str) -> None:
    with pytest.raises(UnknownDocumentError, match="Unknown document") as info:
        service.document(doc)
    assert isinstance(info.value, KeyError) and str(info.value) == f"Unknown document: {doc!r}"


@pytest.mark.parametrize(
    "dirty",
    [
        "<b>Мемлекеттік қызметтер</b> бойынша <i>кеңес</i> алу үшін қай нөмірге хабарласу керек?",
        "<script>alert(1)</script>Мемлекеттік қызметтер бойынша кеңес алу үшін қай нөмірге хабарласу керек?",
        "Мемлекеттік\x00 қызметтер\x07 бойынша\x1b кеңес\r\n алу үшін\tқай нөмірге хабарласу керек?\x7f",
        "Мемлекеттік&nbsp;қызметтер бойынша кеңес алу үшін қай нөмірге хабарласу керек&#63;",
    ],
)
def test_markup_and_control_characters_are_cleaned(service: QAService, dirty: str) -> None:
    query = service.analyse(dirty)
    assert "<" not in query.text and not any(ord(ch) < 32 or ord(ch) == 127 for ch in query.text)
    answer = service.ask(dirty)
    assert answer.citations[0].doc == "egov-portal.txt" and answer.answer and "1414" in answer.answer.text
    assert answer.question == dirty  # the original is kept for logs and the reply


@pytest.mark.parametrize("bad", ["", "   ", "?!…", "<b></b>", "\x00\x01\x02", "-- ... ?? !!", "<p>?</p>"])
def test_questions_without_words_are_rejected(service: QAService, bad: str) -> None:
    with pytest.raises(BadQuestionError, match="empty"):
        service.ask(bad)


@pytest.mark.parametrize("bad", [None, 42, b"1414", ["1414"]])
def test_questions_that_are_not_text_are_rejected(service: QAService, bad: object) -> None:
    with pytest.raises(BadQuestionError, match="text"):
        service.ask(bad)  # type: ignore[arg-type]


def test_question_length_limit(service: QAService) -> None:
    limit = service.settings.retrieval.max_question_chars
    ok = ("1414 " * limit)[:limit]
    assert service.ask(ok).citations
    with pytest.raises(BadQuestionError, match=f"at most {limit}"):
        service.ask("а" * (limit + 1))
    with pytest.raises(BadQuestionError, match=f"at most {limit}"):
        service.ask("а" * (limit * 10))
    with pytest.raises(ValueError):  # BadQuestionError is a ValueError for callers that only know that
        service.search("")


def test_concurrent_asks_give_the_same_answers_as_sequential_ones(service: QAService) -> None:
    questions = [PORTAL, CONTACT, TARIFF] * 8
    expected = [service.ask(q) for q in questions]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(service.ask, questions)) == expected


class _PreferDocument:
    """A reranker that scores passages of one document highest: its order must win over the fused one."""

    def __init__(self, doc_text_marker: str) -> None:
        self.marker = doc_text_marker
        self.calls = 0

    def rerank(self, question: str, passages: list[str]) -> list[float]:
        self.calls += 1
        return [1.0 if self.marker in p else 0.0 for p in passages]


def test_reranker_stage_reorders_the_fused_passages(service) -> None:
    question = "«Электрондық үкімет» порталын күн сайын қанша азамат пайдаланады?"
    plain = service.search(question, k=5)
    assert "Мегалайн" not in plain[0].text
    reranker = _PreferDocument("Мегалайн")
    reranked = QAService(service.index, service.embedder, service.settings, reranker=reranker).search(question, k=5)
    assert reranker.calls == 1
    assert "Мегалайн" in reranked[0].text


def test_unknown_reranker_spec_is_a_clear_error() -> None:
    from index.errors import JauapError
    from index.rerank import make_reranker

    assert make_reranker("") is None
    with pytest.raises(JauapError, match="Unknown reranker"):
        make_reranker("bogus")


def test_adjacent_retrieved_chunks_are_cited_as_one_passage(tmp_path, settings_factory) -> None:
    from index.build import build_index
    from index.service import build_service

    settings = settings_factory(tmp_path, chunk_chars=200)
    build_index(settings)
    joined = build_service(settings)
    chunk_ranges = {(c.doc, c.start, c.end) for c in joined.index.chunks}
    citations = joined.ask(PORTAL).citations
    assert_exact(joined, joined.ask(PORTAL))
    spans_two = [c for c in citations if (c.doc, c.start, c.end) not in chunk_ranges]
    assert spans_two, "some neighbouring chunks were both retrieved and should have been joined"
    for c in spans_two:
        inside = [r for r in chunk_ranges if r[0] == c.doc and c.start <= r[1] < r[2] <= c.end]
        assert len(inside) >= 2 and c.end - c.start <= settings.retrieval.citation_chars
    # no two citations overlap
    for a in citations:
        for b in citations:
            if a is not b and a.doc == b.doc:
                assert a.end < b.start or b.end < a.start

    apart = build_service(settings_factory(tmp_path, chunk_chars=200, citation_chars=150))
    assert all((c.doc, c.start, c.end) in chunk_ranges for c in apart.ask(PORTAL).citations)


def test_a_citation_cut_inside_a_list_runs_on_to_the_list_end(tmp_path, settings_factory) -> None:
    from index.build import build_index
    from index.service import build_service

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = (
        "Қаржыландыру көздері\n\n"
        "Бағдарламаның инвестициялық жобаларын қаржыландыру үшін мынадай көздер пайдаланылады:\n"
        "1) жеке меншік ішкі және сыртқы инвесторлардың қаражаты;\n"
        "2) ұлттық холдингтер мен ұлттық компаниялардың қаражаты;\n"
        "3) республикалық және жергілікті бюджет қаражаты.\n"
        "Бағдарламаны іске асыруды уәкілетті орган үйлестіреді."
    )
    (corpus / "funds.txt").write_text(text, encoding="utf-8")
    question = "Инвестициялық жобаларды қаржыландыру көздері қандай?"

    def first_citation(citation_chars: int):
        settings = settings_factory(tmp_path, corpus=corpus, chunk_chars=200, citation_chars=citation_chars)
        build_index(settings)
        service = build_service(settings)
        [head, rest] = service.index.chunks[:2]
        assert head.text.endswith("инвесторлардың қаражаты;") and rest.start > head.end  # the boundary cuts the list
        [cited] = service.search(question, k=1)
        assert cited.start == head.start and cited.text == text[cited.start : cited.end]
        return cited

    # the two chunks are too long to be cited together (326 > 280 characters), the list alone is not
    assert first_citation(280).text.endswith("3) республикалық және жергілікті бюджет қаражаты.")
    assert first_citation(170).text.endswith("инвесторлардың қаражаты;")  # no room: the chunk as it is


@pytest.mark.parametrize(
    "question",
    [
        "2020 жылы компьютерлік сауаттылық деңгейі қандай болуы тиіс?",
        "Компьютерлик сауаттылык денгейи 2020 жылы канша болуы керек?",
    ],
)
def test_a_question_for_a_programme_target_is_answered_by_its_row(service: QAService, question: str) -> None:
    answer = service.ask(question)
    assert answer.target is not None and not answer.abstained
    assert [(r.year, r.value) for r in answer.target.rows] == [(2020, 80.0)]
    text = service.document(answer.answer.doc).text
    assert text[answer.answer.start : answer.answer.end] == answer.answer.text
    assert "80 %" in answer.answer.text
    # the passage that holds the row is cited first, where the reader looks for the highlighted answer
    first = answer.citations[0]
    assert first.doc == answer.answer.doc and first.start <= answer.answer.start < first.end


def test_a_question_that_names_no_indicator_gets_no_target(service: QAService) -> None:
    assert service.ask("Байланыс орталығы қашан жұмыс істейді?").target is None


PROGRAMME = (
    "Міндеті: ақпараттық қоғамды дамыту. Нысаналы индикаторлар: 1) халықтың компьютерлік сауаттылық деңгейі "
    "2020 жылы - 80 %; 2) мемлекеттік органдардың ақпараттық жүйелерінің саны 2020 жылы - 120. Қол жеткізу жолдары"
)


def _service_over(tmp_path, settings_factory, docs: dict[str, str], **overrides) -> tuple[QAService, object]:
    """A service over a corpus of these documents (the hash embedder), and its settings."""
    from index.build import build_index
    from index.service import build_service

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in docs.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = settings_factory(tmp_path, corpus=corpus, **overrides)
    build_index(settings)
    return build_service(settings), settings


def test_a_target_answer_is_cited_first_even_when_another_passage_ranks_higher(tmp_path, settings_factory) -> None:
    review = (  # repeats the question's words, states no target: ranked first
        "Компьютерлік сауаттылық деңгейі\n\n"
        "Компьютерлік сауаттылық деңгейі туралы сұрақ жиі қойылады: компьютерлік сауаттылық деңгейі қандай болуы "
        "тиіс, компьютерлік сауаттылық деңгейі қалай өлшенеді, компьютерлік сауаттылық деңгейі неге маңызды."
    )
    service, _ = _service_over(tmp_path, settings_factory, {"review.txt": review, "programme.txt": PROGRAMME})
    question = "2020 жылы компьютерлік сауаттылық деңгейі қандай болуы тиіс?"
    ranked = service.search(question)
    assert ranked[0].doc == "review.txt"  # what the retrievers alone put first
    answer = service.ask(question)
    assert answer.target is not None and "80 %" in answer.answer.text
    first = answer.citations[0]  # the reader finds the highlighted row in the first passage
    assert first.doc == "programme.txt" and first.start <= answer.answer.start < first.end
    assert sorted((c.doc, c.start) for c in answer.citations) == sorted((c.doc, c.start) for c in ranked)


def test_an_answer_the_normal_path_takes_from_a_target_statement_shows_its_row(tmp_path, settings_factory) -> None:
    from index.service import build_service

    service, settings = _service_over(tmp_path, settings_factory, {"programme.txt": PROGRAMME})
    question = "Компьютерлік сауаттылық деңгейі бойынша бағдарлама не көздейді?"  # no figure asked: no indicator match
    assert answer_from_targets(question, book_for(service).index) is None
    answer = service.ask(question)
    assert answer.answer is not None and "80 %" in answer.answer.text
    assert answer.target is not None and [(r.year, r.value) for r in answer.target.rows] == [(2020, 80.0)]
    plain = build_service(settings.replace(target_answers=False)).ask(question)
    assert plain.answer == answer.answer and plain.target is None  # the setting turns rows off, not the answer
