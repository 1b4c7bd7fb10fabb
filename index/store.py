"""The artifacts folder: documents, chunks, both indexes and a manifest — written atomically, read with checks.

`index_dir` is a symlink to a versioned folder next to it. A build writes a complete new folder and then swaps the
link with one `os.replace`, so a crash or kill mid-build leaves the previous index serving, and readers never see a
half-written index.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from .chunking import CHUNKER_VERSION
from .dense import DenseIndex
from .errors import IndexCorruptError, IndexMismatchError, IndexMissingError, IndexOutdatedError
from .lexical import LexicalIndex
from .models import Chunk, Document, DocumentInfo
from .text import ANALYSER_VERSION
from .token_states import TARGET_TOKENS, TokenRows

MANIFEST = "manifest.json"
TARGETS = "targets.jsonl"  # read by index.target_store, not by read_index
FORMAT_VERSION = 2
KEEP_VERSIONS = 2  # the current version and the one before it
# version folder suffix: -YYYYmmdd-HHMMSS[-nanoseconds]-pid[-uuid8][.partial]  (older builds lack the optional parts)
_VERSION = re.compile(r"-(\d{8}-\d{6})(?:-(\d{9}))?-(\d+)(?:-[0-9a-f]{8})?(\.partial)?")


@dataclass(frozen=True)
class Manifest:
    format: int
    embedder: str
    dim: int
    corpus_hash: str
    chunker: str
    analyser: str
    stem_prefix: int
    chunk_chars: int
    documents: int
    chunks: int
    built_at: str
    build_seconds: float
    skipped: dict[str, str]
    char_ngram: int = 0
    build_key: str = ""  # everything the artifacts depend on (build.build_key): equal keys, nothing to rebuild


@dataclass
class StoredIndex:
    manifest: Manifest
    documents: dict[str, Document]
    chunks: list[Chunk]
    dense: DenseIndex
    unit_vectors: np.ndarray  # one row per (chunk, unit) in chunk order (read back: float16, memory-mapped)
    lexical: LexicalIndex
    unit_lexical: LexicalIndex  # BM25 over single sentences / items / rows: sharper term co-occurrence
    path: Path
    unit_sparse: sparse.csr_matrix | None = None  # learned sparse vectors of the units, when the embedder has them
    chunk_ngrams: LexicalIndex | None = None  # BM25 over character n-grams of the chunks: typos, unseen endings
    targets: list[dict] | None = None  # programme target rows (index.targets), written as targets.jsonl
    unit_tokens: TokenRows | None = None  # the units' token states (index.token_states), when the embedder gives them
    target_tokens: TokenRows | None = None  # the target statements' token states (index.target_gate), likewise


def corpus_hash(documents: list[Document]) -> str:
    h = hashlib.sha256()
    for d in sorted(documents, key=lambda d: d.id):
        h.update(d.id.encode() + b"\0" + d.text.encode() + b"\0")
    return h.hexdigest()[:16]


def write_index(index_dir: Path, stored: StoredIndex, extra: dict[str, str] | None = None) -> Path:
    """Write a new version beside `index_dir` and switch the link to it atomically. `extra`: more files of the
    version (name → text), such as the answer model fitted for it."""
    index_dir = index_dir.absolute()
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    # sortable by time to the nanosecond; the uuid keeps builds apart even when the clock does not
    ns = time.time_ns()
    stamp = f"{time.strftime('%Y%m%d-%H%M%S', time.localtime(ns // 1_000_000_000))}-{ns % 1_000_000_000:09d}"
    version = index_dir.parent / f"{index_dir.name}-{stamp}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp = version.with_name(version.name + ".partial")
    tmp.mkdir()
    docs = [{**asdict(d.info), "text": d.text} for d in stored.documents.values()]
    (tmp / "documents.json").write_text(json.dumps(docs, ensure_ascii=False), encoding="utf-8")
    with (tmp / "chunks.jsonl").open("w", encoding="utf-8") as f:
        for c in stored.chunks:
            row = {"id": c.id, "doc": c.doc, "start": c.start, "end": c.end, "section": c.section, "units": c.units}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    stored.dense.save(tmp / "dense.faiss")
    np.save(tmp / "units.npy", stored.unit_vectors.astype(np.float16))
    stored.lexical.save(tmp / "lexical")
    stored.unit_lexical.save(tmp / "lexical-units")
    if stored.unit_sparse is not None:
        save_sparse(tmp / "units-sparse", stored.unit_sparse)
    if stored.chunk_ngrams is not None:
        stored.chunk_ngrams.save(tmp / "lexical-ngrams")
    if stored.unit_tokens is not None:
        stored.unit_tokens.save(tmp)
    if stored.target_tokens is not None:
        stored.target_tokens.save(tmp, TARGET_TOKENS)
    for name, text in (extra or {}).items():
        (tmp / name).write_text(text, encoding="utf-8")
    if stored.targets is not None:
        (tmp / TARGETS).write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in stored.targets), "utf-8")
    (tmp / MANIFEST).write_text(json.dumps(asdict(stored.manifest), ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.rename(version)
    if index_dir.exists() and not index_dir.is_symlink():
        # an index from before versioned folders: move it aside so the link can take its place
        index_dir.rename(index_dir.with_name(index_dir.name + f"-legacy-{int(time.time())}"))
    link_tmp = index_dir.with_name(index_dir.name + ".link-tmp")
    if link_tmp.is_symlink() or link_tmp.exists():
        link_tmp.unlink()
    link_tmp.symlink_to(version.name)
    os.replace(link_tmp, index_dir)
    _prune(index_dir)
    return version


def _version_key(index_dir: Path, path: Path) -> tuple[str, int, bool] | None:
    """(sort key, builder pid, unfinished) of a version folder of `index_dir`; None for anything else."""
    m = _VERSION.fullmatch(path.name[len(index_dir.name) :])
    return (m.group(1) + (m.group(2) or ""), int(m.group(3)), bool(m.group(4))) if m else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _prune(index_dir: Path) -> None:
    """Keep the newest finished versions (and the current one); drop unfinished ones whose builder has died."""
    current = index_dir.resolve().name
    finished: list[tuple[str, Path]] = []
    for p in index_dir.parent.glob(f"{index_dir.name}-*"):
        key = _version_key(index_dir, p)
        if key is None or not p.is_dir() or p.name == current:
            continue
        if key[2]:
            if not _alive(key[1]):  # a killed build's leftovers
                shutil.rmtree(p, ignore_errors=True)
        else:
            finished.append((key[0], p))
    finished.sort()
    for _, p in finished[: max(0, len(finished) - (KEEP_VERSIONS - 1))]:
        shutil.rmtree(p, ignore_errors=True)


def save_sparse(stem: Path, matrix: sparse.csr_matrix) -> None:
    """A CSR matrix as three .npy arrays (and its shape), so that it loads memory-mapped."""
    stem.mkdir()
    for name in ("data", "indices", "indptr"):
        np.save(stem / f"{name}.npy", getattr(matrix, name))
    (stem / "shape.json").write_text(json.dumps(list(matrix.shape)), encoding="utf-8")


def load_sparse(stem: Path) -> sparse.csr_matrix | None:
    """The matrix save_sparse wrote, its arrays memory-mapped; an index from before reads its .npz; None if none."""
    if stem.is_dir():
        arrays = [np.load(stem / f"{name}.npy", mmap_mode="r") for name in ("data", "indices", "indptr")]
        shape = tuple(json.loads((stem / "shape.json").read_text(encoding="utf-8")))
        return sparse.csr_matrix(tuple(arrays), shape=shape, copy=False)
    legacy = stem.with_suffix(".npz")
    return sparse.load_npz(legacy).tocsr() if legacy.exists() else None


def read_manifest(index_dir: Path) -> Manifest:
    path = index_dir / MANIFEST
    if not path.exists():
        raise IndexMissingError(index_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"format {data.get('format')} (this version reads {FORMAT_VERSION})")
        return Manifest(**data)
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(index_dir, f"manifest: {exc}") from exc


def read_index(index_dir: Path, embedder_id: str | None = None) -> StoredIndex:
    manifest = read_manifest(index_dir)
    if embedder_id is not None and manifest.embedder != embedder_id:
        raise IndexMismatchError(index_dir, manifest.embedder, embedder_id)
    if (manifest.chunker, manifest.analyser) != (CHUNKER_VERSION, ANALYSER_VERSION):
        # BM25 keys or chunk boundaries of another version would silently mismatch the questions' analysis
        raise IndexOutdatedError(index_dir)
    try:
        raw = json.loads((index_dir / "documents.json").read_text(encoding="utf-8"))
        documents = {}
        for d in raw:
            text = d.pop("text")
            documents[d["id"]] = Document(DocumentInfo(**d), text)
        chunks = []
        with (index_dir / "chunks.jsonl").open(encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                text = documents[r["doc"]].text
                chunks.append(
                    Chunk(
                        id=r["id"], doc=r["doc"], start=r["start"], end=r["end"], text=text[r["start"] : r["end"]],
                        section=tuple(r["section"]), units=tuple(tuple(u) for u in r["units"]),
                    )
                )
        dense = DenseIndex.load(index_dir / "dense.faiss")
        unit_vectors = np.load(index_dir / "units.npy", mmap_mode="r")  # float16; the service decides what to load
        lexical = LexicalIndex.load(index_dir / "lexical", manifest.stem_prefix)
        unit_lexical = LexicalIndex.load(index_dir / "lexical-units", manifest.stem_prefix)
        unit_sparse = load_sparse(index_dir / "units-sparse")
        ngram = manifest.char_ngram
        chunk_ngrams = LexicalIndex.load(index_dir / "lexical-ngrams", 0, ngram) if ngram else None
        unit_tokens = TokenRows.load(index_dir)
    except Exception as exc:  # any unreadable piece means the same thing to the user: rebuild
        raise IndexCorruptError(index_dir, f"{type(exc).__name__}: {exc}") from exc
    n_units = sum(len(c.units) for c in chunks)
    if dense.size != len(chunks) or len(unit_vectors) != n_units or len(chunks) != manifest.chunks:
        raise IndexCorruptError(index_dir, "chunk, vector and manifest counts disagree")
    if unit_tokens is not None and unit_tokens.units != n_units:
        raise IndexCorruptError(index_dir, "token states and units disagree")
    return StoredIndex(
        manifest, documents, chunks, dense, unit_vectors, lexical, unit_lexical, index_dir.resolve(), unit_sparse,
        chunk_ngrams, unit_tokens=unit_tokens,
    )


class EmbeddingCache:
    """Vectors by (embedder, text) hash, so a rebuild only embeds what changed. SQLite survives a killed build."""

    def __init__(self, path: Path, embedder_id: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB)")
        self._salt = embedder_id

    def _key(self, text: str) -> str:
        return hashlib.sha256((self._salt + "\0" + text).encode()).hexdigest()

    def _get(self, texts: list[str], kind: str) -> dict[str, bytes]:
        """The stored blobs of the texts that have one, by text; `kind` keeps vectors, terms and states apart."""
        out = {}
        for t in texts:
            row = self._db.execute("SELECT vec FROM vectors WHERE key = ?", (self._key(kind + t),)).fetchone()
            if row:
                out[t] = row[0]
        return out

    def _put(self, items: dict[str, bytes], kind: str) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO vectors VALUES (?, ?)", [(self._key(kind + t), b) for t, b in items.items()]
        )
        self._db.commit()

    def get_many(self, texts: list[str]) -> dict[str, np.ndarray]:
        return {t: np.frombuffer(b, dtype=np.float32) for t, b in self._get(texts, "").items()}

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        self._put({t: np.asarray(v, np.float32).tobytes() for t, v in items.items()}, "")

    def get_sparse(self, texts: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        out = {}
        for t, b in self._get(texts, "sparse\0").items():
            half = len(b) // 2
            out[t] = (np.frombuffer(b[:half], np.int32), np.frombuffer(b[half:], np.float32))
        return out

    def put_sparse(self, items: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        self._put(
            {t: np.asarray(i, np.int32).tobytes() + np.asarray(v, np.float32).tobytes() for t, (i, v) in items.items()},
            "sparse\0",
        )

    def get_tokens(self, texts: list[str], dim: int) -> dict[str, np.ndarray]:
        return {t: np.frombuffer(b, np.float16).reshape(-1, dim) for t, b in self._get(texts, "tokens\0").items()}

    def put_tokens(self, items: dict[str, np.ndarray]) -> None:
        self._put({t: np.asarray(v, np.float16).tobytes() for t, v in items.items()}, "tokens\0")

    def close(self) -> None:
        self._db.close()
