"""Question understanding: Latin / plain-keyboard / look-alike / typo restoration, language, personal numbers."""

from __future__ import annotations

import pytest

from index.errors import BadQuestionError
from index.query import analyse_question, clean_question, detect_lang
from index.text import analyse
from index.vocabulary import Vocabulary

CORPUS = [
    "«Электрондық үкімет» порталын күн сайын 25 000-нан астам азамат пайдаланады.",
    "Тұрғындарға және бизнеске 1 млн. астам электрондық цифрлық қолтаңба берілді.",
    "Қазақстан Республикасында компьютерлік сауаттылық деңгейі 2020 жылы 80 % болуы тиіс.",
    "Мемлекеттік қызметтер бойынша кеңес алу үшін 1414 нөміріне хабарласуға болады.",
    "Интернетке қосылу қызметін 388 компания көрсетеді, ал компьютер курсының тыңдаушылары ғаламтор қолданады.",
]
VOCAB = Vocabulary(CORPUS)


def ask(question: str):
    return analyse_question(question, VOCAB, prefix=5)


def corpus_keys() -> set[str]:
    return {k for text in CORPUS for k in analyse(text, 5)}


@pytest.mark.parametrize(
    ("typed", "restored_word"),
    [
        ("Elektrondyq ükımet portalyn kün saiyn qanşa azamat paidalanady?", "электрондық"),  # 2021 Latin
        ("Elektrondyk ukimet portalyn kun saiyn kansha azamat paidalanady?", "электрондық"),  # informal Latin
        ("Электрондык укимет порталын кун сайын канша азамат пайдаланады?", "электрондық"),  # plain keyboard
        ("Электрондық үкiмет порталын күн сайын қанша азамат пайдаланады?", "үкімет"),  # Latin i look-alike
    ],
)
def test_every_way_of_typing_lands_on_the_corpus_words(typed: str, restored_word: str) -> None:
    q = ask(typed)
    assert restored_word in q.restored.lower()
    assert {"електр", "укиме", "порта", "азама", "паида"} & set(q.tokens) <= corpus_keys()
    assert {"укиме", "порта", "азама"} <= set(q.tokens)
    assert q.lang == "kk"


def test_turkic_capital_i_in_a_latin_question() -> None:
    q = ask("İSKE QOSYLDY MA PORTAL?")
    assert "порта" in q.tokens and q.lang == "kk"


def test_a_misspelt_long_word_is_corrected_to_the_corpus_word() -> None:
    q = ask("Компютерлік сауатылық деңгейі қанша?")
    assert "компи" in q.tokens  # компютерлік → компьютерлік
    assert VOCAB.restore("сауатылық").surface == "сауаттылық"


def test_a_short_unknown_word_is_not_forced_onto_a_corpus_word() -> None:
    assert VOCAB.restore("канша").key == ""  # too short to correct safely: no "қана" for "қанша"


def test_russian_questions_are_recognised_and_left_as_typed() -> None:
    q = ask("Сколько граждан пользуются порталом электронного правительства?")
    assert q.lang == "ru"
    assert q.restored == q.text
    assert detect_lang("Қанша азамат пайдаланады?") == "kk"
    assert detect_lang("Kansha azamat paidalanady?") == "kk"


def test_one_word_with_a_kazakh_letter_does_not_stop_plain_keyboard_restoration() -> None:
    q = ask("Тургындар мен касипкерлерге канша колтанба берилди? Менің ИИН")
    assert "тұрғындар" in q.restored.lower() or "тұрғындарға" in q.restored.lower()


def test_plain_keyboard_words_with_unseen_endings_are_spelt_like_the_corpus() -> None:
    q = ask("Канша компаниялар интернетке косылу кызметин усынады, курсындагылар галамторды колдана ма?")
    restored = q.restored.lower()
    # Russian loans keep their spelling (vowel harmony alone would make көмпәнія, құрсындағылар), Kazakh words get
    # their letters back from the corpus
    assert "компаниялар" in restored and "курсындағылар" in restored and "ғаламторды" in restored
    assert {"компа", "курсы", "галам"} <= set(q.tokens)
    # a Latin word with an unseen ending is transliterated, not respelt through the Cyrillic corpus word
    assert "порталдарын" in ask("Portaldaryn kansha azamat paidalanady?").restored.lower()


def test_an_acronym_the_corpus_never_uses_is_left_as_typed() -> None:
    q = ask("ITU indeksinde Qazaqstannyñ orny qalai özgerdı?")
    assert q.restored.startswith("ITU ") and "қалай" in q.restored  # the Kazakh Latin words still turn Cyrillic
    assert ask("ТМД мен ITU деректері бойынша компания саны қанша?").restored.count("ITU") == 1


def test_iin_and_phone_numbers_are_dropped_from_the_question() -> None:
    text = clean_question("Менің ЖСН 900101300123, тел. +7 701 123 45 67: порталды кім пайдаланады?", 1000)
    assert "900101300123" not in text and "701" not in text
    assert "порталды" in text
    assert "15 584 676" in clean_question("15 584 676 мың теңге қайда?", 1000)


def test_markup_and_control_characters_are_removed() -> None:
    text = clean_question("<b>Портал</b>\x00 <img src=x onerror=alert(1)> қашан &amp; қалай?", 1000)
    assert text == "Портал қашан & қалай?"


@pytest.mark.parametrize("bad", ["", "   ", "???", "<br><br>", None, 42, "а" * 1001])
def test_unsearchable_questions_are_refused_with_a_clear_error(bad: object) -> None:
    with pytest.raises(BadQuestionError):
        clean_question(bad, 1000)
