"""The composition root: builds the API app (which loads the service) and, in webhook mode, mounts the bot on it.

The only module that knows both front-ends: the API knows nothing of the bot, the bot nothing of the API's state;
each gets what it needs from here as plain callables. `python -m api` serves `jauap.web:create_app`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import FastAPI

from api.app import create_app as create_api
from api.app import serving, shared_state
from bot.webhook import WEBHOOK_MAX_BODY_BYTES, WebhookBot, mount_webhook, wants_webhook
from config import Settings
from ops.logs import setup_logging

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Composed:
    app: FastAPI
    webhook: WebhookBot | None  # the bot behind the webhook route, when JAUAP_BOT_MODE=webhook


def compose(settings: Settings | None = None) -> Composed:
    """The API, plus the Telegram webhook when the bot settings ask for webhook mode."""
    if settings is None:  # the `uvicorn --factory` entry point: each worker process reads the settings here, once
        settings = Settings.load()
        setup_logging(settings.api.log_level, json=settings.api.log_json)
    if not wants_webhook(settings):
        return Composed(create_api(settings), None)
    limits = {settings.bot.webhook_path: max(WEBHOOK_MAX_BODY_BYTES, settings.api.max_body_bytes)}
    app = create_api(settings, path_limits=limits)
    hook = WebhookBot(
        settings,
        current=lambda: serving(app),
        first_delivery=lambda bot_id, update_id: shared_state(app).first_delivery(bot_id, update_id),
    )
    mount_webhook(app, hook)
    return Composed(app, hook)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The served app (see `compose`)."""
    return compose(settings).app
