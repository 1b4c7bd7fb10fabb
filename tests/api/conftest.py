"""Fixtures for the API tests: the real app over the tiny test index, through TestClient."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from config import Settings

TEST_CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"
ADMIN_TOKEN = "test-admin-token"


def build_test_index(tmp: Path, corpus: Path = TEST_CORPUS) -> Settings:
    """A fresh index over a private copy of the test corpus (for tests that change or break it)."""
    from index.build import build_index

    corpus_copy = tmp / "corpus"
    if not corpus_copy.exists():
        shutil.copytree(corpus, corpus_copy)
    settings = Settings.of(
        corpus_dir=corpus_copy, index_dir=tmp / "index", embedder="hash", curated_file=tmp / "curated.toml"
    )
    build_index(settings)
    return settings


@pytest.fixture(scope="session")
def api_index_settings(index_settings: Settings) -> Settings:
    """The shared session index of tests/conftest.py (tiny corpus, hash embedder)."""
    return index_settings


@pytest.fixture
def api_settings(tmp_path: Path, api_index_settings: Settings) -> Settings:
    return api_index_settings.replace(
        querylog_path=tmp_path / "querylog.sqlite3",
        admin_token=ADMIN_TOKEN,
        rate_limit="0",
        cors_origins="https://gov.example.kz",
        index_watch_seconds=0,  # switches are tested on their own (tests/replicas); here only /admin/reload swaps
    )


@pytest.fixture
def make_client(api_settings: Settings) -> Iterator[Callable[..., TestClient]]:
    """Start the real app (lifespan and all) with settings overrides; every client is closed at teardown."""
    clients: list[TestClient] = []

    def make(index_settings: Settings | None = None, **overrides: object) -> TestClient:
        index = dict(index_settings.retrieval) if index_settings is not None else {}
        settings = api_settings.replace(**index, **overrides)
        client = TestClient(create_app(settings))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def fresh_index(tmp_path: Path) -> Settings:
    """A private index over a copy of the test corpus, for tests that change or break it."""
    return build_test_index(tmp_path)
