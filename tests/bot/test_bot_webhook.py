"""Webhook mode through the real API app (TestClient): Telegram's secret header is required, updates are answered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bot_harness import webhook_values
from fake_telegram import TOKEN, FakeTelegram, buttons, callback, message
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.webhook import SECRET_HEADER
from config import Settings
from jauap.web import compose, create_app

SECRET = "s3cret-Token_for-tests"
PATH = "/telegram/test-hook"
QUESTION_KK = "«Электрондық үкімет» порталын күн сайын қанша азамат пайдаланады?"


@pytest.fixture
def webhook_app(
    telegram: FakeTelegram, tmp_path: Path, index_settings: Settings
) -> Iterator[TestClient]:
    settings = index_settings.replace(
        querylog_path=tmp_path / "querylog.sqlite3",
        rate_limit="0",
        **webhook_values(telegram, SECRET, PATH, f"https://jauap.example.kz{PATH}"),
    )
    composed = compose(settings)
    assert composed.webhook is not None
    with TestClient(composed.app) as client:
        yield client
    assert composed.webhook.bot is None  # the bot session was closed with the app


def post_update(client: TestClient, update: dict, secret: str | None = SECRET, update_id: int = 1):
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return client.post(PATH, json={"update_id": update_id, **update}, headers=headers)


def test_webhook_with_the_right_secret_answers_and_logs(webhook_app: TestClient, telegram: FakeTelegram) -> None:
    [registered] = telegram.calls_of("setWebhook")
    assert registered["url"] == f"https://jauap.example.kz{PATH}" and registered["secret_token"] == SECRET
    assert "message" in registered["allowed_updates"] and "callback_query" in registered["allowed_updates"]

    response = post_update(webhook_app, message(QUESTION_KK, user_id=401))
    assert response.status_code == 200
    [sent] = telegram.calls_of("sendMessage")
    assert sent["chat_id"] == 401 and "25 000" in sent["text"]

    up = next(b["callback_data"] for b in buttons(sent) if b.get("callback_data", "").startswith("a:up:"))
    assert post_update(webhook_app, callback(up, sent, user_id=401), update_id=2).status_code == 200
    querylog = webhook_app.app.state.querylog
    querylog.flush()
    [question] = querylog.questions()
    [rating] = querylog.feedback()
    assert question.channel == "telegram" and rating.answer_id == question.answer_id and rating.rating == 1


def test_an_update_delivered_twice_is_answered_once(webhook_app: TestClient, telegram: FakeTelegram) -> None:
    update = message(QUESTION_KK, user_id=403)
    assert post_update(webhook_app, update, update_id=7).status_code == 200
    assert post_update(webhook_app, update, update_id=7).status_code == 200  # Telegram's redelivery
    assert len(telegram.calls_of("sendMessage")) == 1


@pytest.mark.parametrize("secret", ["wrong-secret", "", None])
def test_webhook_rejects_a_wrong_or_missing_secret(
    webhook_app: TestClient, telegram: FakeTelegram, secret: str | None
) -> None:
    response = post_update(webhook_app, message(QUESTION_KK, user_id=402), secret=secret)
    assert response.status_code in (401, 403)
    assert telegram.calls_of("sendMessage") == []


def test_webhook_rejects_a_body_that_is_not_an_update(webhook_app: TestClient) -> None:
    response = webhook_app.post(PATH, content=b"not json", headers={SECRET_HEADER: SECRET})
    assert response.status_code == 400
    response = webhook_app.post(PATH, json={"update_id": "x", "message": 5}, headers={SECRET_HEADER: SECRET})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 30_000 + b"]" * 30_000,  # deeper than the JSON parser recurses
        b'{"update_id": 1, "message": ' * 5_000 + b"1" + b"}" * 5_000,
        b'{"update_id": 1, "message": {"text": "\xff\xfe"}}',  # invalid UTF-8
        b'{"update_id": 1e999}',
    ],
)
def test_a_hostile_body_with_the_right_secret_is_a_4xx(webhook_app: TestClient, body: bytes) -> None:
    response = webhook_app.post(PATH, content=body, headers={SECRET_HEADER: SECRET})
    assert response.status_code == 400


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
chat = st.fixed_dictionaries({"id": st.integers(-10**12, 10**12), "type": st.sampled_from(["private", "group", "x"])})
hostile_updates = st.fixed_dictionaries(
    {"update_id": st.integers(-(2**40), 2**40)},
    optional={
        "message": st.fixed_dictionaries(
            {"message_id": st.integers(), "date": st.integers(0, 2**32), "chat": chat},
            optional={"text": st.text(max_size=300), "entities": json_values, "from": json_values, "x": json_values},
        ),
        "callback_query": json_values,
        "inline_query": json_values,
        "edited_message": json_values,
    },
)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(update=hostile_updates)
def test_generated_updates_with_the_right_secret_never_make_a_server_error(
    webhook_app: TestClient, update: dict
) -> None:
    response = webhook_app.post(PATH, json=update, headers={SECRET_HEADER: SECRET})
    assert response.status_code in (200, 400), (response.status_code, response.text)


def test_no_webhook_route_in_polling_mode(
    tmp_path: Path, index_settings: Settings
) -> None:
    settings = index_settings.replace(
        querylog_path=tmp_path / "querylog.sqlite3", rate_limit="0", bot_mode="polling", bot_token=TOKEN
    )
    with TestClient(create_app(settings)) as client:
        response = client.post("/telegram/webhook", json={"update_id": 1}, headers={SECRET_HEADER: SECRET})
    assert response.status_code in (404, 405)
