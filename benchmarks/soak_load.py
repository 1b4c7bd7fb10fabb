"""The soak's workload: a mix of /ask, /search, /feedback and page assets from N concurrent clients, and its figures.

≈70 % POST /ask (half repeated questions as typed in the train set, half fresh ones: the same question with one
typo, so the answer cache misses), 20 % GET /search, 5 % POST /feedback on an answer just given, 5 % the widget,
viewer and page assets. Every answer id and every rating the server acknowledged (200) is remembered, so the store
can be checked afterwards. The load runs in its own thread and event loop; the caller injects faults meanwhile.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
TRAIN = ROOT.parent / "shared" / "eval" / "train.jsonl"  # never dev: the soak must not tune on the held-out set
FALLBACK = [  # when the shared train set is not beside the project (CI): one question per typing variant
    ("kk", "«Электрондық үкімет» порталын күн сайын қанша азамат пайдаланады?"),
    ("kk_plain", "Электрондык укимет порталын кун сайын канша азамат пайдаланады?"),
    ("kk_latn", "Elektrondyq ükimet portalyn kün saiyn qansha azamat paidalanady?"),
    ("ru", "Сколько граждан ежедневно пользуются порталом электронного правительства?"),
    ("mixed", "eGov порталын күніне сколько адам пайдаланады?"),
    ("typo", "Халыкка кызмет корсету орталыктары канша кызмет корсетти?"),
]
MIX = (("ask", 70), ("search", 20), ("feedback", 5), ("asset", 5))
ASSETS = ("/widget.js", "/static/viewer.js", "/static/ui.js", "/", "/demo")


def load_questions(path: Path = TRAIN) -> list[tuple[str, str]]:
    """(variant, question) of every train question (all typing variants), or the fallback list."""
    if not path.exists():
        return list(FALLBACK)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(row.get("variant", "kk"), row["question"]) for row in rows]


def with_typo(question: str, rng: random.Random) -> str:
    """The question with two neighbouring letters of one word swapped (a fresh question to the answer cache)."""
    words = question.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not long:
        return question + " " + str(rng.randrange(10**6))
    i = rng.choice(long)
    word = words[i]
    j = rng.randrange(len(word) - 1)
    words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    return " ".join(words)


@dataclass
class Stats:
    """Every request: (start time, kind, status or 0 for a connection error, seconds); acknowledged data."""

    records: list[tuple[float, str, int, float]] = field(default_factory=list)
    answers: set[str] = field(default_factory=set)  # answer ids of 200 /ask
    feedback: dict[str, tuple[int, float]] = field(default_factory=dict)  # answer id → (rating, when) of 200s
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, started: float, kind: str, status: int, seconds: float) -> None:
        with self.lock:
            self.records.append((started, kind, status, seconds))

    def between(self, start: float, end: float = float("inf")) -> list[tuple[float, str, int, float]]:
        with self.lock:
            return [r for r in self.records if start <= r[0] < end]

    def overlapping(self, start: float, end: float) -> list[tuple[float, str, int, float]]:
        """Requests in flight at some moment of [start, end) (sent before a fault began and answered during it too)."""
        with self.lock:
            return [r for r in self.records if r[0] < end and r[0] + r[3] >= start]

    @staticmethod
    def failed(records: list[tuple[float, str, int, float]]) -> int:
        """Requests the service failed: a 5xx or no HTTP answer at all."""
        return sum(1 for r in records if r[2] == 0 or r[2] >= 500)

    def lost_feedback(self, stored: dict[str, int], start: float = 0.0, end: float = float("inf")) -> int:
        """Ratings acknowledged between `start` and `end` that the store does not hold."""
        with self.lock:
            acked = [(a, r) for a, (r, t) in self.feedback.items() if start <= t < end]
        return sum(1 for answer_id, rating in acked if stored.get(answer_id) != rating)

    def summary(self, start: float = 0.0) -> dict[str, object]:
        """req/s, latency percentiles (all and per kind, ms) and statuses of the records since `start`."""
        records = self.between(start)
        if not records:
            return {"requests": 0}
        span = max(r[0] + r[3] for r in records) - min(r[0] for r in records)
        out: dict[str, object] = {
            "requests": len(records),
            "req_per_s": round(len(records) / max(span, 1e-9), 1),
            "statuses": dict(sorted(Counter(str(r[2] or "conn-error") for r in records).items())),
            "server_errors": self.failed(records),
        }
        for kind in ("all", *(k for k, _ in MIX)):
            times = sorted(r[3] * 1000 for r in records if kind in ("all", r[1]))
            if times:
                out[kind] = {q: round(times[min(len(times) - 1, int(len(times) * p))], 1)
                             for q, p in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99))}  # fmt: skip
        return out


class Load:
    """`concurrency` clients against `base` until `stop()`, the deadline or `max_requests` (whichever is first)."""

    def __init__(self, base: str, questions: list[tuple[str, str]], docs: list[str], *, concurrency: int = 16,
                 duration: float = 600.0, max_requests: int = 10**7, seed: int = 15) -> None:  # fmt: skip
        self.base, self.questions, self.docs = base, questions, docs or ["none"]
        self.concurrency, self.duration, self.max_requests = concurrency, duration, max_requests
        self.rng = random.Random(seed)
        self.stats = Stats()
        self._count = itertools.count()
        self._to_rate: deque[str] = deque(maxlen=256)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="soak-load", daemon=True)
        self._ips = (f"10.{a}.{b}.{c}" for a, b, c in itertools.cycle(itertools.product(range(1, 9), range(250),
                                                                                          range(1, 250))))  # fmt: skip
        self.started = 0.0

    def start(self) -> Load:
        self.started = time.monotonic()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def running(self) -> bool:
        return self._thread.is_alive()

    def wait(self) -> None:
        self._thread.join()

    async def _main(self) -> None:
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        async with httpx.AsyncClient(base_url=self.base, timeout=30, limits=limits) as client:
            await asyncio.gather(*(self._client(client) for _ in range(self.concurrency)))

    async def _client(self, client: httpx.AsyncClient) -> None:
        kinds, weights = zip(*MIX, strict=True)
        deadline = self.started + self.duration
        while not self._stop.is_set() and time.monotonic() < deadline and next(self._count) < self.max_requests:
            kind = self.rng.choices(kinds, weights)[0]
            if kind == "feedback" and not self._to_rate:
                kind = "ask"
            started = time.monotonic()
            try:
                status = await self._request(client, kind)
            except httpx.HTTPError:
                status = 0
                await asyncio.sleep(0.05)  # a refused connection returns at once: do not spin
            self.stats.add(started, kind, status, time.monotonic() - started)

    async def _request(self, client: httpx.AsyncClient, kind: str) -> int:
        headers = {"X-Forwarded-For": next(self._ips)}  # many citizens, as nginx would pass them on
        if kind == "asset":
            path = self.rng.choice([*ASSETS, f"/view/{self.rng.choice(self.docs)}"])
            return (await client.get(path, headers=headers)).status_code
        _, question = self.rng.choice(self.questions)
        if kind == "search":
            return (await client.get("/search", params={"q": question, "k": 5}, headers=headers)).status_code
        if kind == "feedback":
            answer_id, rating = self._to_rate.popleft(), self.rng.choice((1, -1))
            body = {"answer_id": answer_id, "rating": rating, "reason": "soak" if rating < 0 else None}
            response = await client.post("/feedback", json=body, headers=headers)
            if response.status_code == 200:
                with self.stats.lock:
                    self.stats.feedback[answer_id] = (rating, time.monotonic())
            return response.status_code
        text = question if self.rng.random() < 0.5 else with_typo(question, self.rng)
        response = await client.post("/ask", json={"question": text}, headers=headers)
        if response.status_code == 200:
            answer_id = response.json()["answer_id"]
            with self.stats.lock:
                self.stats.answers.add(answer_id)
            self._to_rate.append(answer_id)
        return response.status_code
