"""State in Redis: a second bot instance (as behind a webhook) sees the first one's language and answers."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis
from bot_harness import bot_settings, polling
from fake_telegram import buttons, callback, message

from bot.client import create_storage
from bot.texts import t

pytestmark = pytest.mark.redis

QUESTION = "«Электрондық үкімет» порталын күн сайын қанша азамат пайдаланады? ЖСН 880101300123"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    port = _free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


def test_language_and_pagination_are_shared_through_redis(telegram, service, querylog, redis_url) -> None:
    settings = bot_settings(telegram, redis_url=redis_url, sources_per_message=1)

    async def first_instance() -> dict:
        async with polling(telegram, service, querylog, settings, create_storage(settings)):
            telegram.push(message("/lang", user_id=301))
            [choose] = await telegram.until("sendMessage")
            ru = next(b["callback_data"] for b in buttons(choose) if b["text"].endswith("Русский"))
            telegram.push(callback(ru, choose, user_id=301))
            await telegram.until("sendMessage", 2)
            telegram.push(message(QUESTION, user_id=301))
            return (await telegram.until("sendMessage", 3))[2]

    async def second_instance(answer: dict) -> None:
        async with polling(telegram, service, querylog, settings, create_storage(settings)):
            more = next(b["callback_data"] for b in buttons(answer) if b.get("callback_data", "").startswith("a:more"))
            telegram.push(callback(more, answer, user_id=301))
            await telegram.until("sendMessage", 4)
            telegram.push(message("/help", user_id=301))
            await telegram.until("sendMessage", 5)

    answer = asyncio.run(first_instance())
    assert "Источники" in answer["text"]
    asyncio.run(second_instance(answer))
    more, help_text = telegram.texts(301)[3:]
    assert t("more_sources", "ru") in more and "<b>2. " in more
    assert "Примеры вопросов" in help_text

    client = redis.Redis.from_url(redis_url)
    keys = client.keys("jauap:*")
    values = b" ".join(client.get(k) or b"" for k in keys)
    client.close()
    assert keys and b'"lang": "ru"' in values
    assert b"880101300123" not in values and "порталын".encode() not in values  # offsets only, no question
