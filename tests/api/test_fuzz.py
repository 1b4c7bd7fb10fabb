"""Schemathesis against the app's own /openapi.json (positive and negative cases): no input produces a 5xx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.generation.stateful import run_state_machine_as_test

from api.app import create_app
from config import Settings

ADMIN = {"Authorization": "Bearer fuzz-token"}  # so the admin report is fuzzed past its guard too


@pytest.fixture(scope="module")
def fuzz_app(index_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    tmp = tmp_path_factory.mktemp("fuzz")
    app = create_app(index_settings.replace(querylog_path=tmp / "q.sqlite3", rate_limit="0", admin_token="fuzz-token"))
    with TestClient(app):  # runs the lifespan: the index is loaded once for every generated case
        yield app


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_input_produces_a_server_error(fuzz_app: FastAPI, mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {op.label for op in operations}
    assert {"POST /ask", "GET /search", "GET /documents/{doc}", "POST /feedback", "GET /admin/report"} <= labels
    unsatisfiable = set()
    for operation in operations:
        if operation.label == "POST /admin/reload":  # reloading per example is slow; it has its own tests
            continue

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case) -> None:
            case.call_and_validate(headers=ADMIN, checks=[not_a_server_error])

        try:
            check()
        except Unsatisfiable:  # no parameters to make invalid (GET /healthz in negative mode)
            unsatisfiable.add(operation.label)
    # a string path parameter cannot be made invalid, so GET /documents/{doc} may be unsatisfiable here too
    assert not unsatisfiable & {"POST /ask", "GET /search", "POST /feedback", "GET /admin/report"}


def test_linked_operations_in_sequence_produce_no_server_error(fuzz_app: FastAPI) -> None:
    """Stateful: follow the OpenAPI links (api/openapi_links.py) — ask, then rate that answer and open the cited
    document; search or list, then open a document — with generated values in between."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app).exclude(path="/admin/reload")
    assert schema.statistic.transitions.total >= 4  # the links are there, so the sequences below really chain

    class Sequences(schema.as_state_machine()):  # type: ignore[misc]
        def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
            case.validate_response(response, checks=[not_a_server_error])

        def get_call_kwargs(self, case) -> dict:
            return {"headers": ADMIN}

    run_state_machine_as_test(
        Sequences,
        settings=settings(max_examples=30, stateful_step_count=6, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck)),
    )  # fmt: skip
