"""Structured logs: JSON lines with the request id, and no personal data in any part of a record."""

import io
import json
import logging

import pytest

from ops.logs import RedactingFilter, request_id_var, setup_logging


@pytest.fixture
def log_stream():
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    yield stream
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


def test_json_lines_carry_the_request_id_and_are_redacted(log_stream: io.StringIO) -> None:
    setup_logging("INFO", json=True, stream=log_stream)
    token = request_id_var.set("req-42")
    try:
        logging.getLogger("jauap.test").info(
            "question: %s", "менің ЖСН 880101300123", extra={"contact": "+7 701 123 45 67"}
        )
    finally:
        request_id_var.reset(token)
    record = json.loads(log_stream.getvalue().splitlines()[-1])
    assert record["request_id"] == "req-42"
    assert record["level"] == "INFO"
    assert record["message"] == "question: менің ЖСН [IIN]"
    assert record["contact"] == "[PHONE]"
    assert "880101300123" not in log_stream.getvalue()


def test_exceptions_are_redacted_too(log_stream: io.StringIO) -> None:
    setup_logging("INFO", json=False, stream=log_stream)
    try:
        raise ValueError("cannot parse a.user@mail.kz")
    except ValueError:
        logging.getLogger("jauap.test").exception("failed for %s", "87011234567")
    out = log_stream.getvalue()
    assert "failed for [PHONE]" in out
    assert "cannot parse [EMAIL]" in out
    assert "a.user@mail.kz" not in out and "87011234567" not in out


def test_records_reaching_foreign_handlers_are_redacted(log_stream: io.StringIO, caplog) -> None:
    setup_logging("INFO", stream=log_stream)
    with caplog.at_level(logging.INFO):
        logging.getLogger("aiogram.event").info("update from %s", "880101300123")
    assert caplog.records[-1].getMessage() == "update from [IIN]"


def test_setup_is_idempotent(log_stream: io.StringIO) -> None:
    setup_logging("INFO", stream=log_stream)
    setup_logging("INFO", stream=log_stream)
    logging.getLogger("jauap.test").warning("once")
    assert log_stream.getvalue().count("once") == 1


def test_filter_alone_redacts_message_and_args() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "iin=%s mail=%s", ("880101300123", "a@b.kz"), None)
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "iin=[IIN] mail=[EMAIL]"


def test_a_library_that_sets_its_logger_to_debug_is_quiet_at_info(log_stream: io.StringIO) -> None:
    chatty = logging.getLogger("chatty.library")
    chatty.setLevel(logging.DEBUG)  # as bm25s does at import
    setup_logging("INFO", json=False, stream=log_stream)
    chatty.debug("Building index from tokens")
    chatty.warning("worth knowing")
    assert "Building index" not in log_stream.getvalue() and "worth knowing" in log_stream.getvalue()


@pytest.mark.parametrize("json_lines", [True, False])
def test_a_lone_surrogate_or_nul_in_a_message_does_not_lose_the_line(log_stream: io.StringIO, json_lines) -> None:
    """A UTF-8 stream (stderr) cannot encode "\\ud800": the handler used to drop the line with a logging error."""
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
    setup_logging("INFO", json=json_lines, stream=stream)
    logging.getLogger("jauap.test").info("question: %s", "1414 \ud800 \x00 880101300123")
    text = raw.getvalue().decode("utf-8")
    assert "question: 1414 \ufffd \ufffd [IIN]" in (json.loads(text)["message"] if json_lines else text)
