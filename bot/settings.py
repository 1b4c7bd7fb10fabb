"""Settings of the Telegram bot, read from JAUAP_* environment variables (or .env) by the entry points."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class BotSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JAUAP_", env_file=".env", extra="ignore")

    bot_token: SecretStr | None = Field(None, description="Token from @BotFather; the bot does not start without it.")
    telegram_api_base: str = Field(
        "", description="Another Bot API server, e.g. http://127.0.0.1:8081 (self-hosted or tests); '' = Telegram."
    )
    bot_mode: Literal["polling", "webhook"] = Field(
        "polling", description="'polling' for `python -m bot`; 'webhook' to receive updates through the API app."
    )
    webhook_path: str = Field("/telegram/webhook", description="Path of the webhook route on the API app.")
    webhook_secret: SecretStr | None = Field(
        None, description="Checked against X-Telegram-Bot-Api-Secret-Token; required in webhook mode."
    )
    webhook_url: str = Field("", description="Public URL registered with setWebhook at startup ('' = don't register).")
    redis_url: str = Field("", description="redis://… to keep language and pagination state in Redis ('' = memory).")
    throttle_rate: float = Field(1.0, gt=0, description="Sustained messages per second allowed per user.")
    throttle_burst: int = Field(5, ge=1, description="Messages a user may send at once before throttling starts.")
    querylog_path: Path = Field(
        PROJECT_ROOT / "artifacts" / "querylog.sqlite3", description="Query/feedback store shared with the API."
    )
    database_url: str = Field("", description="PostgreSQL URL of the query log shared with the API ('' = SQLite).")
    querylog_retention_days: int = Field(0, ge=0, description="Days log rows are kept (0 = keep).")
    viewer_base_url: str = Field(
        "", description="Public base URL of the API (its /view/{doc} page), e.g. https://jauap.kz; empty = no links."
    )
    request_timeout: float = Field(30.0, gt=0, description="Seconds before a Bot API request is given up.")
    retries: int = Field(3, ge=0, description="Retries of a Bot API request after a server error or timeout.")
    retry_backoff: float = Field(0.5, ge=0, description="First retry delay in seconds; doubles on each retry.")
    sources_per_message: int = Field(3, ge=1, le=10, description="Sources shown under an answer before 'more'.")
    passage_chars: int = Field(900, ge=200, description="Characters of a passage quoted under an answer.")

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> BotSettings:
        if self.bot_mode == "webhook" and self.bot_token and not self.webhook_secret:
            raise ValueError("JAUAP_BOT_MODE=webhook needs JAUAP_WEBHOOK_SECRET (Telegram sends it with every update)")
        return self

    def token(self) -> str:
        """The bot token, or a clear error saying which variable to set."""
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise RuntimeError("No bot token: set JAUAP_BOT_TOKEN to the token from @BotFather")
        return self.bot_token.get_secret_value().strip()
