"""Text extraction for ingestion: real files made by the tests with reportlab, python-docx and plain HTML."""

from __future__ import annotations

from pathlib import Path

import docx
import matplotlib
import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from index.errors import JauapError
from index.formats import SUPPORTED_SUFFIXES, UnreadableDocumentError, extract_text

KK = "«Электрондық үкімет» порталын күн сайын 25 000-нан астам азамат пайдаланады."
RU = "Единый контакт-центр 1414 консультирует граждан по государственным услугам."
KK_LONG = (
    "Халыққа қызмет көрсету орталықтары (ХҚКО) азаматтарға мемлекеттік қызметтерді бір терезе қағидаты бойынша "
    "көрсетеді. Құжаттарды тапсыру үшін жеке куәлік қажет, ал кейбір қызметтер тек электрондық түрде ғана беріледі. "
    "Электрондық цифрлық қолтаңба порталда өтініш беруге мүмкіндік береді және оны ХҚКО-дан алуға болады."
)


def _make_pdf(path: Path, pages: list[list[str]], encrypt: str | None = None) -> Path:
    """A text PDF in a Cyrillic-capable font (matplotlib ships DejaVu Sans, so no system font is needed)."""
    font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(font)))
    pdf = canvas.Canvas(str(path), encrypt=encrypt)
    for lines in pages:
        pdf.setFont("DejaVuSans", 10)
        for i, line in enumerate(lines):
            pdf.drawString(50, 780 - 16 * i, line)
        pdf.showPage()
    pdf.save()
    return path


def _squash(text: str) -> str:
    return " ".join(text.split())


def test_pdf_pages_are_extracted_in_order_with_cyrillic_intact(tmp_path: Path) -> None:
    path = _make_pdf(tmp_path / "doc.pdf", [[KK], [RU]])
    text = extract_text(path)
    assert KK in _squash(text)
    assert RU in _squash(text)
    assert text.index("1414") > text.index("25 000")
    assert "\n\n" in text  # pages are separated so the chunker sees a boundary


def test_pdf_with_a_user_password_is_unreadable(tmp_path: Path) -> None:
    path = _make_pdf(tmp_path / "secret.pdf", [[KK]], encrypt="s3cret")
    assert PdfReader(path).is_encrypted
    with pytest.raises(UnreadableDocumentError, match="encrypted"):
        extract_text(path)


def test_pdf_restricted_only_by_an_owner_password_is_read(tmp_path: Path) -> None:
    plain = _make_pdf(tmp_path / "plain.pdf", [[RU]])
    writer = PdfWriter(clone_from=plain)
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    restricted = tmp_path / "restricted.pdf"
    with restricted.open("wb") as fh:
        writer.write(fh)
    assert PdfReader(restricted).is_encrypted
    assert RU in _squash(extract_text(restricted))


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.4\nthis is not really a pdf\n%%EOF", b"", b"\x00\xff" * 100],
    ids=["garbage", "empty", "binary"],
)
def test_corrupt_pdf_raises_a_domain_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(content)
    with pytest.raises(UnreadableDocumentError) as err:
        extract_text(path)
    assert isinstance(err.value, JauapError)
    assert "broken.pdf" in str(err.value)


def test_truncated_pdf_raises_a_domain_error(tmp_path: Path) -> None:
    good = _make_pdf(tmp_path / "good.pdf", [[KK]]).read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(good[: len(good) // 3])
    with pytest.raises(UnreadableDocumentError):
        extract_text(path)


def test_docx_keeps_paragraphs_and_tables_in_document_order(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("Мемлекеттік қызметтер", level=1)
    document.add_paragraph(KK)
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate([("Қызмет", "Мерзімі", "Құны"), ("Анықтама", "1 күн", "тегін"), ("ЭЦҚ", "15 минут", "")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    merged = document.add_table(rows=1, cols=3)
    merged.cell(0, 0).merge(merged.cell(0, 1)).text = "Біріктірілген"
    merged.cell(0, 2).text = "соңғы"
    document.add_paragraph(RU)
    path = tmp_path / "services.docx"
    document.save(str(path))

    lines = extract_text(path).splitlines()
    assert lines[0] == "Мемлекеттік қызметтер"
    assert "Қызмет\tМерзімі\tҚұны" in lines
    assert "Анықтама\t1 күн\tтегін" in lines
    assert "Біріктірілген\tсоңғы" in lines  # a merged cell appears once
    assert lines.index(KK) < lines.index("Қызмет\tМерзімі\tҚұны") < lines.index(RU)


def test_broken_docx_raises_a_domain_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 not a real zip archive")
    with pytest.raises(UnreadableDocumentError, match="broken DOCX"):
        extract_text(path)


PAGE = f"""<!doctype html>
<html lang="kk"><head><meta charset="utf-8"><title>ХҚКО</title>
<script>var tracking = "ANALYTICS_SECRET";</script><style>.menu {{ color: red }}</style></head>
<body>
<header><nav><ul><li><a href="/">Басты бет</a></li><li><a href="/news">Жаңалықтар</a></li>
<li><a href="/login">МЕНЮ_КІРУ</a></li></ul></nav></header>
<main><article>
<h1>Халыққа қызмет көрсету орталықтары</h1>
<p>{KK_LONG}</p>
<p>{KK} Порталдағы қызметтердің саны жыл сайын артып келеді, ал азаматтар оларды үйден шықпай алады.</p>
<p>{RU} Звонок на номер 1414 бесплатный со стационарных телефонов по всему Казахстану.</p>
</article></main>
<footer><p>© 2024 FOOTER_COPYRIGHT Барлық құқықтар қорғалған</p></footer>
</body></html>"""


def test_html_page_yields_its_main_text_without_scripts_or_navigation(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(PAGE, encoding="utf-8")
    text = _squash(extract_text(path))
    assert KK_LONG in text
    assert RU in text
    assert "ANALYTICS_SECRET" not in text
    assert "color: red" not in text
    assert "МЕНЮ_КІРУ" not in text


def test_html_tables_become_tab_separated_rows(tmp_path: Path) -> None:
    table = (
        "<table><tr><th>Қызмет</th><th>Мерзімі</th></tr><tr><td>Мекенжай анықтамасы</td><td>1 күн</td></tr>"
        "<tr><td>ЭЦҚ алу</td><td>15 минут</td></tr></table>"
    )
    path = tmp_path / "table.html"
    path.write_text(PAGE.replace("</article>", table + "</article>"), encoding="utf-8")
    lines = extract_text(path).splitlines()
    assert "Мекенжай анықтамасы\t1 күн" in lines and "ЭЦҚ алу\t15 минут" in lines
    assert not any(set(line) <= set("|-: ") for line in lines)  # no Markdown table rule left behind


def test_html_without_a_main_article_falls_back_to_visible_text(tmp_path: Path) -> None:
    path = tmp_path / "tiny.htm"
    path.write_bytes(
        "<html><head><meta charset='windows-1251'><script>SCRIPT_CODE()</script></head>"
        "<body><table><tr><td>1414</td><td>контакт-центр</td></tr></table></body></html>".encode("cp1251")
    )
    text = extract_text(path)
    assert "1414" in text and "контакт-центр" in text
    assert "SCRIPT_CODE" not in text


def test_text_with_utf8_bom_loses_the_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + KK.encode("utf-8"))
    assert extract_text(path) == KK


def test_russian_text_in_windows_1251_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "legacy.md"
    text = f"# Справка\n{RU}\nЦентры обслуживания населения (ЦОН) работают по будням.\n"
    path.write_bytes(text.encode("cp1251"))
    assert extract_text(path) == text


def test_kazakh_text_in_kz1048_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "legacy-kk.txt"
    path.write_bytes(KK_LONG.encode("kz1048"))
    assert extract_text(path) == KK_LONG


def test_undecodable_text_is_reported_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "mystery.txt"
    path.write_bytes(b"plain ascii then \xff\xfe\x81\x98 noise \x9d\x8f")
    with pytest.raises(UnreadableDocumentError, match="UTF-8"):
        extract_text(path)


def test_unsupported_and_empty_files_are_rejected(tmp_path: Path) -> None:
    odt = tmp_path / "doc.odt"
    odt.write_bytes(b"whatever")
    with pytest.raises(UnreadableDocumentError, match="unsupported"):
        extract_text(odt)
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(UnreadableDocumentError, match="no text"):
        extract_text(empty)
    assert {".txt", ".md", ".pdf", ".docx", ".html", ".htm"} <= SUPPORTED_SUFFIXES


def test_pdf_docx_and_html_index_and_cite_exact_offsets_while_a_broken_pdf_is_skipped(tmp_path: Path) -> None:
    from config import Settings
    from index.build import build_index
    from index.service import build_service

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _make_pdf(corpus / "contact-centre.pdf", [[RU, "Звонок на номер 1414 бесплатный."], [KK]])
    document = docx.Document()
    document.add_paragraph("Анықтамалар беру мерзімдері туралы")
    table = document.add_table(rows=2, cols=2)
    for r, row in enumerate([("Мекенжай анықтамасы", "бір жұмыс күні"), ("Соттылық туралы анықтама", "бес күн")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.save(str(corpus / "certificates.docx"))
    (corpus / "con-page.html").write_text(PAGE, encoding="utf-8")
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n%%EOF")
    settings = Settings.of(
        corpus_dir=corpus, index_dir=tmp_path / "index", embedder="hash", curated_file=tmp_path / "none.toml"
    )

    report = build_index(settings)
    assert "broken.pdf" in report.skipped and "broken" in report.skipped["broken.pdf"].lower()
    service = build_service(settings)
    assert {d.id for d in service.documents()} == {"contact-centre.pdf", "certificates.docx", "con-page.html"}

    for query, doc, expected in [
        ("контакт-центр 1414 консультирует граждан", "contact-centre.pdf", "1414"),
        ("Соттылық туралы анықтама мерзімі", "certificates.docx", "Соттылық туралы анықтама\tбес күн"),
        ("ХҚКО бір терезе қағидаты", "con-page.html", "бір терезе қағидаты"),
    ]:
        top = service.search(query, k=3)[0]
        assert top.doc == doc, (query, top)
        assert expected in top.text
        assert service.document(doc).text[top.start : top.end] == top.text
