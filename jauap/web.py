"""The composition root: builds the API app (which loads the service) and, in webhook mode, mounts the bot on it.

The only module that knows both front-ends: the API knows nothing of the bot, the bot nothing of the API's state;
each gets what it needs from here as plain callables. `python -m api` serves `jauap.web:create_app`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from fastapi import FastAPI

from api.app import create_app as create_api
from api.app import serving, shared_state
from api.settings import ApiSettings
from bot.settings import BotSettings
from bot.webhook import WEBHOOK_MAX_BODY_BYTES, WebhookBot, mount_webhook, wants_webhook
from index.settings import IndexSettings
from jauap.envdoc import unknown_variables
from ops.logs import setup_logging

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Composed:
    app: FastAPI
    webhook: WebhookBot | None  # the bot behind the webhook route, when JAUAP_BOT_MODE=webhook


def compose(
    settings: ApiSettings | None = None,
    index_settings: IndexSettings | None = None,
    bot_settings: BotSettings | None = None,
) -> Composed:
    """The API, plus the Telegram webhook when the bot settings ask for webhook mode."""
    if settings is None:  # the `uvicorn --factory` entry point: each worker process starts here
        settings = ApiSettings()
        setup_logging(settings.log_level, json=settings.log_json)
    unknown = unknown_variables(os.environ)
    if unknown:
        logger.warning("ignored, no setting reads them (a typo?): %s; see .env.example", ", ".join(unknown))
    bot_settings = bot_settings or BotSettings()
    if not wants_webhook(bot_settings):
        return Composed(create_api(settings, index_settings), None)
    limits = {bot_settings.webhook_path: max(WEBHOOK_MAX_BODY_BYTES, settings.max_body_bytes)}
    app = create_api(settings, index_settings, path_limits=limits)
    hook = WebhookBot(
        bot_settings,
        current=lambda: serving(app),
        first_delivery=lambda bot_id, update_id: shared_state(app).first_delivery(bot_id, update_id),
    )
    mount_webhook(app, hook)
    return Composed(app, hook)


def create_app(
    settings: ApiSettings | None = None,
    index_settings: IndexSettings | None = None,
    bot_settings: BotSettings | None = None,
) -> FastAPI:
    """The served app (see `compose`)."""
    return compose(settings, index_settings, bot_settings).app
