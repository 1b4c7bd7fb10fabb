"""Two real `python -m api` processes behind Debian's nginx, sharing one PostgreSQL and one Redis.

What one replica records or counts, the other sees: feedback and report totals, a client's rate limit, cached
answers, Telegram updates already answered; and a newly published index switches both with no failed request.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cluster import ReplicaCluster
from engines import Redis, free_port

from config import Settings
from index.build import build_index

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bot"))
from fake_telegram import TOKEN, FakeTelegram, message

pytestmark = [pytest.mark.replicas, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "corpus"
QUESTION = "«Электрондық үкімет» порталын күн сайын қанша азамат пайдаланады?"
ADMIN = {"Authorization": "Bearer replica-admin"}
SECRET = "replica-secret"
HOOK = "/telegram/hook"
NEW_DOC = "Цифрлық қолтаңба (ЭЦҚ) алу үшін азамат eGov mobile қосымшасында өтінім береді. Кілт бір жыл жарамды."
_ips = (f"10.{a}.{b}.{c}" for a, b, c in itertools.product(range(1, 250), range(250), range(1, 250)))


@dataclass
class Cluster:
    lb: str  # nginx
    replicas: list[str]  # each replica directly, for what only one of them must see
    index: Settings
    telegram: FakeTelegram
    redis: Redis


def _settings(pg_url: str, redis_url: str, telegram: FakeTelegram) -> dict[str, str]:
    return {
        "JAUAP_DATABASE_URL": pg_url,
        "JAUAP_REDIS_URL": redis_url,
        "JAUAP_RATE_LIMIT": "6/minute",
        "JAUAP_RATE_LIMIT_IP_FACTOR": "1",
        "JAUAP_ADMIN_TOKEN": ADMIN["Authorization"].split()[1],
        "JAUAP_INDEX_WATCH_SECONDS": "0.2",
        "JAUAP_BOT_MODE": "webhook",
        "JAUAP_BOT_TOKEN": TOKEN,
        "JAUAP_WEBHOOK_SECRET": SECRET,
        "JAUAP_WEBHOOK_PATH": HOOK,
        "JAUAP_TELEGRAM_API_BASE": telegram.base,
        "JAUAP_RETRY_BACKOFF": "0.01",
    }


@pytest.fixture(scope="module")
def cluster(postgres, tmp_path_factory) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("replicas")
    shutil.copytree(CORPUS, folder / "corpus")
    index = Settings.of(corpus_dir=folder / "corpus", index_dir=folder / "index", embedder="hash",
                          curated_file=folder / "curated.toml", abstain_below=0.0)  # fmt: skip
    build_index(index)
    redis, telegram = Redis(), FakeTelegram().start()
    pg_url = postgres.create_database("replicas")
    replicas = ReplicaCluster(index, folder, _settings(pg_url, redis.url, telegram))
    try:
        replicas.start()
        yield Cluster(replicas.lb, replicas.replicas, index, telegram, redis)
    finally:
        replicas.stop()
        redis.stop()
        telegram.stop()


def _ask(base: str, question: str = QUESTION, ip: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": ip or next(_ips)}  # the client address nginx passes on (a trusted proxy)
    return httpx.post(f"{base}/ask", json={"question": question}, headers=headers, timeout=30)


def _metric(base: str, name: str) -> float:
    for line in httpx.get(f"{base}/metrics", timeout=10).text.splitlines():
        if line.split(" ", 1)[0] == name:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def _eventually(check, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_feedback_through_one_replica_shows_in_the_report_and_metrics_of_the_other(cluster: Cluster) -> None:
    one, two = cluster.replicas
    answer = _ask(one).json()
    rating = {"answer_id": answer["answer_id"], "rating": -1, "reason": "ЖСН 880101300123"}
    assert httpx.post(f"{one}/feedback", json=rating, headers={"X-Forwarded-For": next(_ips)}).status_code == 200

    def in_report() -> bool:
        report = httpx.get(f"{two}/admin/report", headers=ADMIN, timeout=30).json()
        return any(d["answer_id"] == answer["answer_id"] for d in report["thumbs_down"])

    _eventually(in_report)
    report = httpx.get(f"{two}/admin/report", headers=ADMIN, timeout=30).json()
    down = next(d for d in report["thumbs_down"] if d["answer_id"] == answer["answer_id"])
    assert down["reason"] == "ЖСН [IIN]" and down["question"] == QUESTION
    assert _metric(two, 'jauap_logged_feedback{rating="-1"}') >= 1
    assert _metric(two, "jauap_logged_questions") >= 1
    ready = httpx.get(f"{two}/readyz").json()
    assert ready["engines"] == {"database": "postgresql", "shared_state": "redis"} and ready["status"] == "ready"


def test_a_client_over_its_limit_is_refused_by_both_replicas(cluster: Cluster) -> None:
    ip = "203.0.113.7"
    statuses = [httpx.get(f"{cluster.lb}/documents", headers={"X-Forwarded-For": ip}).status_code for _ in range(6)]
    assert statuses == [200] * 6
    for base in cluster.replicas:  # nginx spread the six over both; each replica now refuses the seventh
        refused = httpx.get(f"{base}/documents", headers={"X-Forwarded-For": ip})
        assert refused.status_code == 429 and "retry-after" in refused.headers
    assert httpx.get(f"{cluster.lb}/documents", headers={"X-Forwarded-For": "203.0.113.8"}).status_code == 200
    assert sum(_metric(base, "jauap_rate_limited_total") for base in cluster.replicas) >= 2


def test_a_repeated_question_is_answered_from_the_shared_cache_by_the_other_replica(cluster: Cluster) -> None:
    one, two = cluster.replicas
    question = "ХҚКО қанша қызмет көрсетті? " + uuid.uuid4().hex[:6]
    hits = _metric(two, "jauap_answer_cache_hits_total")
    first = _ask(one, question).json()
    again = _ask(two, question).json()
    assert _metric(two, "jauap_answer_cache_hits_total") == hits + 1
    texts = [[(c["doc"], c["start"], c["end"]) for c in a["citations"]] for a in (first, again)]
    assert texts[0] == texts[1] and again["answer"] == first["answer"]


def test_a_telegram_update_delivered_to_both_replicas_is_answered_once(cluster: Cluster) -> None:
    update = {"update_id": 9001, **message(QUESTION, user_id=777)}
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    for base in cluster.replicas:
        assert httpx.post(f"{base}{HOOK}", json=update, headers=headers, timeout=30).status_code == 200
    time.sleep(0.5)  # give a (wrong) second answer the time to arrive
    assert len([p for p in cluster.telegram.calls_of("sendMessage") if p["chat_id"] == 777]) == 1


def test_losing_redis_keeps_the_bot_and_the_api_answering(cluster: Cluster) -> None:
    one = cluster.replicas[0]
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    cluster.redis.stop()
    try:
        update = {"update_id": 9100, **message(QUESTION, user_id=778)}
        assert httpx.post(f"{one}{HOOK}", json=update, headers=headers, timeout=30).status_code == 200
        _eventually(lambda: len([p for p in cluster.telegram.calls_of("sendMessage") if p["chat_id"] == 778]) == 1)
        assert _ask(cluster.lb).status_code == 200
        ready = httpx.get(f"{one}/readyz").json()
        assert ready["status"] == "degraded" and "redis" in ready["degraded"]
        assert _metric(one, 'jauap_degraded{part="redis"}') == 1
    finally:
        cluster.redis.start()


def test_a_newly_published_index_switches_both_replicas_with_no_failed_request(cluster: Cluster) -> None:
    before = {httpx.get(f"{base}/healthz").json()["index_version"] for base in cluster.replicas}
    assert len(before) == 1
    statuses: list[int] = []
    versions: set[str] = set()
    stop = threading.Event()

    def keep_asking() -> None:
        while not stop.is_set():
            response = _ask(cluster.lb, "цифрлық қолтаңба eGov mobile")
            statuses.append(response.status_code)
            if response.status_code == 200:
                versions.add(response.json()["index_version"])

    workers = [threading.Thread(target=keep_asking) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        (cluster.index.retrieval.corpus_dir / "ecp.txt").write_text(NEW_DOC, encoding="utf-8")
        build_index(cluster.index)
        after = Path(os.path.realpath(cluster.index.retrieval.index_dir)).name

        def switched() -> bool:
            return all(httpx.get(f"{b}/healthz").json()["index_version"] == after for b in cluster.replicas)

        _eventually(switched, 60)
        time.sleep(0.5)  # and keep asking a little on the new version
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    assert len(statuses) >= 10 and set(statuses) == {200}, f"{len(statuses)} requests, statuses {set(statuses)}"
    assert versions == before | {after}
    for base in cluster.replicas:
        assert httpx.get(f"{base}/readyz").json()["index_version"] == after


def test_losing_postgres_keeps_answers_flowing_and_no_log_row_is_lost(cluster: Cluster, postgres) -> None:
    one, two = cluster.replicas
    postgres.stop()
    try:
        answers = [_ask(base) for base in (one, two, one, two)]
        assert [a.status_code for a in answers] == [200] * 4
        _eventually(lambda: all(httpx.get(f"{b}/readyz").json()["status"] == "degraded" for b in (one, two)))
        assert "database" in httpx.get(f"{one}/readyz").json()["degraded"]
        assert _metric(one, 'jauap_degraded{part="database"}') == 1
    finally:
        postgres.start()
    ids = {a.json()["answer_id"] for a in answers}

    def delivered() -> bool:
        report = httpx.get(f"{two}/admin/report", headers=ADMIN, timeout=30)
        return report.status_code == 200 and httpx.get(f"{one}/readyz").json()["status"] == "ready"

    _eventually(delivered)
    import sqlalchemy as sa

    engine = sa.create_engine(
        postgres.url.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0] + "/replicas"
    )
    with engine.connect() as conn:
        stored = set(conn.execute(sa.text("SELECT answer_id FROM questions")).scalars())
    engine.dispose()
    assert ids <= stored


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("JAUAP_DATABASE_URL", "postgresql://jauap:pw@127.0.0.1:1/jauap", "Cannot reach the database"),
        ("JAUAP_DATABASE_URL", "mysql://127.0.0.1/jauap", "JAUAP_DATABASE_URL names 'mysql'"),
        ("JAUAP_REDIS_URL", "redis://127.0.0.1:1/0", "Cannot reach Redis"),
    ],
)
def test_a_wrong_or_unreachable_engine_stops_the_api_at_start_with_a_clear_error(
    cluster: Cluster, tmp_path: Path, variable: str, value: str, message: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JAUAP_")}
    env.update(PYTHONPATH=str(ROOT), JAUAP_INDEX_DIR=str(cluster.index.retrieval.index_dir), JAUAP_EMBEDDER="hash")
    env[variable] = value
    result = subprocess.run([sys.executable, "-m", "api", "--port", str(free_port())], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 2
    assert message in result.stderr and "pw" not in result.stderr
