"""Settings of the web API, read from JAUAP_* environment variables (or .env) by the entry points."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.ratelimit import parse_rate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JAUAP_", env_file=".env", extra="ignore")

    host: str = Field("127.0.0.1", description="Interface `python -m api` binds to (0.0.0.0 in a container).")
    port: int = Field(8000, ge=1, le=65535, description="Port `python -m api` listens on.")
    workers: int = Field(1, ge=1, description="uvicorn worker processes (each loads the index once).")
    public_url: str = Field(
        "", description="Public base URL for viewer links (e.g. https://jauap.example.kz); '' = taken from the request."
    )
    rate_limit: str = Field(
        "30/minute",
        description="Requests per client (widget session, else IP) on /ask, /search, /feedback, /documents: "
        "'N/second|minute|hour|day'; '0' turns limiting off (load tests, trusted proxy in front).",
    )
    rate_limit_ip_factor: int = Field(
        4, ge=1, description="One IP (an office behind NAT) may send this many times the per-client rate in total."
    )
    cors_origins: str = Field(
        "", description="Comma-separated origins allowed to call the API from a browser (the widget); '*' = any."
    )
    querylog_path: Path = Field(
        PROJECT_ROOT / "artifacts" / "querylog.sqlite3", description="SQLite file of questions and feedback (redacted)."
    )
    database_url: str = Field(
        "",
        description="postgresql://user:pass@host:5432/db to keep the query log, feedback and pin audit in PostgreSQL "
        "(shared by every replica); '' = the SQLite file at JAUAP_QUERYLOG_PATH.",
    )
    querylog_retention_days: int = Field(
        0, ge=0, description="Questions, feedback and audit rows older than this many days are deleted (0 = keep)."
    )
    redis_url: str = Field(
        "",
        description="redis://host:6379/0 to share rate limits, the answer cache, bot state and Telegram update "
        "de-duplication between replicas; '' = in each process.",
    )
    answer_cache_ttl: int = Field(3600, ge=1, description="Seconds an answer stays in the shared (Redis) answer cache.")
    index_watch_seconds: float = Field(
        2.0,
        ge=0,
        description="How often the API checks whether a new index version was published (the JAUAP_INDEX_DIR "
        "link) and switches to it without a restart; 0 = only on POST /admin/reload.",
    )
    admin_token: SecretStr = Field(
        SecretStr(""), description="Bearer token for /admin/reload and /admin/report; '' disables the admin endpoints."
    )
    answer_cache_size: int = Field(
        2048,
        ge=0,
        description="Answers kept for repeated questions (0 = off): in memory per process, or in Redis when "
        "JAUAP_REDIS_URL is set; a new index version starts a fresh cache.",
    )
    max_body_bytes: int = Field(65_536, ge=1024, description="Larger request bodies are rejected with 413.")
    log_level: str = Field("INFO", description="Logging level.")
    log_json: bool = Field(True, description="JSON log lines (false = plain text for a terminal).")
    trusted_proxies: str = Field(
        "127.0.0.1", description="Comma-separated proxy IPs whose X-Forwarded-For is trusted ('*' = any)."
    )

    @field_validator("rate_limit")
    @classmethod
    def _check_rate(cls, value: str) -> str:
        parse_rate(value)
        return value

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]
