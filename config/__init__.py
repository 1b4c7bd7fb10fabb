"""Jauap's settings: one object, a section per part, read from JAUAP_* variables once by each entry point."""

from config.sections import ApiSettings, BotSettings, RetrievalSettings, StorageSettings, parse_rate
from config.settings import SECTIONS, Settings, SettingsError, declared, env_name, unknown_variables

__all__ = [
    "SECTIONS",
    "ApiSettings",
    "BotSettings",
    "RetrievalSettings",
    "Settings",
    "SettingsError",
    "StorageSettings",
    "declared",
    "env_name",
    "parse_rate",
    "unknown_variables",
]
