"""The rows stored at build time, the fallback for older indexes, and the `targets` command."""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import subprocess
import sys
from pathlib import Path

from config import Settings
from index.store import TARGETS
from index.target_store import TargetBook, book_for, extract_corpus, load_rows, to_csv

ROOT = Path(__file__).resolve().parents[2]


def test_build_stores_the_rows_beside_the_index(index_settings: Settings, service) -> None:
    rows = load_rows(index_settings.retrieval.index_dir)
    assert rows is not None and rows == extract_corpus([service.document(i.id) for i in service.documents()])
    assert book_for(service).rows == rows
    assert book_for(service) is book_for(service)  # built once a service


def test_an_index_without_the_file_extracts_from_its_documents(tmp_path: Path, service) -> None:
    assert load_rows(tmp_path) is None

    class Older:  # an index built before targets existed: no targets.jsonl in its folder
        index = type("I", (), {"path": tmp_path})()
        documents = service.documents
        document = service.document

    older = Older()
    assert book_for(older).rows == book_for(service).rows
    assert not (tmp_path / TARGETS).exists()


def test_filters_and_csv(service) -> None:
    book = TargetBook(book_for(service).rows)
    assert [r.year for r in book.filter(year=2020)] == [2020, 2020]
    assert book.filter(q="ең көп уақыт")[0].unit == "жұмыс күні"
    assert book.filter(q="xyzzy") == []
    lines = to_csv(book.filter()).splitlines()
    assert lines[0].startswith("doc,indicator,year,value") and len(lines) == 3


def test_targets_command_prints_a_table_and_scores_a_fixture(tmp_path: Path) -> None:
    env = {**os.environ, "JAUAP_CORPUS_DIR": str(ROOT / "tests/data/corpus"), "JAUAP_INDEX_DIR": str(tmp_path / "i"),
           "COLUMNS": "200", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "index", "targets", "--year", "2020"], capture_output=True, env=env,
                         cwd=ROOT, timeout=120, check=False)
    assert run.returncode == 0, run.stderr.decode()
    out = run.stdout.decode()
    assert "компьютерлік сауаттылық деңгейі" in out and "≤ 3 жұмыс күні" in out
    bad = subprocess.run([sys.executable, "-m", "index", "targets", "--doc", "nope.txt"], capture_output=True,
                         env=env, cwd=ROOT, timeout=120, check=False)
    assert bad.returncode == 2 and "Unknown document" in bad.stderr.decode()


def test_override_evaluation_counts_answers_before_and_with_targets(index_settings: Settings, service) -> None:
    from index.service import build_service
    from index.target_eval import evaluate_override

    before = build_service(index_settings.replace(target_answers=False), embedder=service.embedder)
    texts = {i.id: service.document(i.id).text for i in service.documents()}
    gold = "2) мемлекеттік қызмет көрсетудің ең көп уақыты 2020 жылы - 3 жұмыс күнінен аспайды"
    questions = [
        {"question": "Мемлекеттік қызмет көрсетудің ең көп уақыты 2020 жылы қанша күн болуы тиіс?",
         "doc": "egov-portal.txt", "gold": [gold], "type": "target"},
        {"question": "Порталда тіркелу үшін қанша теңге төлеу керек?", "doc": "", "gold": [], "type": "unanswerable"},
    ]
    result = evaluate_override(before, service, questions, texts)
    assert result["target"][0] == 1 and result["target"][2] == 1  # the target row answers it
    assert result["target_answers"]["fired"] >= 1 and result["target_answers"]["right"] >= 1
    assert before.ask(questions[0]["question"]).target is None  # target answers off: no rows either


def test_a_damaged_or_foreign_targets_file_is_ignored(tmp_path: Path) -> None:
    (tmp_path / TARGETS).write_text('{"doc": "a.txt", "unknown_field": 1}\n', encoding="utf-8")
    assert load_rows(tmp_path) is None
    (tmp_path / TARGETS).write_text("not json\n", encoding="utf-8")
    assert load_rows(tmp_path) is None


def test_csv_cells_never_run_as_formulas(service) -> None:
    row = book_for(service).rows[0]
    hostile = dataclasses.replace(row, indicator="=HYPERLINK(\"http://x\")", section="+1")
    [parsed] = list(csv.DictReader(io.StringIO(to_csv([hostile]))))
    assert parsed["indicator"] == "'=HYPERLINK(\"http://x\")" and parsed["section"] == "'+1"
