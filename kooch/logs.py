"""How Kooch logs: the level and the format, from the environment, set once by the command line.

``KOOCH_LOG_LEVEL`` is a level's name in any case (``debug``, ``Info``, ``WARNING``) or a number;
anything else is refused with the names it could be, never with a traceback. ``KOOCH_LOG_FORMAT``
is ``text`` (the default: one readable line per record) or ``json``: one JSON object per line,
always with the same fields — ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message`` and
``exception`` (the traceback's text, or null) — for a log shipper to parse.

No personal data: Kooch's own lines never name a subscriber (an operator's id may appear: it is in
``config.yaml`` anyway). Other libraries' debug lines do: python-telegram-bot prints whole updates
and API calls (ids, names, texts), aiosqlite every statement with its parameters, the HTTP clients
the Bot API's URL, which holds the token. So ``debug`` is Kooch's own (the ``kooch`` and
``handlers`` loggers); every other logger stays at INFO at least, the HTTP clients at WARNING.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Mapping
from types import TracebackType

LEVEL_ENV = "KOOCH_LOG_LEVEL"
FORMAT_ENV = "KOOCH_LOG_FORMAT"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Kooch's own loggers: the only ones KOOCH_LOG_LEVEL=debug opens.
OWN = ("kooch", "handlers")
#: Libraries' loggers that print the token even at INFO (the Bot API's URL).
QUIETER = {"httpx": logging.WARNING, "httpcore": logging.WARNING}


class LogSetupError(Exception):
    """``KOOCH_LOG_LEVEL`` or ``KOOCH_LOG_FORMAT`` is not one Kooch knows; the message says so."""


class JsonFormatter(logging.Formatter):
    """One JSON object per record, one line, the same five fields every time."""

    def format(self, record: logging.LogRecord) -> str:
        exception = None
        if record.exc_info:
            exception = self.formatException(record.exc_info)
        elif record.exc_text:
            exception = record.exc_text
        if record.stack_info:
            exception = (exception + "\n" if exception else "") + self.formatStack(record.stack_info)
        fraction = int(record.msecs)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return json.dumps(
            {
                "time": f"{stamp}.{fraction:03d}Z",
                "level": record.levelname,
                "logger": record.name,
                "message": record.getMessage(),
                "exception": exception,
            },
            ensure_ascii=False,
        )


def parse_level(value: str) -> int:
    """``debug`` / ``DEBUG`` / ``10`` → 10; raise :class:`LogSetupError` for anything else."""
    name = value.strip().upper()
    if name in LEVELS:
        return int(getattr(logging, name))
    if name.isdigit():
        return int(name)
    raise LogSetupError(
        f"{LEVEL_ENV}={value!r} is not a log level; use one of {', '.join(n.lower() for n in LEVELS)}"
    )


def configure_logging(environ: Mapping[str, str], default_level: int) -> None:
    """Set the root logger from ``environ`` (raising :class:`LogSetupError` first if it is wrong)."""
    given = environ.get(LEVEL_ENV, "").strip()
    level = parse_level(given) if given else default_level
    style = environ.get(FORMAT_ENV, "").strip().lower() or "text"
    if style not in FORMATS:
        raise LogSetupError(
            f"{FORMAT_ENV}={environ.get(FORMAT_ENV)!r} is not a log format; use one of {', '.join(FORMATS)}"
        )
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if style == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(max(level, logging.INFO))
    for name in OWN:
        logging.getLogger(name).setLevel(level)
    for name, floor in QUIETER.items():
        logging.getLogger(name).setLevel(max(level, floor))
    if style == "json":
        # Warnings, and an exception nothing caught, as log records too: they would otherwise be
        # the only lines a log shipper cannot parse.
        logging.captureWarnings(True)
        sys.excepthook = _log_uncaught


def _log_uncaught(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, tb)
        return
    logging.getLogger("kooch").critical("stopped by an uncaught exception", exc_info=(kind, value, tb))
