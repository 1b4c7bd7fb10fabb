"""`python -m index targets`: print, export and measure the target rows (no embedder is loaded)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from config import Settings

from .documents import load_corpus
from .errors import JauapError
from .target_eval import evaluate_matcher, evaluate_override, load_expected, score_extraction
from .target_store import TargetBook, extract_corpus, load_rows, to_csv


def _book(settings: Settings) -> tuple[TargetBook, dict[str, str]]:
    """The built index's rows when there is one, else the corpus folder's rows extracted now."""
    documents = load_corpus(settings.retrieval.corpus_dir).documents
    rows = load_rows(settings.retrieval.index_dir) if settings.retrieval.index_dir.is_dir() else None
    return TargetBook(rows if rows is not None else extract_corpus(documents)), {d.id: d.text for d in documents}


def _figure(value_text: str, unit: str | None, comparison: str | None) -> str:
    sign = {">=": "≥ ", "<=": "≤ ", "top": "top "}.get(comparison or "", "")
    return sign + value_text + (f" {unit}" if unit and unit != ":1" else "")


def run_targets(
    settings: Settings, doc: str | None, year: int | None, q: str | None, fmt: str,
    score: Path | None, questions: Path | None, with_index: bool = False,
) -> None:
    book, texts = _book(settings)
    if score is not None:
        if not score.is_file():
            raise JauapError(f"No fixture at {score}.")
        typer.echo(json.dumps(score_extraction(book.rows, load_expected(score)), indent=2))
        return
    if questions is not None:
        if not questions.is_file():
            raise JauapError(f"No question file at {questions}.")
        items = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines() if line.strip()]
        result = {"matcher": evaluate_matcher(items, book.index, texts).as_dict()}
        if with_index:  # the service's answers, and what a target match would change (loads the embedder)
            from .service import build_service

            service = build_service(settings.replace(target_answers=False))  # the answers before
            served = build_service(settings.replace(target_answers=True), embedder=service.embedder)
            result["answer@1"] = evaluate_override(service, served, items, texts)
        typer.echo(json.dumps(result, indent=1))
        return
    if doc is not None and doc not in texts:
        raise JauapError(f"Unknown document {doc!r}; the corpus has: {', '.join(sorted(texts))}.")
    rows = book.filter(doc, year, q)
    if fmt == "csv":
        typer.echo(to_csv(rows), nl=False)
    elif fmt == "json":
        typer.echo(json.dumps([r.to_dict() for r in rows], ensure_ascii=False, indent=1))
    elif fmt == "table":
        table = Table(title=f"{len(rows)} target rows")
        for col in ("doc", "indicator", "year", "value", "span"):
            table.add_column(col, overflow="fold", justify="right" if col in ("year", "value") else "left")
        for r in rows:
            table.add_row(r.doc.removesuffix(".txt"), r.indicator, str(r.year or "—"),
                          _figure(r.value_text, r.unit, r.comparison), f"{r.start}–{r.end}")
        Console(width=160).print(table)
    else:
        raise JauapError(f"Unknown format {fmt!r}: table, csv or json.")
