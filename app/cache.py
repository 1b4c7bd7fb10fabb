"""A small thread-safe LRU of answers, so popular questions skip the embedder (the dominant cost of /ask)."""

from __future__ import annotations

import threading
from collections import OrderedDict

from index.models import Answer


class AnswerCache:
    """Answers keyed by (exact question, top_k); one cache belongs to one loaded index and is dropped with it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, int | None], Answer] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, question: str, top_k: int | None) -> Answer | None:
        if self.size <= 0:
            return None
        key = (question, top_k)
        with self._lock:
            answer = self._items.get(key)
            if answer is not None:
                self._items.move_to_end(key)
            return answer

    def put(self, question: str, top_k: int | None, answer: Answer) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[(question, top_k)] = answer
            self._items.move_to_end((question, top_k))
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
