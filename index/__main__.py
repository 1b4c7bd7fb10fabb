"""CLI: python -m index build | ask | answer --jsonl | eval | bench | report."""

from __future__ import annotations

import io
import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ops.report import report_command

from .errors import JauapError
from .settings import PROJECT_ROOT, IndexSettings

app = typer.Typer(
    add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
    help="Jauap retrieval: build the index and answer.",
)
err = Console(stderr=True)
DEV_SET = PROJECT_ROOT.parent / "shared" / "eval" / "dev.jsonl"

IndexOpt = Annotated[Path | None, typer.Option("--index", help="Index folder (default: JAUAP_INDEX_DIR).")]


def _settings(index: Path | None = None, corpus: Path | None = None) -> IndexSettings:
    overrides = {k: v for k, v in {"index_dir": index, "corpus_dir": corpus}.items() if v is not None}
    return IndexSettings(**overrides)


def _build(settings: IndexSettings, force: bool = False):
    from .build import build_index
    from .progress import build_progress

    with build_progress(err) as progress:
        report = build_index(
            settings,
            progress=lambda done, total: progress("embedding passages", done, total),
            sparse_progress=lambda done, total: progress("latent terms", done, total),
            force=force,
        )
    if report.up_to_date:
        err.print(f"[green]index up to date[/] at {report.path}: {report.documents} documents, {report.chunks} "
                  f"chunks, nothing changed ({report.seconds:.1f} s; --force rebuilds)")
    else:
        err.print(
            f"[green]index built[/] at {report.path}: {report.documents} documents, {report.chunks} chunks, "
            f"{report.embedded} passages embedded ({report.reused} from cache) in {report.seconds:.1f} s"
        )
    if report.skipped:
        err.print(f"[yellow]{len(report.skipped)} file(s) skipped[/]:")
    for name, reason in report.skipped.items():
        err.print(f"  {name}: {reason}", markup=False, highlight=False)
    return report


def _service(index: Path | None):
    """Load the index; the default one is built on first use so that `ask` works right after installing."""
    from .errors import IndexMissingError, IndexOutdatedError
    from .service import build_service

    settings = _settings(index)
    try:
        return build_service(settings)
    except (IndexMissingError, IndexOutdatedError) as exc:
        if index is not None:  # an index the user named: say what is wrong, build nothing unasked
            raise
        err.print(f"{exc}\nBuilding the default index from {settings.corpus_dir} now (once).")
    _build(settings)
    return build_service(settings)


@app.command()
def build(
    corpus: Annotated[Path | None, typer.Option(help="Corpus folder (default: JAUAP_CORPUS_DIR).")] = None,
    out: Annotated[Path | None, typer.Option(help="Index folder to write (default: JAUAP_INDEX_DIR).")] = None,
    force: Annotated[bool, typer.Option(help="Write a new version even when nothing changed.")] = False,
) -> None:
    """Build (or incrementally rebuild) the index from a corpus folder."""
    _build(_settings(out, corpus), force)


@app.command()
def ask(
    question: str,
    index: IndexOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer-contract JSON.")] = False,
    top_k: Annotated[int, typer.Option("--top-k", min=1, max=10)] = 5,
) -> None:
    """Answer one question with cited passages."""
    from .render import print_answer

    service = _service(index)
    answer = service.ask(question, top_k=top_k)
    if as_json:
        typer.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_answer(Console(), answer)


_ABSTAINED = {"abstained": True, "answer": None, "citations": []}


@app.command()
def answer(
    jsonl: Annotated[Path, typer.Option("--jsonl", help="Input lines {id, question}; '-' reads stdin.")],
    index: IndexOpt = None,
) -> None:
    """The batch answer contract: one JSON line per input line, same order (../shared/eval/README.md)."""
    if str(jsonl) != "-" and not jsonl.is_file():
        raise JauapError(f"No question file at {jsonl}.")
    service = _service(index)
    # undecodable bytes must not end the run: they become U+FFFD and that line is answered (or abstained) like any
    raw = sys.stdin.buffer if str(jsonl) == "-" else jsonl.open("rb")
    stream = io.TextIOWrapper(raw, encoding="utf-8", errors="replace")
    sys.stdout.reconfigure(encoding="utf-8")
    out = sys.stdout
    with stream:
        for n, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError:
                item = None
            if not isinstance(item, dict):
                err.print(f"line {n}: not a JSON object — answered as abstained")
                out.write(json.dumps({"id": None, **_ABSTAINED}) + "\n")
                continue
            qid = item.get("id")
            try:
                row = service.ask(item.get("question")).to_dict()
            except JauapError as exc:
                err.print(f"line {n} ({qid}): {exc}", markup=False)
                row = _ABSTAINED
            except Exception as exc:  # one bad line must not cost the answers to all the others
                logging.getLogger(__name__).exception("line %d (%s) failed", n, qid)
                err.print(f"line {n} ({qid}): internal error {type(exc).__name__} — abstained", markup=False)
                row = _ABSTAINED
            out.write(json.dumps({"id": qid, **row}, ensure_ascii=False) + "\n")
    out.flush()


@app.command("eval")
def eval_(
    questions: Annotated[Path, typer.Option(help="Question set with gold spans.")] = DEV_SET,
    index: IndexOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Per-variant quality table: hit@1, hit@5, MRR@10, answer@1, abstention."""
    from .evaluate import evaluate, load_questions

    rows = evaluate(_service(index), load_questions(questions))
    order = sorted(rows, key=lambda k: (k == "ALL", k == "unanswerable", k))
    if as_json:
        typer.echo(json.dumps({k: rows[k].as_dict() for k in order}, indent=2))
        return
    table = Table(title=f"Quality on {questions.name}")
    for col in ("variant", "n", "hit@1", "hit@5", "mrr@10", "answer@1", "abstained"):
        table.add_column(col, justify="right" if col != "variant" else "left")
    for k in order:
        d = rows[k].as_dict()
        table.add_row(k, str(d["n"]), *(f"{d[m]:.3f}" for m in ("hit@1", "hit@5", "mrr@10", "answer@1", "abstained")))
    Console().print(table)


@app.command()
def bench(
    questions: Annotated[Path, typer.Option(help="Questions to time.")] = DEV_SET,
    index: IndexOpt = None,
    rebuild: Annotated[bool, typer.Option(help="Also time a full build without the embedding cache.")] = False,
    asks: Annotated[int, typer.Option(min=1, help="Timed asks (the questions are cycled).")] = 200,
    threads: Annotated[int, typer.Option(min=1, help="Concurrent callers for the throughput run (1 = skip).")] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON on stdout.")] = False,
) -> None:
    """Build time, per-question latency p50/p95 after warm-up, peak memory."""
    from .bench import run_bench

    settings = _settings(index)
    result = run_bench(settings, questions, rebuild, err if as_json else Console(), asks=asks, threads=threads)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))


# the operator report lives with the query log in ops/ (~0.1 s of imports: not worth a lazy wrapper)
app.command("report")(report_command)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except JauapError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
