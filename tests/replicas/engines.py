"""Throwaway real engines on loopback for the tests: a PostgreSQL cluster, a redis-server, an nginx.

PostgreSQL refuses to run as root, so as root (CI) the cluster lives in a fresh temp folder owned by `nobody`
and its processes run through `runuser`; as any other user they run directly.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

PG_BIN = Path("/usr/lib/postgresql")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")
        time.sleep(0.05)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _pg_tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(PG_BIN.glob("*/bin/" + name)) if PG_BIN.exists() else []
    return str(versions[-1]) if versions else None


class Postgres:
    """One PostgreSQL cluster in a temp folder: start, stop (to simulate an outage), start again, destroy."""

    def __init__(self) -> None:
        initdb, self.pg_ctl = _pg_tool("initdb"), _pg_tool("pg_ctl")
        if initdb is None or self.pg_ctl is None:
            pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql)")
        self.root = Path(tempfile.mkdtemp(prefix="jauap-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgresql://jauap@127.0.0.1:{self.port}/jauap"
        self._as: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("nobody")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "nobody", "--"]
        self._run([initdb, "-D", str(self.data), "-U", "jauap", "-A", "trust", "--no-sync", "-E", "UTF8"])
        self.start()
        createdb = _pg_tool("createdb")
        self._run([createdb, "-h", "127.0.0.1", "-p", str(self.port), "-U", "jauap", "jauap"])

    def create_database(self, name: str) -> str:
        """A new empty database in this cluster; returns its URL."""
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=jauap dbname=jauap", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://jauap@127.0.0.1:{self.port}/{name}"

    def _run(self, args: list[str]) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, timeout=120, cwd=self.root)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = self.root / "server.log"
        self._run([self.pg_ctl, "-D", str(self.data), "-o", options, "-l", str(log), "-w", "-t", "60", "start"])

    def stop(self) -> None:
        self._run([self.pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop"])

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class Redis:
    """A redis-server on a free loopback port, without persistence; stop/start simulate an outage."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: port_open(self.port), "redis-server")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def start_nginx(folder: Path, port: int, upstreams: list[int]) -> subprocess.Popen[bytes]:
    """Debian's nginx in the foreground, round-robin over `upstreams` on loopback, passing the client address on."""
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if binary is None:
        pytest.skip("nginx is not installed (Debian: apt-get install nginx)")
    servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=0;" for p in upstreams)
    user = "user nobody nogroup;" if os.geteuid() == 0 else ""
    conf = f"""{user}
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy;
  fastcgi_temp_path {folder}/fastcgi; uwsgi_temp_path {folder}/uwsgi; scgi_temp_path {folder}/scgi;
  upstream jauap {{
{servers}
  }}
  server {{
    listen 127.0.0.1:{port};
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    location / {{
      proxy_pass http://jauap;
      proxy_next_upstream error timeout http_502 http_503 non_idempotent;
    }}
    location /telegram/ {{
      proxy_pass http://jauap;
      proxy_next_upstream error timeout http_502 http_503;
    }}
  }}
}}
"""
    path = folder / "nginx.conf"
    path.write_text(conf, encoding="utf-8")
    process = subprocess.Popen([binary, "-c", str(path), "-p", str(folder)], stderr=subprocess.PIPE)
    wait_for(lambda: port_open(port) or process.poll() is not None, "nginx")
    if process.poll() is not None:
        raise RuntimeError(f"nginx failed: {process.stderr.read().decode() if process.stderr else ''}")
    return process
