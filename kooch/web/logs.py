"""What the web server writes to the log: one line per request, and one per malformed request.

Neither carries the client's address or User-Agent unless ``access_log_details`` asks for them:
the README promises that no IP address is stored, and a log file is stored too.
"""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

#: One line per request that reached the application.
ACCESS = logging.getLogger("kooch.web.access")
#: aiohttp's own messages about connections and requests it could not parse.
PROTOCOL = logging.getLogger("kooch.web.http")

#: How much of aiohttp's description of a malformed request the log line keeps.
DESCRIPTION_CHARS = 80


class AccessLog:
    """Writes the access log line of each request to :data:`ACCESS`."""

    def __init__(self, *, details: bool = False) -> None:
        #: Also the client's address, the Referer and the User-Agent (personal data: off by default).
        self.details = details

    def record(self, request: web.BaseRequest, status: int, size: int | None, seconds: float) -> None:
        if not ACCESS.isEnabledFor(logging.INFO):
            return
        # rel_url is the percent-encoded target: what a client sends cannot break the line.
        line = f"{request.method} {request.rel_url}"
        size_text = "-" if size is None else str(size)
        if self.details:
            ACCESS.info(
                '%s "%s" %d %s %.1f ms "%s" "%s"',
                request.remote,
                line,
                status,
                size_text,
                seconds * 1000,
                request.headers.get("Referer", "-"),
                request.headers.get("User-Agent", "-"),
            )
        else:
            ACCESS.info('"%s" %d %s %.1f ms', line, status, size_text, seconds * 1000)


def one_line(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    """The first line of ``text`` without the client's bytes that aiohttp quotes after it, at most
    ``limit`` characters, unprintable ones as ``?``."""
    stripped = text.strip()
    first = stripped.splitlines()[0] if stripped else ""
    for quoted in (": b'", ': b"', ": bytearray("):
        first = first.split(quoted, 1)[0]
    return "".join(c if c.isprintable() else "?" for c in first[:limit]).rstrip(":")


class ShortProtocolErrors(logging.Filter):
    """aiohttp logs every request it cannot parse with a traceback and the client's address. The
    internet sends plenty of those (scanners, TLS to the HTTP port, broken clients): one short
    warning each instead, with what was wrong and neither the address nor a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            record.msg = "malformed request: %d %s: %s"
            record.args = (exc.code, type(exc).__name__, one_line(exc.message))
            record.exc_info = None
            record.exc_text = None
            if record.levelno > logging.WARNING:
                record.levelno = logging.WARNING
                record.levelname = logging.getLevelName(logging.WARNING)
        elif record.msg == "Error handling request from %s":
            record.msg = "error handling a request"
            record.args = ()
        return True


PROTOCOL.addFilter(ShortProtocolErrors())
