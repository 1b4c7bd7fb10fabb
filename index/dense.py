"""Dense retrieval: FAISS inner-product search over L2-normalised vectors (cosine), the index type chosen by size.

- up to `hnsw_above` vectors: exact `IndexFlatIP` — a few ms even at 50k, and the service scores every chunk;
- up to `ivfpq_above`: HNSW over the full vectors — sub-millisecond, recall@10 ≈ 0.99;
- above: IVF-PQ (48-byte codes) whose shortlist is re-ranked on the exact vectors (`IndexRefineFlat`) — the codes
  stay in memory, the exact vectors are memory-mapped and only the shortlist's pages are read.

A saved index is loaded memory-mapped (`IO_FLAG_MMAP_IFC`): its vectors stay in the page cache, shared by every
serving process, and loading takes milliseconds whatever the size.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

from config import RetrievalSettings, Settings

_DEFAULT = {name: field.default for name, field in RetrievalSettings.model_fields.items()}


@dataclass(frozen=True)
class DenseConfig:
    """Where the index type switches, and its search-time knobs (Settings: JAUAP_HNSW_ABOVE, …; their defaults)."""

    hnsw_above: int = _DEFAULT["hnsw_above"]
    ivfpq_above: int = _DEFAULT["ivfpq_above"]
    hnsw_ef_search: int = _DEFAULT["hnsw_ef_search"]
    ivf_nprobe: int = _DEFAULT["ivf_nprobe"]
    refine_factor: int = _DEFAULT["refine_factor"]  # the PQ shortlist holds k * this many candidates, re-ranked exactly


def dense_config(settings: Settings) -> DenseConfig:
    """The DenseConfig of the settings (JAUAP_HNSW_ABOVE, JAUAP_IVFPQ_ABOVE, JAUAP_HNSW_EF_SEARCH, …)."""
    return DenseConfig(**{k: getattr(settings.retrieval, k) for k in DenseConfig.__dataclass_fields__})


def kind_for(n: int, config: DenseConfig) -> str:
    return "flat" if n <= config.hnsw_above else "hnsw" if n <= config.ivfpq_above else "ivfpq"


class DenseIndex:
    """One FAISS index; `kind` says which of flat / hnsw / ivfpq it is."""

    def __init__(self, index: faiss.Index, config: DenseConfig | None = None) -> None:
        self._index = index
        self.configure(config or DenseConfig())

    @classmethod
    def build(cls, vectors: np.ndarray, hnsw_above: int = 50_000, config: DenseConfig | None = None) -> DenseIndex:
        config = config or DenseConfig(hnsw_above=hnsw_above)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = vectors.shape
        kind = kind_for(n, config)
        if kind == "flat":
            index: faiss.Index = faiss.IndexFlatIP(dim)
        elif kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 80
        else:
            index = _ivfpq(vectors, dim)
        index.add(vectors)
        return cls(index, config)

    def configure(self, config: DenseConfig) -> None:
        """Search-time parameters (not stored in the file: set on every load)."""
        self.config = config
        if isinstance(self._index, faiss.IndexHNSW):
            self._index.hnsw.efSearch = config.hnsw_ef_search
        elif isinstance(self._index, faiss.IndexRefine):
            self._index.k_factor = float(config.refine_factor)
            faiss.extract_index_ivf(self._index).nprobe = config.ivf_nprobe

    @property
    def kind(self) -> str:
        if isinstance(self._index, faiss.IndexHNSW):
            return "hnsw"
        return "ivfpq" if isinstance(self._index, faiss.IndexRefine) else "flat"

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        k = min(k, self.size)
        if k <= 0:
            return []
        # one question: FAISS's OpenMP team would only wait at barriers for cores that are encoding other questions
        # (the thread count is the calling thread's own: this leaves other threads' settings alone)
        faiss.omp_set_num_threads(1)
        scores, ids = self._index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def search_many(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) [n, k] for a batch of queries (benchmarks, recall checks)."""
        return self._index.search(np.ascontiguousarray(queries, dtype=np.float32), min(k, self.size))

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Cosine of the query with every vector (exact indexes only; used to score chosen chunks)."""
        return self.vectors() @ query.astype(np.float32)

    def vectors(self) -> np.ndarray:
        return self._index.reconstruct_n(0, self.size)

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))
        path.with_suffix(".json").write_text(json.dumps(asdict(self.config)), encoding="utf-8")

    @classmethod
    def load(cls, path: Path, config: DenseConfig | None = None, mmap: bool = True) -> DenseIndex:
        """`config`: None = the search knobs the index was built with (saved beside it)."""
        saved = path.with_suffix(".json")
        if config is None and saved.exists():
            config = DenseConfig(**json.loads(saved.read_text(encoding="utf-8")))
        flags = faiss.IO_FLAG_MMAP_IFC if mmap else 0
        return cls(faiss.read_index(str(path), flags), config)


def _ivfpq(vectors: np.ndarray, dim: int) -> faiss.Index:
    """IVF with ≈ 2·√n lists (a power of two) and 8-bit PQ codes of 8 dimensions a byte, trained on a sample, under
    an exact re-ranking of its shortlist."""
    n = len(vectors)
    nlist = 2 ** max(4, round(math.log2(2 * math.sqrt(n))))
    m = next(m for m in (48, 32, 24, 16, 12, 8, 4, 2, 1) if dim % m == 0)
    index = faiss.index_factory(dim, f"IVF{nlist},PQ{m}x8,RFlat", faiss.METRIC_INNER_PRODUCT)
    ivf = faiss.downcast_index(faiss.extract_index_ivf(index))
    ivf.do_polysemous_training = False  # the factory turns it on: 70 s of training, for Hamming filtering unused here
    ivf.cp.niter = 10  # k-means: 10 rounds instead of 25 cost no recall measured here, and train 2.5x faster
    ivf.pq.cp.niter = 10
    ivf.pq.cp.max_points_per_centroid = 64  # the 48 small codebooks: 16k residuals each, not the whole sample
    index.train(vectors[np.random.default_rng(0).choice(n, min(n, 64 * nlist), replace=False)])
    return index
