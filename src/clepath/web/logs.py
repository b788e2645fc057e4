"""Structured logs: one JSON object a line, a request id on every line, no patient data.

`log_config(level, fmt)` is a `logging.config.dictConfig` dictionary that `clepath serve`
hands to uvicorn, which applies it in every worker process (with `--workers 2` the per-request
lines used to vanish: the workers never saw the parent's `basicConfig`). The request id comes
from `RequestGuard` (a context variable), so every line written while a request is served
carries it, and the same id is sent back in the `X-Request-ID` header.

What is logged is decided where it is written: methods, route templates, statuses, times and
exception types, never paths, query strings, bodies or messages containing submitted values.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import uuid
from typing import Any

__all__ = [
    "JsonFormatter",
    "RequestIdFilter",
    "current_request_id",
    "log_config",
    "new_request_id",
    "request_id_var",
]

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar(
    "clepath_request_id", default="-"
)
_GIVEN_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

# Attributes every LogRecord has; anything else was passed with `extra=` and is logged.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "request_id", "color_message",
}


def new_request_id(given: str | None) -> str:
    """The caller's `X-Request-ID` when it is a plain token of 8-64 characters, else a new
    random one (a proxy's id is kept so its logs and ours line up)."""
    if given and _GIVEN_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


def current_request_id() -> str:
    """The id of the request being served in this context ('-' outside a request)."""
    return request_id_var.get()


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keep the record; label it with the current request id."""
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON (exception *types* only, never their messages)."""
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id_var.get()),
            "pid": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
        return json.dumps(entry, ensure_ascii=False)


def log_config(level: str = "info", fmt: str = "json") -> dict[str, Any]:
    """A dictConfig for clepath and uvicorn loggers, to stderr, in `json` or `text`."""
    formatter: dict[str, Any] = (
        {"()": JsonFormatter}
        if fmt == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"}
    )
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "main",
        "filters": ["request_id"],
        "stream": "ext://sys.stderr",
    }
    upper = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "loggers": {
            "clepath": {"handlers": ["main"], "level": upper, "propagate": False},
            "uvicorn": {"handlers": ["main"], "level": upper, "propagate": False},
            "uvicorn.error": {"level": upper},
            # uvicorn's access log prints query strings: off; clepath.web logs route templates.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
