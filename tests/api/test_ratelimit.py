"""Rate limiting: the sliding window itself, and 429 + Retry-After per client IP and per widget session."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.ratelimit import SlidingWindowLimiter, parse_rate


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_parse_rate() -> None:
    assert parse_rate("30/minute") == (30, 60.0)
    assert parse_rate("5 / seconds") == (5, 1.0)
    assert parse_rate("100/hour") == (100, 3600.0)
    assert parse_rate("0") is None
    for bad in ("", "30", "0/minute", "x/minute", "30/fortnight", "-1/minute"):
        with pytest.raises(ValueError):
            parse_rate(bad)


def test_sliding_window_allows_the_limit_then_says_how_long_to_wait() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(3, 60.0, clock=clock)
    assert [limiter.hit("a") for _ in range(3)] == [None, None, None]
    clock.now += 10
    assert limiter.hit("a") == pytest.approx(50.0)
    assert limiter.hit("b") is None  # keys are independent
    clock.now += 50.5  # the first three hits slide out of the window
    assert limiter.hit("a") is None


def test_sliding_window_is_not_a_fixed_window() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(2, 60.0, clock=clock)
    limiter.hit("a")
    clock.now += 59
    limiter.hit("a")
    clock.now += 2  # a fixed window would reset here; only the first hit has expired
    assert limiter.hit("a") is None
    assert limiter.hit("a") == pytest.approx(58.0)  # until the hit at +59 expires


def test_idle_keys_are_forgotten() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(1, 1.0, clock=clock)
    for i in range(100):
        limiter.hit(f"k{i}")
    clock.now += 5
    limiter.hit("fresh")
    assert len(limiter._hits) == 1


def test_settings_reject_a_malformed_rate() -> None:
    from config import Settings

    with pytest.raises(ValueError):
        Settings.of(rate_limit="lots")


def test_ip_over_the_limit_gets_429_with_retry_after(make_client) -> None:
    client: TestClient = make_client(rate_limit="3/minute")
    for _ in range(3):
        assert client.post("/ask", json={"question": "1414"}).status_code == 200
    response = client.post("/ask", json={"question": "1414"})
    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert "Too many requests" in response.json()["detail"]
    assert client.get("/search", params={"q": "портал"}).status_code == 429  # the budget is per client, not per route
    assert client.get("/healthz").status_code == 200  # operations endpoints are never limited
    assert client.get("/metrics").status_code == 200
    assert "jauap_rate_limited_total 2.0" in client.get("/metrics").text


def test_widget_sessions_have_their_own_budget_within_the_ip_budget(make_client) -> None:
    client: TestClient = make_client(rate_limit="2/minute", rate_limit_ip_factor=2)  # IP total: 4/minute

    def ask(session: str) -> int:
        return client.post("/ask", json={"question": "1414"}, headers={"X-Jauap-Session": session}).status_code

    assert [ask("s1"), ask("s1"), ask("s1")] == [200, 200, 429]
    assert [ask("s2"), ask("s2")] == [200, 200]  # another visitor behind the same IP is not blocked by s1
    assert ask("s3") == 429  # but the IP as a whole is capped


def test_zero_turns_limiting_off(make_client) -> None:
    client: TestClient = make_client(rate_limit="0")
    assert all(client.get("/documents").status_code == 200 for _ in range(50))
