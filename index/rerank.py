"""Optional reranker stage: rescore the fused top passages with a model that reads question and passage together.

Off by default (`JAUAP_RERANKER=""`): the bundled embedder has no cross-encoder, and the hub is not reachable
everywhere. With hub access or a local model, `JAUAP_RERANKER=st:<cross-encoder id or path>` turns it on.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .errors import JauapError


@runtime_checkable
class Reranker(Protocol):
    def rerank(self, question: str, passages: list[str]) -> list[float]:
        """One relevance score per passage, higher is better."""
        ...


class CrossEncoderReranker:
    def __init__(self, model: str) -> None:
        try:
            from sentence_transformers import CrossEncoder
        except ImportError as exc:
            raise JauapError("The reranker needs the 'st' extra: pip install -e '.[st]'") from exc
        try:
            self._model = CrossEncoder(model, device="cpu")
        except Exception as exc:  # hub errors, missing paths, broken weights: all mean "can't load this model"
            raise JauapError(f"Cannot load cross-encoder {model!r}: {exc}") from exc

    def rerank(self, question: str, passages: list[str]) -> list[float]:
        return [float(s) for s in self._model.predict([(question, p) for p in passages])]


def make_reranker(spec: str) -> Reranker | None:
    spec = spec.strip()
    if not spec:
        return None
    if spec.startswith("st:"):
        return CrossEncoderReranker(spec[3:])
    raise JauapError(f"Unknown reranker {spec!r}: use '' (off) or 'st:<cross-encoder id or path>'.")
