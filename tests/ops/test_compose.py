"""The deployment files: `docker compose config` (or Debian's docker-compose) accepts them and shows the layout."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from jauap.envdoc import COMPOSE_PRESET, FROM_DATA_DIR, IMAGE_PRESET, settings_by_section

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"


def _compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30, check=False)
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


@pytest.fixture(scope="module")
def config() -> dict:
    command = _compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed (apt-get install docker-compose)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JAUAP_", "COMPOSE_"))}
    result = subprocess.run(
        [*command, "-f", str(COMPOSE), "config"], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def _mounts(service: dict) -> dict[str, tuple[str, bool]]:
    """target → (source, read_only), from either the short (v1) or the long (v2) volume syntax."""
    mounts = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, target, *mode = volume.split(":")
            mounts[target] = (Path(source).name if "/" in source else source, mode == ["ro"])
        else:
            source = volume["source"]
            mounts[volume["target"]] = (Path(source).name if "/" in source else source, bool(volume.get("read_only")))
    return mounts


def _healthcheck(service: dict) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


def test_services_and_their_volumes(config: dict) -> None:
    assert set(config["services"]) == {"indexer", "api", "bot", "nginx", "postgres", "redis"}
    assert {"index", "state", "postgres-data", "redis-data"} <= set(config["volumes"])


def test_api_replicas_scale_behind_nginx_and_wait_for_the_index_and_engines(config: dict) -> None:
    api = config["services"]["api"]
    for needed, condition in (("indexer", "service_completed_successfully"), ("postgres", "service_healthy"),
                              ("redis", "service_healthy")):  # fmt: skip
        assert api["depends_on"][needed]["condition"] == condition
    assert "api.healthcheck" in _healthcheck(api)  # probes /readyz on JAUAP_PORT
    assert api["restart"] == "unless-stopped"
    assert api["command"] == ["python", "-m", "api"]
    assert api["environment"]["JAUAP_HOST"] == "0.0.0.0"
    assert "ports" not in api and "container_name" not in api  # `--scale api=3` needs both absent
    assert api["environment"]["JAUAP_DATABASE_URL"].startswith("postgresql://jauap:")
    assert api["environment"]["JAUAP_REDIS_URL"].startswith("redis://redis:")
    assert api["environment"]["JAUAP_TRUSTED_PROXIES"] == "*"


def test_nginx_is_the_only_published_entry_and_routes_the_webhook_to_the_bot(config: dict) -> None:
    nginx = config["services"]["nginx"]
    assert nginx["image"].startswith("nginx:1.27")
    assert str(nginx["ports"][0]).endswith("8080") or nginx["ports"][0]["target"] == 8080
    assert _mounts(nginx)["/etc/nginx/conf.d/default.conf"] == ("nginx.conf", True)
    conf = (ROOT / "ops" / "nginx.conf").read_text(encoding="utf-8")
    assert "server api:8000 resolve" in conf and "server bot:8000 resolve" in conf
    assert "X-Forwarded-For" in conf and "location /telegram/" in conf


def test_index_volume_is_written_by_the_indexer_and_read_only_elsewhere(config: dict) -> None:
    services = config["services"]
    indexer = services["indexer"]
    assert indexer["command"] == ["python", "-m", "index", "build"]
    assert str(indexer.get("restart", "no")) in ("no", "False", "false")
    assert _mounts(indexer)["/data/index"] == ("index", False)
    for name in ("api", "bot"):
        assert _mounts(services[name])["/data/index"] == ("index", True)
        assert _mounts(services[name])["/data/state"] == ("state", False)
    # the index dir is a link inside the volume, so versions written beside it stay on the volume
    assert indexer["environment"]["JAUAP_INDEX_DIR"].startswith("/data/index/")


def test_bot_runs_in_webhook_mode_through_the_api_app(config: dict) -> None:
    bot = config["services"]["bot"]
    assert bot["command"] == ["python", "-m", "api"]
    assert bot["environment"]["JAUAP_BOT_MODE"] == "webhook"
    assert bot["depends_on"]["redis"]["condition"] == "service_healthy"


def test_postgres_and_redis_are_persistent_and_health_checked(config: dict) -> None:
    services = config["services"]
    assert services["postgres"]["image"].startswith("postgres:16")
    assert "pg_isready" in _healthcheck(services["postgres"])
    assert _mounts(services["postgres"])["/var/lib/postgresql/data"] == ("postgres-data", False)
    assert services["redis"]["image"].startswith("redis:7")
    assert "redis-cli ping" in _healthcheck(services["redis"])
    assert _mounts(services["redis"])["/data"] == ("redis-data", False)


def test_every_setting_reaches_the_containers(config: dict) -> None:
    """Each JAUAP_* setting is passed through from .env/the shell, or preset to a container value, or (a path under
    the data dir) kept out so that a path of the developer's machine in .env cannot reach the container."""
    environment = config["services"]["api"]["environment"]
    for _, rows in settings_by_section():
        for setting in rows:
            if setting.env in FROM_DATA_DIR:
                assert setting.env not in environment, f"{setting.env} must stay under JAUAP_DATA_DIR"
                continue
            assert setting.env in environment, f"{setting.env} missing from x-settings in docker-compose.yml"
            if setting.env in IMAGE_PRESET | COMPOSE_PRESET:
                assert environment[setting.env], f"{setting.env} must be preset to a container value"
    assert environment["JAUAP_DATA_DIR"] == "/data"
    assert _mounts(config["services"]["api"])["/data/corpus"] == ("corpus", True)


def test_env_example_documents_every_setting_with_its_default() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    for _, rows in settings_by_section():
        for setting in rows:
            assert f"\n#{setting.env}={setting.default}\n" in text, (
                f"{setting.env} is not documented with its default; regenerate: python -m jauap.envdoc > .env.example"
            )


def test_dockerfile_is_slim_non_root_and_pins_cpu_torch() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "python:3.11-slim" in dockerfile
    users = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert "torch==2.13.0" in dockerfile and "download.pytorch.org/whl/cpu" in dockerfile
    assert "ARG ST_MODEL" in dockerfile
    # the image sets only the data dir and the address; every path follows from the data dir
    assert set(re.findall(r"^\s+(JAUAP_\w+)=\S+", dockerfile, flags=re.MULTILINE)) == IMAGE_PRESET
    assert re.search(r"^COPY corpus ./corpus$", dockerfile, flags=re.MULTILINE) and "WORKDIR /data\n" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".env", ".venv", ".git", "artifacts"} <= set(ignored)
