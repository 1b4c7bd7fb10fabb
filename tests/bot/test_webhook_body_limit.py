"""The API's request body limit does not cut off Telegram: the webhook path accepts updates up to 256 KB."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from bot_harness import webhook_values
from fake_telegram import FakeTelegram, message
from fastapi.testclient import TestClient

from bot.webhook import SECRET_HEADER, WEBHOOK_MAX_BODY_BYTES
from config import Settings
from jauap.web import create_app

SECRET = "s3cret-Token_for-limit-tests"
PATH = "/telegram/limit-hook"
API_LIMIT = 16 * 1024
QUESTION_KK = "«Электрондық үкімет» порталын күн сайын қанша азамат пайдаланады?"


@pytest.fixture
def client(
    telegram: FakeTelegram, tmp_path: Path, index_settings: Settings
) -> Iterator[TestClient]:
    settings = index_settings.replace(
        querylog_path=tmp_path / "querylog.sqlite3",
        rate_limit="0",
        max_body_bytes=API_LIMIT,
        **webhook_values(telegram, SECRET, PATH),
    )
    with TestClient(create_app(settings)) as c:
        yield c


def update_of_size(size: int) -> bytes:
    """A real-looking update: a short question replying to a long quoted message, padded to `size` bytes."""
    base = {"update_id": 7, **message(QUESTION_KK, user_id=501)}
    base["message"]["reply_to_message"] = {**message("", user_id=501)["message"], "text": ""}
    filler = size - len(json.dumps(base, ensure_ascii=False).encode())
    base["message"]["reply_to_message"]["text"] = "ж" * max(0, filler // 2)  # Cyrillic: 2 bytes each in UTF-8
    body = json.dumps(base, ensure_ascii=False).encode()
    assert abs(len(body) - size) < 16
    return body


def post(client: TestClient, path: str, body: bytes) -> int:
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    return client.post(path, content=body, headers=headers).status_code


def test_a_webhook_update_larger_than_the_api_limit_is_answered(client: TestClient, telegram: FakeTelegram) -> None:
    body = update_of_size(60 * 1024)
    assert len(body) > API_LIMIT
    assert post(client, PATH, body) == 200
    [sent] = telegram.calls_of("sendMessage")
    assert sent["chat_id"] == 501 and "25 000" in sent["text"]


def test_the_webhook_still_has_a_limit(client: TestClient, telegram: FakeTelegram) -> None:
    assert post(client, PATH, update_of_size(WEBHOOK_MAX_BODY_BYTES + 1024)) == 413
    assert telegram.calls_of("sendMessage") == []


def test_other_paths_keep_the_api_limit(client: TestClient) -> None:
    big_question = json.dumps({"question": "ақпарат " * 3000}).encode()
    assert len(big_question) > API_LIMIT
    assert post(client, "/ask", big_question) == 413
    assert post(client, PATH + "-other", update_of_size(API_LIMIT + 1024)) == 413
    small = json.dumps({"question": QUESTION_KK}, ensure_ascii=False).encode()
    assert post(client, "/ask", small) == 200
