"""Structured logging shared by the API and the bot: JSON lines with a request id, personal data redacted."""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from typing import IO, Any

from pythonjsonlogger.json import JsonFormatter

from ops.redact import redact, storable

# Set by the API middleware / bot middleware for the duration of one request or update.
request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

_STANDARD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
_JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"
_PLAIN = logging.Formatter()


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Render the message with its args, redact it, and redact string extras (in place; idempotent)."""
    # string arguments first: `%r` escapes what sits next to a number ("\u202e+7 701…" becomes "\\u202e+7…", and
    # the escape's letter would shield the number from the patterns)
    if isinstance(record.args, tuple):
        record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
    try:
        message = record.getMessage()
    except Exception:  # a malformed call: leave it for logging's own error reporting, but still redact the template
        record.msg = redact(str(record.msg))
        return record
    record.msg = storable(redact(message))  # a lone surrogate would make the stream drop the whole line
    record.args = None
    for key, value in record.__dict__.items():
        if key not in _STANDARD_ATTRS and isinstance(value, str):
            record.__dict__[key] = storable(redact(value))
    # Formatters reuse a cached `exc_text`: render the traceback once, redacted, so no handler renders it raw.
    if record.exc_info and not record.exc_text:
        record.exc_text = _PLAIN.formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    # the exception object itself still quotes the raw text (`ValueError("… 880101300123")`): a handler we do not own
    # (an error tracker) would read it, so only the redacted rendering stays; formatters print `exc_text` as before
    record.exc_info = None
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class RedactingFilter(logging.Filter):
    """Replaces IINs, phone numbers and e-mails in every record's message, args and string extras."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


class RequestIdFilter(logging.Filter):
    """Stamps each record with the request id of the current context."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get()
        return True


class _RedactingJsonFormatter(JsonFormatter):
    def formatException(self, ei: Any) -> str:
        return redact(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return redact(super().formatStack(stack_info))


class _RedactingTextFormatter(logging.Formatter):
    def formatException(self, ei: Any) -> str:
        return redact(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return redact(super().formatStack(stack_info))


def _install_record_factory() -> None:
    """Redact at record creation too, so that handlers we don't own (pytest's caplog, Sentry…) never see raw data."""
    current = logging.getLogRecordFactory()
    if getattr(current, "_jauap", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(current(*args, **kwargs))

    factory._jauap = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def setup_logging(level: str = "INFO", json: bool = True, stream: IO[str] | None = None) -> None:
    """Send all logs (ours, uvicorn's, aiogram's) to one redacting handler on the root logger; idempotent."""
    _install_record_factory()
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name("jauap")
    handler.setLevel(level.upper())  # libraries that set their own logger to DEBUG (bm25s) stay at this level too
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactingFilter())
    if json:
        formatter = _RedactingJsonFormatter(_JSON_FIELDS, rename_fields={"levelname": "level"}, json_ensure_ascii=False)
        handler.setFormatter(formatter)
    else:
        handler.setFormatter(_RedactingTextFormatter(_TEXT_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "jauap"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn installs its own handlers when given a log config; we pass none and let its records reach the root.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
