"""Prometheus metrics of one app instance (its own registry, so several apps in one process don't collide)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "jauap_http_requests",
            "HTTP requests by route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "jauap_http_request_duration_seconds",
            "Request latency by route.",
            ["route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 1.0, 2.5, 5.0, 10.0),
        )
        self.answers = Counter("jauap_answers", "Questions answered (incl. abstentions).", registry=self.registry)
        self.abstentions = Counter(
            "jauap_abstentions", "Questions the documents do not answer, by reason.", ["reason"], registry=self.registry
        )
        self.feedback = Counter("jauap_feedback", "Ratings received.", ["rating"], registry=self.registry)
        self.cache_hits = Counter("jauap_answer_cache_hits", "Answers served from the cache.", registry=self.registry)
        self.rate_limited = Counter("jauap_rate_limited", "Requests refused with 429.", registry=self.registry)
        self.reloads = Counter(
            "jauap_index_reloads", "Index hot reloads by outcome.", ["outcome"], registry=self.registry
        )
        # set when /metrics is scraped (api.status): shared state every replica reads alike
        self.degraded = Gauge(
            "jauap_degraded", "1 while a part runs degraded (database, redis, index).", ["part"], registry=self.registry
        )
        self.spooled = Gauge(
            "jauap_querylog_spooled_rows",
            "Log rows this process spooled locally while the database was down.",
            registry=self.registry,
        )
        self.logged_questions = Gauge(
            "jauap_logged_questions", "Questions in the query log (all replicas).", registry=self.registry
        )
        self.logged_feedback = Gauge(
            "jauap_logged_feedback", "Ratings in the query log (all replicas).", ["rating"], registry=self.registry
        )
        self.index_version = Gauge(
            "jauap_index_version_info", "The index version this process serves.", ["version"], registry=self.registry
        )
