"""Jauap's one settings object: every `JAUAP_*` variable, grouped in sections, read once by each entry point.

    settings = Settings.load()          # the environment and ./.env (the entry points: python -m index|api|bot|ops)
    settings = Settings.of(top_k=3)     # flat names, nothing read from the environment (tests, tools)
    settings.retrieval.top_k, settings.api.port, settings.bot.bot_mode, settings.storage.redis_url

The variables stay flat (`JAUAP_TOP_K`, no nested `…__TOP_K`): operators, docs, `.env.example` and
docker-compose.yml name them so. Relative paths are taken from `JAUAP_DATA_DIR`, by default the working directory,
which is a checkout's root when run as the README says (`make`, `.ci/run`): `corpus/`, `artifacts/index`, ….
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from config.sections import ApiSettings, BotSettings, RetrievalSettings, Section, StorageSettings

logger = logging.getLogger(__name__)

PREFIX = "JAUAP_"
SECTIONS: dict[str, type[Section]] = {
    "retrieval": RetrievalSettings,
    "storage": StorageSettings,
    "api": ApiSettings,
    "bot": BotSettings,
}


class SettingsError(ValueError):
    """A JAUAP_* value that cannot be used, named by its variable."""


class Settings(BaseModel):
    """All of Jauap's settings; a section per part, `data_dir` for the paths they share."""

    model_config = ConfigDict(extra="forbid")

    data_dir: Path = Field(
        Path("."),
        description="Relative paths (corpus, index, engine, query log) are taken from here; default: the working "
        "directory (the checkout's root when run as the README says).",
    )
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    bot: BotSettings = Field(default_factory=BotSettings)

    @model_validator(mode="after")
    def _paths_from_data_dir(self) -> Settings:
        base = self.data_dir.absolute()
        self.data_dir = base
        for name in SECTIONS:
            section = getattr(self, name)
            moved = {k: base / v for k, v in section if isinstance(v, Path) and not v.is_absolute()}
            if moved:
                setattr(self, name, section.model_copy(update=moved))
        return self

    @classmethod
    def of(cls, **values: Any) -> Settings:
        """Settings from flat names (`index_dir=…, rate_limit="0"`), defaults for the rest; no environment read."""
        grouped: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
        root: dict[str, Any] = {}
        for key, value in values.items():
            if key not in FIELDS:
                raise TypeError(f"no setting named {key!r} (JAUAP_{key.upper()})")
            (grouped[FIELDS[key]] if FIELDS[key] else root)[key] = value
        return cls(**root, **{name: SECTIONS[name](**given) for name, given in grouped.items()})

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env") -> Settings:
        """The settings of this process: `environ` (default `os.environ`) over `env_file`, reported when unusable.

        JAUAP_* names that no setting has are logged (a typo would otherwise change nothing, in silence).
        """
        raw = read_environment(environ, env_file)
        strays = unknown_variables(raw)
        if strays:
            logger.warning("ignored, no setting reads them (a typo?): %s; see .env.example", ", ".join(strays))
        values = {name[len(PREFIX) :].lower(): value for name, value in raw.items() if name not in strays}
        try:
            return cls.of(**values)
        except ValidationError as exc:
            problems = "; ".join(
                (f"{env_name(str(e['loc'][-1]))}: " if e["loc"] else "") + e["msg"] for e in exc.errors()
            )
            raise SettingsError(f"bad setting: {problems}") from None

    def flat(self) -> dict[str, Any]:
        """Every setting by its flat name (the inverse of `of`)."""
        values: dict[str, Any] = {"data_dir": self.data_dir}
        for name in SECTIONS:
            values.update(dict(getattr(self, name)))
        return values

    def replace(self, **values: Any) -> Settings:
        """A copy with some settings changed, by flat name (`settings.replace(index_dir=folder)`)."""
        return Settings.of(**{**self.flat(), **values})


FIELDS: dict[str, str] = {"data_dir": ""} | {
    field: name for name, section in SECTIONS.items() for field in section.model_fields
}


def env_name(field: str) -> str:
    return f"{PREFIX}{field.upper()}"


def declared() -> frozenset[str]:
    """Every JAUAP_* variable the settings read."""
    return frozenset(env_name(field) for field in FIELDS)


def read_environment(environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env") -> dict[str, str]:
    """The JAUAP_* variables (names upper-cased) of `env_file` overridden by `environ` (default `os.environ`)."""
    found: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        found.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    found.update(os.environ if environ is None else environ)
    return {name.upper(): value for name, value in found.items() if name.upper().startswith(PREFIX)}


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """JAUAP_* names in `environ` that no setting reads."""
    known = declared()
    return sorted(name for name in environ if name.upper().startswith(PREFIX) and name.upper() not in known)
