"""Real `python -m api` replicas behind Debian's nginx, for the replica tests and the soak (benchmarks/soak.py).

The replicas share one PostgreSQL database and one Redis (started by `engines`); each has its own folder (its
stderr, its log spool). One replica can be killed with SIGKILL and started again on its port, as an orchestrator
would, while nginx keeps sending to the survivor.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
from engines import free_port, port_open, start_nginx, wait_for

from config import Settings

ROOT = Path(__file__).resolve().parents[2]


def replica_env(index: Settings, folder: Path, extra: dict[str, str]) -> dict[str, str]:
    """The environment of one replica: this process's, minus any JAUAP_ setting, plus the index and `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JAUAP_")}
    env.update(
        PYTHONPATH=str(ROOT),
        JAUAP_CORPUS_DIR=str(index.retrieval.corpus_dir),
        JAUAP_INDEX_DIR=str(index.retrieval.index_dir),
        JAUAP_CURATED_FILE=str(index.retrieval.curated_file),
        JAUAP_EMBEDDER=index.retrieval.embedder,
        JAUAP_ABSTAIN_BELOW=str(index.retrieval.abstain_below),
        JAUAP_QUERYLOG_PATH=str(folder / "querylog.sqlite3"),
    )
    env.update(extra)
    return env


def ready(port: int) -> bool:
    """The replica on `port` answers /readyz with 200 (its index is loaded)."""
    if not port_open(port):
        return False
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


class ReplicaCluster:
    """`count` API processes on free loopback ports and an nginx in front of them; `stop()` ends them all."""

    def __init__(self, index: Settings, folder: Path, env: dict[str, str], count: int = 2) -> None:
        self.index = index
        self.folder = folder
        self.env = env
        self.ports = [free_port() for _ in range(count)]
        self.processes: list[subprocess.Popen[bytes] | None] = [None] * count
        self.nginx: subprocess.Popen[bytes] | None = None
        self.nginx_dir = Path(tempfile.mkdtemp(prefix="jauap-nginx-"))
        self.lb_port = free_port()

    @property
    def lb(self) -> str:
        return f"http://127.0.0.1:{self.lb_port}"

    @property
    def replicas(self) -> list[str]:
        return [f"http://127.0.0.1:{p}" for p in self.ports]

    def own_folder(self, n: int) -> Path:
        """Replica `n`'s working folder (its stderr.log, its query-log spool)."""
        own = self.folder / f"replica{n}"
        own.mkdir(parents=True, exist_ok=True)
        return own

    def start(self, timeout: float = 120.0) -> ReplicaCluster:
        try:
            for n in range(len(self.ports)):
                self._spawn(n)
            for n in range(len(self.ports)):
                self.wait_ready(n, timeout)
            os.chmod(self.nginx_dir, 0o777)
            self.nginx = start_nginx(self.nginx_dir, self.lb_port, self.ports)
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, n: int) -> None:
        own = self.own_folder(n)
        log = (own / "stderr.log").open("ab")
        self.processes[n] = subprocess.Popen(
            [sys.executable, "-m", "api", "--port", str(self.ports[n])],
            cwd=own,
            env=replica_env(self.index, own, self.env),
            stdout=log,
            stderr=log,
        )
        log.close()

    def wait_ready(self, n: int, timeout: float = 120.0) -> None:
        process = self.processes[n]
        assert process is not None
        wait_for(lambda: ready(self.ports[n]) or process.poll() is not None, f"API replica {n}", timeout)
        if process.poll() is not None:
            tail = (self.own_folder(n) / "stderr.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"API replica {n} exited with {process.returncode}:\n{tail}")

    def pids(self) -> dict[str, int]:
        """name → pid of each process this cluster started (replicas and the nginx master)."""
        found = {f"api{n}": p.pid for n, p in enumerate(self.processes) if p is not None and p.poll() is None}
        if self.nginx is not None and self.nginx.poll() is None:
            found["nginx"] = self.nginx.pid
        return found

    def kill(self, n: int) -> None:
        """SIGKILL replica `n` (no shutdown, no flush: what a crash or the OOM killer does)."""
        process = self.processes[n]
        if process is not None:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            self.processes[n] = None

    def restart(self, n: int, timeout: float = 120.0) -> None:
        """Start replica `n` again on its port and wait until it is ready."""
        self._spawn(n)
        self.wait_ready(n, timeout)

    def stop(self) -> None:
        running = [p for p in [*self.processes, self.nginx] if p is not None]
        for process in running:
            process.terminate()
        for process in running:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.processes = [None] * len(self.ports)
        self.nginx = None
        shutil.rmtree(self.nginx_dir, ignore_errors=True)
