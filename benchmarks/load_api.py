"""Load benchmark of POST /ask on the real server: concurrency N for T seconds, then req/s and latency percentiles.

    python benchmarks/load_api.py [--concurrency 8] [--duration 30] [--workers 1] [--index-dir artifacts/index]

Starts `python -m api` (uvicorn) in a subprocess on 127.0.0.1 over the real default index (built first with
`python -m index build` if it is missing), with rate limiting off, and drives it with httpx from this process.
Note that the load generator shares the machine's cores with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT.parent / "shared" / "eval" / "dev.jsonl"
FALLBACK_QUESTIONS = [
    "«Электрондық үкімет» порталын күн сайын қанша азамат пайдаланады?",
    "Мемлекеттік қызметтер бойынша кеңес алу үшін қай нөмірге хабарласу керек?",
    "Халыққа қызмет көрсету орталықтары қанша қызмет көрсетті?",
    "Сколько граждан ежедневно пользуются порталом электронного правительства?",
    "Ақпараттық теңсіздік деген не?",
    "Elektrondyq ukimet portaly qashan iske qosyldy?",
]


def questions() -> list[str]:
    if DEV_SET.exists():
        lines = DEV_SET.read_text(encoding="utf-8").splitlines()
        return [json.loads(line)["question"] for line in lines if line.strip()]
    return FALLBACK_QUESTIONS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_index(index_dir: Path) -> None:
    if index_dir.exists():
        return
    print(f"building the index into {index_dir} …", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "index", "build", "--out", str(index_dir)], cwd=ROOT, check=True)


def start_server(index_dir: Path, port: int, workers: int, tmp: Path, cache: bool) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        JAUAP_INDEX_DIR=str(index_dir),
        JAUAP_RATE_LIMIT="0",
        JAUAP_QUERYLOG_PATH=str(tmp / "querylog.sqlite3"),
    )
    if not cache:
        env["JAUAP_ANSWER_CACHE_SIZE"] = "0"
    cmd = [sys.executable, "-m", "api", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    log = (tmp / "server.log").open("wb")
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit("server did not become ready")


async def drive(base: str, qs: list[str], concurrency: int, duration: float) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:

        async def worker(offset: int, until: float) -> None:
            nonlocal errors
            i = offset
            while time.perf_counter() < until:
                question = qs[i % len(qs)]
                i += concurrency
                started = time.perf_counter()
                try:
                    response = await client.post("/ask", json={"question": question})
                    ok = response.status_code == 200 and "citations" in response.json()
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1

        warm_until = time.perf_counter() + 3
        await asyncio.gather(*(worker(n, warm_until) for n in range(concurrency)))
        latencies.clear()
        errors = 0
        started = time.perf_counter()
        until = started + duration
        await asyncio.gather(*(worker(n, until) for n in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, errors, elapsed


def _counter(metrics: str, name: str) -> float:
    for line in metrics.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--no-cache", action="store_true", help="turn the answer cache off: every request embeds")
    parser.add_argument("--index-dir", type=Path, default=ROOT / "artifacts" / "index")
    args = parser.parse_args()

    ensure_index(args.index_dir)
    qs = questions()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        proc = start_server(args.index_dir, port, args.workers, Path(tmp), cache=not args.no_cache)
        try:
            wait_ready(base, proc)
            latencies, errors, elapsed = asyncio.run(drive(base, qs, args.concurrency, args.duration))
            metrics = httpx.get(f"{base}/metrics", timeout=10).text
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    latencies.sort()
    ms = [x * 1000 for x in latencies]
    result = {
        "concurrency": args.concurrency,
        "duration_s": round(elapsed, 1),
        "workers": args.workers,
        "answer_cache": not args.no_cache,
        "cache_hits_incl_warmup": _counter(metrics, "jauap_answer_cache_hits_total"),
        "questions": len(qs),
        "requests": len(latencies),
        "errors": errors,
        "req_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "mean_ms": round(statistics.fmean(ms), 1) if ms else None,
    }
    print(json.dumps(result))
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
