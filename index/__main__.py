"""CLI: python -m index build | ask | answer --jsonl | eval | train | bench | targets (report: python -m ops)."""

from __future__ import annotations

from jauap.installed import require_installed

require_installed()  # before any third-party import: a clear line, not a ModuleNotFoundError traceback

import io
import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from config import Settings

from .errors import JauapError

app = typer.Typer(
    add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
    help="Jauap retrieval: build the index and answer.",
)
err = Console(stderr=True)
EVAL_DIR = Path("..") / "shared" / "eval"  # the evaluation sets beside the checkout (run from its root)
DEV_SET = EVAL_DIR / "dev.jsonl"
TRAIN_SETS = [EVAL_DIR / "train.jsonl", Path(__file__).parent / "trained" / "near-miss.jsonl"]
# the target gate also learns from our written questions (benchmarks/questions): train has 13 target questions
GATE_SETS = [
    *TRAIN_SETS,
    *(Path(__file__).parents[1] / "benchmarks" / "questions" / f"written-{name}.jsonl"
      for name in ("targets", "answerable", "near-miss")),
]

IndexOpt = Annotated[Path | None, typer.Option("--index", help="Index folder (default: JAUAP_INDEX_DIR).")]


def _settings(index: Path | None = None, corpus: Path | None = None) -> Settings:
    overrides = {k: v for k, v in {"index_dir": index, "corpus_dir": corpus}.items() if v is not None}
    return Settings.load().replace(**overrides)


def _build(settings: Settings, force: bool = False):
    from .build import build_index
    from .progress import build_progress

    with build_progress(err) as progress:
        report = build_index(
            settings,
            progress=lambda done, total: progress("embedding passages", done, total),
            sparse_progress=lambda done, total: progress("latent terms", done, total),
            tokens_progress=lambda done, total: progress("token states", done, total),
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


def _service(index: Path | None, answer_model: bool = True):
    """Load the index; the default one is built on first use so that `ask` works right after installing.
    `answer_model=False`: without its fitted answer model (what a model is fitted on)."""
    from .errors import IndexMissingError, IndexOutdatedError
    from .service import build_service

    settings = _settings(index)
    if not answer_model:
        settings = settings.replace(answer_model=False)
    try:
        return build_service(settings)
    except (IndexMissingError, IndexOutdatedError) as exc:
        if index is not None:  # an index the user named: say what is wrong, build nothing unasked
            raise
        err.print(f"{exc}\nBuilding the default index from {settings.retrieval.corpus_dir} now (once).")
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
    cv: Annotated[
        bool, typer.Option("--cv/--no-cv", help="Also cross-validate the answer model over the train sets + these.")
    ] = True,
) -> None:
    """Per-variant quality table (hit@1, hit@5, MRR@10, answer@1, abstention), then 5-fold cross-validation."""
    from .evaluate import evaluate, load_questions

    service = _service(index)
    rows = evaluate(service, load_questions(questions))
    order = sorted(rows, key=lambda k: (k == "ALL", k == "unanswerable", k))
    folds = _cross_validate(index, [*TRAIN_SETS, questions]) if cv else []
    if as_json:
        typer.echo(json.dumps({"set": {k: rows[k].as_dict() for k in order}, "cv": folds}, indent=2))
        return
    table = Table(title=f"Quality on {questions.name}")
    for col in ("variant", "n", "hit@1", "hit@5", "mrr@10", "answer@1", "abstained"):
        table.add_column(col, justify="right" if col != "variant" else "left")
    for k in order:
        d = rows[k].as_dict()
        table.add_row(k, str(d["n"]), *(f"{d[m]:.3f}" for m in ("hit@1", "hit@5", "mrr@10", "answer@1", "abstained")))
    Console().print(table)
    if folds:
        cv_table = Table(title=f"5-fold cross-validation over {' + '.join(p.name for p in [*TRAIN_SETS, questions])}")
        cv_table.add_column("metric")
        cv_table.add_column("mean ± sd", justify="right")
        cv_table.add_column("folds", justify="right")
        for m in folds[0]:
            vals = [f[m] for f in folds]
            mean, sd = sum(vals) / len(vals), (sum((v - sum(vals) / len(vals)) ** 2 for v in vals) / len(vals)) ** 0.5
            cv_table.add_row(m, f"{mean:.3f} ± {sd:.3f}", " ".join(f"{v:.2f}" for v in vals))
        Console().print(cv_table)


def _cross_validate(index: Path | None, sets: list[Path]) -> list[dict]:
    from .evaluate import load_questions
    from .training import collect, cross_validate

    service = _service(index, answer_model=False)
    questions = _about(service, [q for p in dict.fromkeys(sets) if p.is_file() for q in load_questions(p)])
    if sum(bool(q.get("gold")) for q in questions) < 20:
        err.print("cross-validation skipped: fewer than 20 of the question sets' answers are in this index")
        return []
    return cross_validate(service, collect(service, questions), progress=lambda m: err.print(f"cross-validation: {m}"))


def _about(service, questions: list[dict]) -> list[dict]:
    """The questions about this index's documents (and the unanswerable ones): a set written for another corpus
    would otherwise count as unanswerable here."""
    return [q for q in questions if not q.get("gold") or q.get("doc") in service.texts]


@app.command()
def train(
    questions: Annotated[
        list[Path] | None, typer.Option("--questions", help="Question sets to fit on (default: the train sets).")
    ] = None,
    index: IndexOpt = None,
    bundle: Annotated[
        bool, typer.Option(help="Also write the model as the one shipped with Jauap (index/trained/).")
    ] = False,
    ranker: Annotated[
        bool, typer.Option(help="Fit a learned chunk ranker too (off: cross-validation shows fusion ranks better).")
    ] = False,
    gate_only: Annotated[
        bool, typer.Option(help="Refit only the target gate of the index's answer model (its other parts kept).")
    ] = False,
) -> None:
    """Fit the answer model (ranker, answer sentence, abstention) on train questions, then its target gate on those
    and our written questions; write it beside the index."""
    from .evaluate import load_questions
    from .learned import BUNDLED, MODEL_FILE, AnswerModel
    from .target_training import fit_target_gate
    from .training import collect, fit

    sets = questions or TRAIN_SETS
    if any(p.resolve() == DEV_SET.resolve() for p in sets):
        raise JauapError(f"{DEV_SET.name} is for validation only: fit on the train sets.")
    for p in sets:
        if not p.is_file():
            raise JauapError(f"No question file at {p}.")
    service = _service(index, answer_model=False)
    if gate_only:
        model = AnswerModel.read(service.index.path / MODEL_FILE)
    else:
        items = collect(service, _about(service, [q for p in sets for q in load_questions(p)]))
        model = fit(service, items, progress=lambda m: err.print(f"fitting {m}"), rank=ranker)  # the gate reads it
    gate_sets = sets if questions else [p for p in GATE_SETS if p.is_file()]
    err.print(f"fitting the target gate on {', '.join(p.name for p in gate_sets)}")
    gate_items = collect(service, _about(service, [q for p in gate_sets for q in load_questions(p)]))
    model.target_gate = fit_target_gate(service, model, gate_items)
    out = service.index.path / MODEL_FILE
    text = model.to_json()
    out.write_text(text, encoding="utf-8")
    if bundle:
        BUNDLED.write_text(text, encoding="utf-8")
    oof = model.meta["out_of_fold"]
    err.print(
        f"[green]answer model written[/] to {out}{' and ' + str(BUNDLED) if bundle else ''}: threshold "
        f"{model.abstainer.threshold:.3f}; out of fold, wrongly abstained {oof['wrongly_abstained']:.3f}, "
        f"unanswerable abstained {oof['unanswerable_abstained']}"
    )
    gate = model.target_gate
    err.print(f"target gate: threshold {gate.model.threshold:.2f}, out of fold {gate.meta['out_of_fold']}" if gate
              else "no target gate: this index has no statement token states (target questions: the word match)")


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


@app.command()
def targets(
    doc: Annotated[str | None, typer.Option(help="Only this document (file name).")] = None,
    year: Annotated[int | None, typer.Option(help="Only this target year.")] = None,
    q: Annotated[str | None, typer.Option("--q", help="Indicator words, any spelling (best match first).")] = None,
    index: IndexOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="table | csv | json")] = "table",
    score: Annotated[Path | None, typer.Option(help="Score the extraction against a hand-checked fixture.")] = None,
    questions: Annotated[Path | None, typer.Option(help="How often target answers fire and hit gold.")] = None,
    with_index: Annotated[bool, typer.Option(help="With --questions: also through the built index's answers.")] = False,
) -> None:
    """Programme targets as rows: indicator · year · value · unit, with the exact span each came from."""
    from .target_cli import run_targets

    run_targets(_settings(index), doc, year, q, fmt, score, questions, with_index)


def main() -> None:
    handler = logging.StreamHandler()
    handler.setLevel(logging.WARNING)  # a library that sets its own logger to DEBUG (bm25s) is not heard below it
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", handlers=[handler])
    try:
        app()
    except JauapError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
