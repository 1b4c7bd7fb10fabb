"""Faults the soak injects while its load runs, each measured the same way: requests failed, time to recover.

Data lost is counted by the caller once the store has settled (ratings acknowledged in the fault's window that the
store lacks); the Telegram faults count their own (updates not answered exactly once).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from soak_load import Load
from soak_stack import HOOK, MALFORMED, SECRET, STALL, Postgres, Redis, Stack, message, wait_for

NEW_DOC = "Цифрлық қолтаңба (ЭЦҚ) алу үшін азамат eGov mobile қосымшасында өтінім береді. Кілт бір жыл жарамды."
QUESTION = "«Электрондық үкімет» порталын күн сайын қанша азамат пайдаланады?"


@dataclass
class Fault:
    name: str
    start: float = 0.0
    end: float = 0.0  # the service whole again (every replica ready, the part back)
    recovery_s: float = 0.0  # from the part coming back (or the fault's end) to the service whole
    failed: int = 0  # 5xx or no answer to requests in flight during [start, end + 1 s] (the caller adds the load's)
    lost: int = 0  # acknowledged and then missing (filled in by the caller for ratings)
    notes: list[str] = field(default_factory=list)
    restored: float = 0.0  # set by a fault whose part comes back before the end of its block


def ready(stack: Stack) -> bool:
    """Every replica answers /readyz with status 'ready' (nothing degraded, spools delivered)."""
    assert stack.cluster is not None
    try:
        return all(httpx.get(f"{b}/readyz", timeout=5).json().get("status") == "ready" for b in stack.cluster.replicas)
    except (httpx.HTTPError, ValueError):
        return False


@contextlib.contextmanager
def measured(name: str, load: Load, stack: Stack) -> Iterator[Fault]:
    """Time the fault run in the block; `fault.end` is set when the service is whole again."""
    fault = Fault(name, start=time.monotonic())
    yield fault
    restored = fault.restored or time.monotonic()
    wait_for(lambda: ready(stack), f"{name}: every replica ready again", 120)
    fault.end = time.monotonic()
    fault.recovery_s = round(fault.end - restored, 2)
    time.sleep(1.0)  # requests sent up to a second after recovery count for the fault (counted once they end)


def kill_api(stack: Stack, load: Load, hold: float) -> Fault:
    """SIGKILL one replica, leave it down `hold` seconds, start it again (nginx sends to the other meanwhile)."""
    assert stack.cluster is not None
    with measured("kill-api", load, stack) as fault:
        stack.cluster.kill(0)
        time.sleep(hold)
        fault.restored = time.monotonic()  # recovery: the restart until every replica is ready
        stack.cluster.restart(0, timeout=300)
    return fault


def _outage(name: str, part: Redis | Postgres | None, stack: Stack, load: Load, hold: float) -> Fault:
    """A shared part stopped `hold` seconds, then started again."""
    assert part is not None
    with measured(name, load, stack) as fault:
        part.stop()
        time.sleep(hold)
        part.start()
    return fault


def redis_outage(stack: Stack, load: Load, hold: float) -> Fault:
    return _outage("redis", stack.redis, stack, load, hold)


def postgres_outage(stack: Stack, load: Load, hold: float) -> Fault:
    return _outage("postgres", stack.postgres, stack, load, hold)


_update_ids = iter(range(10**6, 10**7))


def _hook(base: str, update: dict) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    try:
        return httpx.post(f"{base}{HOOK}", json=update, headers=headers, timeout=120).status_code
    except httpx.HTTPError:
        return 0


def _answers(stack: Stack, chat: int) -> list[str]:
    """Texts the bot sent to `chat` that the Bot API accepted."""
    assert stack.telegram is not None
    return [p["text"] for p in stack.telegram.answered_of("sendMessage") if int(p.get("chat_id") or 0) == chat]


def bot_api_errors(stack: Stack, load: Load, hold: float) -> Fault:
    """The Bot API answers 429 + retry_after, 500, 502, too late (a timeout) and not JSON, one after another."""
    from bot.texts import t

    assert stack.telegram is not None and stack.cluster is not None
    chats = [900_001 + i for i in range(3)]
    with measured("bot-api-errors", load, stack) as fault:
        stack.telegram.fail("sendMessage", 429, 500, 502, STALL, MALFORMED)
        statuses = [_hook(stack.cluster.lb, {"update_id": next(_update_ids), **message(QUESTION, user_id=c)})
                    for c in chats]  # fmt: skip
        wait_for(lambda: all(_answers(stack, c) for c in chats), "every update answered", 120)
    fault.failed += sum(1 for s in statuses if s != 200)
    apology = t("error", "kk")
    fault.lost = sum(1 for c in chats if not _answers(stack, c) or apology in _answers(stack, c))
    fault.notes.append(f"{len(chats)} updates, webhook statuses {sorted(set(statuses))}")
    return fault


def duplicate_update(stack: Stack, load: Load, hold: float) -> Fault:
    """One Telegram update delivered four times (twice through nginx, once to each replica): answered once."""
    assert stack.cluster is not None
    reference, twice = 910_001, 910_002
    with measured("duplicate-update", load, stack) as fault:
        _hook(stack.cluster.lb, {"update_id": next(_update_ids), **message(QUESTION, user_id=reference)})
        update = {"update_id": next(_update_ids), **message(QUESTION, user_id=twice)}
        statuses = [_hook(base, update) for base in (stack.cluster.lb, *stack.cluster.replicas, stack.cluster.lb)]
        wait_for(lambda: bool(_answers(stack, reference) and _answers(stack, twice)), "both updates answered", 60)
        time.sleep(hold)  # time for a wrong second answer to arrive
    fault.failed += sum(1 for s in statuses if s != 200)
    once, got = len(_answers(stack, reference)), len(_answers(stack, twice))
    fault.lost = abs(got - once)
    fault.notes.append(f"delivered 4 times: {got} message(s) sent, {once} for the same question delivered once")
    return fault


def _build(stack: Stack) -> subprocess.Popen[bytes]:
    from cluster import replica_env

    assert stack.cluster is not None
    log = (stack.folder / "build.log").open("ab")
    env = replica_env(stack.index, stack.folder, stack.cluster.env)
    return subprocess.Popen([sys.executable, "-m", "index", "build"], env=env, cwd=stack.folder, stdout=log,
                            stderr=log)  # fmt: skip


_builds = iter(range(1, 10**6))


def index_build(stack: Stack, load: Load, hold: float) -> Fault:
    """`index build` killed mid-way (the served version stays), then a new version published under load."""
    from app.live import published_version

    assert stack.cluster is not None
    link = stack.index.retrieval.index_dir
    before = published_version(link)
    n = next(_builds)  # a new document each time: every run of this fault publishes a new version
    (stack.index.retrieval.corpus_dir / f"soak-ecp-{n}.txt").write_text(f"{NEW_DOC} ({n})", encoding="utf-8")
    with measured("index-build", load, stack) as fault:
        build = _build(stack)
        while build.poll() is None and not list(link.parent.glob("*.partial")):
            time.sleep(0.005)
        build.kill()
        build.wait()
        same = published_version(link) == before
        fault.notes.append(f"build killed {'while writing its version' if same else 'too late: it had published'}")
        rebuild = _build(stack)
        if rebuild.wait(timeout=900) != 0:
            raise RuntimeError(f"index build failed: {(stack.folder / 'build.log').read_text()[-2000:]}")
        fault.restored = time.monotonic()
        after = published_version(link)

        def switched() -> bool:
            versions = {httpx.get(f"{b}/healthz", timeout=5).json()["index_version"] for b in stack.cluster.replicas}
            return versions == {after}

        wait_for(switched, "both replicas on the new index", 300)
    fault.lost = 0 if after != before else 1
    fault.notes.append(f"{before} -> {after}")
    return fault


def disk(mode: str) -> Callable[[Stack, Load, float], Fault]:
    """The replicas' local log disk (the spool the log falls back to) full or read-only while PostgreSQL is down."""

    def run(stack: Stack, load: Load, hold: float) -> Fault:
        assert stack.cluster is not None and stack.postgres is not None
        fault = Fault(f"disk-{mode}")
        if os.geteuid() != 0:
            fault.notes.append("skipped: mounting a small tmpfs needs root")
            return fault
        spools = [stack.cluster.own_folder(n) / "querylog-spool" for n in range(len(stack.cluster.ports))]
        mounted: list[Path] = []
        for spool in spools:
            spool.mkdir(exist_ok=True)
            options = "size=64k" + (",ro" if mode == "readonly" else "")
            done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(spool)], capture_output=True)
            if done.returncode != 0:  # a container without CAP_SYS_ADMIN
                for path in mounted:
                    subprocess.run(["umount", "-l", str(path)], check=True)
                fault.notes.append(f"skipped: cannot mount a tmpfs here ({done.stderr.decode().strip()[:100]})")
                return fault
            mounted.append(spool)
        with measured(f"disk-{mode}", load, stack) as fault:
            if mode == "full":
                for spool in spools:
                    _fill(spool / "fill")
            try:
                stack.postgres.stop()  # the log's rows must now go to the local disk, which refuses them
                time.sleep(hold)
            finally:
                for spool in spools:
                    subprocess.run(["umount", "-l", str(spool)], check=True)
                stack.postgres.start()
            fault.restored = time.monotonic()
        logs = [stack.cluster.own_folder(n) / "stderr.log" for n in range(len(stack.cluster.ports))]
        refused = sum(log.read_text(errors="replace").count("spool refused rows") for log in logs)
        fault.notes.append(f"spool refusals logged so far: {refused}; a rating neither the database nor the disk "
                           "took: 503 + Retry-After (not acknowledged), held in memory, stored later")  # fmt: skip
        return fault

    return run


def _fill(path: Path) -> None:
    with contextlib.suppress(OSError), path.open("wb") as handle:
        while True:
            handle.write(b"\0" * 4096)
            handle.flush()


FAULTS: dict[str, Callable[[Stack, Load, float], Fault]] = {
    "kill-api": kill_api,
    "redis": redis_outage,
    "postgres": postgres_outage,
    "bot-api-errors": bot_api_errors,
    "duplicate-update": duplicate_update,
    "index-build": index_build,
    "disk-full": disk("full"),
    "disk-readonly": disk("readonly"),
}
