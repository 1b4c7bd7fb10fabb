"""What the soak runs against: two `python -m api` replicas behind nginx, PostgreSQL, Redis, a loopback Bot API.

All of it comes from the replica tests' harness (tests/replicas/cluster.py, engines.py; tests/bot/fake_telegram.py),
on loopback, in a temp folder removed afterwards. The index is the real one (a copy of the built `artifacts/index`
with its embedding cache, so a rebuild re-embeds only what changed) or, for CI, the tiny test corpus with the fake
`hash` embedder.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from contextlib import suppress
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "tests" / "replicas", ROOT / "tests" / "bot"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from cluster import ReplicaCluster  # noqa: E402
from engines import Postgres, Redis, wait_for  # noqa: E402
from fake_telegram import MALFORMED, STALL, TOKEN, FakeTelegram, message  # noqa: E402

from config import Settings  # noqa: E402
from index.build import build_index  # noqa: E402

# the fault module's Bot API controls and the harness's parts come through here (this module puts tests/ on the path)
__all__ = ["MALFORMED", "STALL", "Postgres", "Redis", "Stack", "message", "wait_for"]
SECRET = "soak-secret"
HOOK = "/telegram/hook"
ADMIN = "soak-admin"


def _index(folder: Path, real: bool) -> tuple[Settings, dict[str, str]]:
    """Settings of the index the replicas serve (copied or built into `folder`) and the env they need for it."""
    if not real:
        shutil.copytree(ROOT / "tests" / "data" / "corpus", folder / "corpus")
        index = Settings.of(corpus_dir=folder / "corpus", index_dir=folder / "index", embedder="hash",
                            curated_file=folder / "curated.toml", abstain_below=0.0)  # fmt: skip
        build_index(index)
        return index, {}
    source = Settings.load()  # JAUAP_INDEX_DIR / JAUAP_ENGINE_DIR of the caller, else artifacts/ of the project
    if not source.retrieval.index_dir.exists():
        raise SystemExit(f"no index at {source.retrieval.index_dir}: build it with `python -m index build` (or --tiny)")
    built = source.retrieval.index_dir.resolve()
    shutil.copytree(built, folder / built.name)
    (folder / "index").symlink_to(built.name)
    cache = built.parent / "embedding-cache.sqlite3"
    if cache.exists():
        shutil.copy2(cache, folder / cache.name)
    shutil.copytree(source.retrieval.corpus_dir, folder / "corpus")
    curated = folder / "curated.toml"
    index = source.replace(corpus_dir=folder / "corpus", index_dir=folder / "index", curated_file=curated)
    if source.retrieval.curated_file.exists():
        shutil.copy2(source.retrieval.curated_file, index.retrieval.curated_file)
    return index, {"JAUAP_ENGINE_DIR": str(source.retrieval.engine_dir), "JAUAP_EMBED_THREADS": "1"}


class Stack:
    """Start everything (`with Stack(real) as stack:`), give the store's rows and each process's RSS, stop it all."""

    def __init__(self, real: bool = False, logs: Path | None = None) -> None:
        self.real = real
        self.logs = logs  # where the replicas' stderr.log and the build log are copied at the end
        self.folder = Path(tempfile.mkdtemp(prefix="jauap-soak-"))
        os.chmod(self.folder, 0o755)
        self.postgres: Postgres | None = None
        self.redis: Redis | None = None
        self.telegram: FakeTelegram | None = None
        self.cluster: ReplicaCluster | None = None

    def __enter__(self) -> Stack:
        try:
            self.index, env = _index(self.folder, self.real)
            self.postgres = Postgres()
            self.pg_url = self.postgres.create_database("soak")
            self.redis = Redis()
            self.telegram = FakeTelegram().start()
            env.update(
                JAUAP_DATABASE_URL=self.pg_url, JAUAP_REDIS_URL=self.redis.url, JAUAP_RATE_LIMIT="600/minute",
                JAUAP_ADMIN_TOKEN=ADMIN, JAUAP_INDEX_WATCH_SECONDS="0.5", JAUAP_BOT_MODE="webhook",
                JAUAP_BOT_TOKEN=TOKEN, JAUAP_WEBHOOK_SECRET=SECRET, JAUAP_WEBHOOK_PATH=HOOK,
                JAUAP_TELEGRAM_API_BASE=self.telegram.base, JAUAP_RETRY_BACKOFF="0.05", JAUAP_REQUEST_TIMEOUT="1",
                JAUAP_RETRIES="5",
                JAUAP_LOG_LEVEL="WARNING",
            )  # fmt: skip
            self.cluster = ReplicaCluster(self.index, self.folder, env).start(timeout=300)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.cluster is not None:
            self.cluster.stop()
        if self.telegram is not None:
            self.telegram.stop()
        if self.redis is not None:
            self.redis.stop()
        if self.postgres is not None:
            self.postgres.destroy()
        if self.logs is not None:
            self.logs.mkdir(parents=True, exist_ok=True)
            for log in [*self.folder.glob("replica*/stderr.log"), *self.folder.glob("build.log")]:
                shutil.copy2(log, self.logs / f"{log.parent.name}-{log.name}")
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- the store ---------------------------------------------------------------------------------------------
    def stored(self) -> tuple[set[str], dict[str, int]]:
        """Answer ids in the questions table and answer id → rating in the feedback table (PostgreSQL)."""
        engine = sa.create_engine(self.pg_url.replace("postgresql://", "postgresql+psycopg://"))
        try:
            with engine.connect() as conn:
                asked = set(conn.execute(sa.text("SELECT answer_id FROM questions")).scalars())
                rated = dict(conn.execute(sa.text("SELECT answer_id, rating FROM feedback")).tuples().all())
        finally:
            engine.dispose()
        return asked, rated

    # -- memory ------------------------------------------------------------------------------------------------
    def processes(self) -> dict[str, list[int]]:
        """name → pids: each replica, nginx (master and workers), redis-server, PostgreSQL (postmaster and backends)."""
        assert self.cluster is not None and self.redis is not None and self.postgres is not None
        found = {name: [pid] for name, pid in self.cluster.pids().items()}
        if "nginx" in found:
            found["nginx"] += _children(found["nginx"][0])
        if self.redis.process is not None:
            found["redis"] = [self.redis.process.pid]
        with suppress(OSError, ValueError, IndexError):
            master = int((self.postgres.data / "postmaster.pid").read_text().split()[0])
            found["postgres"] = [master, *_children(master)]
        return found

    def rss_mb(self) -> dict[str, float]:
        """Resident memory of each process group in MB (a process gone meanwhile counts 0)."""
        return {name: round(sum(_rss_kb(pid) for pid in pids) / 1024, 1) for name, pids in self.processes().items()}


def _children(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, ValueError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(stat.parent.name))
    return found


def _rss_kb(pid: int) -> int:
    with suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0
