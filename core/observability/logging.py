"""Logs as JSON lines or as text (``BOCAGE_LOG_FORMAT``), each record with its request id.

A JSON line holds ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, the
``request_id`` of the request it belongs to (and ``trace_id`` when tracing is on), and for
the access log (``bocage.access``, one line per request) ``method``, ``route``,
``operation``, ``status``, ``duration_ms`` and ``principal`` (the kind of caller). An
exception is logged with its type and stack, its message only with
``BOCAGE_LOG_PERSONAL_DATA`` (messages may quote the values that failed).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import sys
import traceback
from typing import TYPE_CHECKING, Any, TextIO

import orjson

if TYPE_CHECKING:
    from bocage.core.settings import Settings

#: The id of the request being served (``X-Request-ID``), for every record logged meanwhile.
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "bocage_request_id", default=None
)

#: Attributes every ``LogRecord`` has: what is not one of them came as ``extra``.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


def _trace_id() -> str | None:
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


class RequestContext(logging.Filter):
    """Adds ``request_id`` and ``trace_id`` to every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        if not hasattr(record, "trace_id"):
            record.trace_id = _trace_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; see the module's docstring."""

    def __init__(self, *, personal_data: bool = False) -> None:
        super().__init__()
        self.personal_data = personal_data

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "trace_id"):
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        fields = getattr(record, "bocage", None)
        if isinstance(fields, dict):
            line.update({k: v for k, v in fields.items() if v is not None})
        if record.exc_info and record.exc_info[0] is not None:
            kind, error, stack = record.exc_info
            line["exception"] = {
                "type": kind.__name__,
                "stack": "".join(traceback.format_tb(stack)),
            }
            if self.personal_data:
                line["exception"]["message"] = str(error)
        return orjson.dumps(line, default=str).decode()


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class TextFormatter(logging.Formatter):
    """:data:`TEXT_FORMAT`, with ``-`` for the request id outside a request."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is None:
            record.request_id = "-"
        return super().format(record)


def json_wanted(settings: Settings, stream: TextIO) -> bool:
    """``BOCAGE_LOG_FORMAT``: ``auto`` is JSON unless ``stream`` is a terminal."""
    if settings.log_format == "auto":
        isatty = getattr(stream, "isatty", None)
        return not (isatty is not None and isatty())
    return settings.log_format == "json"


def configure_logging(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """Send every record (Bocage's, uvicorn's, the libraries') to ``stream`` (standard error)
    in the format of ``BOCAGE_LOG_FORMAT``, at ``BOCAGE_LOG_LEVEL``. uvicorn's access log,
    which holds client addresses, gives way to Bocage's (``bocage.access``). Returns the
    handler (to remove it again: tests)."""
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestContext())
    if json_wanted(settings, stream):
        handler.setFormatter(JsonFormatter(personal_data=settings.log_personal_data))
    else:
        handler.setFormatter(TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("bocage").setLevel(settings.log_level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn = logging.getLogger(name)
        uvicorn.handlers.clear()
        uvicorn.propagate = True
    logging.getLogger("uvicorn").setLevel(settings.log_level.upper())
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    access.disabled = True
    return handler


__all__ = ["REQUEST_ID", "JsonFormatter", "RequestContext", "configure_logging", "json_wanted"]
