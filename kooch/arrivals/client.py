"""One small client for every Telegram-shaped bot API of a destination (Bale, Soroush+):
``<api>/bot<token>/<method>``, answered ``{"ok": true, "result": …}`` or ``{"ok": false,
"error_code": …, "description": …, "parameters": {"retry_after": …}}``.

The member counts (:mod:`kooch.arrivals.service`), the move codes' intake and the mirror
(:mod:`kooch.across`) all go through it. Only the configured API root is fetched: no redirect is
followed (a redirect would take the token in the path somewhere else), no cookie is kept, no proxy
is read from the environment, the answer is capped and every call times out. The token comes from
the environment (the composition root reads it), is in the path and nowhere else, and every error
said about a call has the token blanked out (errors end up in logs and operators' chats).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from kooch.config import ArrivalsTarget
from kooch.i18n import format_number, gettext, isolate, strip_controls, to_digits

#: Seconds a whole call may take (connect, send, read); a long poll adds its own wait.
TIMEOUT_S = 10.0
#: The largest answer read: a count is a few dozen bytes, a batch of 100 updates far less than this.
MAX_BODY = 1024 * 1024
USER_AGENT = "Kooch (the operator's own bot on a destination)"

#: A file to upload: (field name, file name, content type, bytes).
Upload = tuple[str, str, str, bytes]


class DestinationFailed(Exception):
    """The destination did not do what was asked; the message says why, without the token:
    ``words`` in a reader's language, ``str()`` in English (the log's: plain, without direction
    controls). ``code`` is the platform's error code (None: no answer), ``retry_after`` its 429's
    wait in seconds."""

    def __init__(
        self, words: Callable[[str], str], code: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(strip_controls(words("en")))
        self.words = words
        self.code = code
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        """Worth trying again later: no answer, a 429 or a server error."""
        return self.code is None or self.code == 429 or self.code >= 500


@dataclass(frozen=True)
class Destination:
    """One destination channel and the token to ask with (read from the environment)."""

    target: ArrivalsTarget
    token: str

    def url(self, method: str) -> str:
        return f"{self.target.api}/bot{self.token}/{method}"

    def redact(self, text: str) -> str:
        return text.replace(self.token, "…") if self.token else text


class DestinationClient:
    """One aiohttp session for every destination, opened by :meth:`start`, closed by :meth:`close`."""

    def __init__(self, timeout_s: float = TIMEOUT_S, max_body: int = MAX_BODY) -> None:
        self.timeout_s = timeout_s
        self.max_body = max_body
        self._session: aiohttp.ClientSession | None = None
        self._users = 0

    async def start(self) -> None:
        """Open the session (counted: each user starts and closes it once)."""
        self._users += 1
        if self._session is None:
            self._session = aiohttp.ClientSession(
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,
                headers={"User-Agent": USER_AGENT},
            )

    async def close(self) -> None:
        self._users = max(0, self._users - 1)
        if self._users == 0 and self._session is not None:
            await self._session.close()
            self._session = None

    async def member_count(self, destination: Destination) -> int:
        """The destination channel's member count."""
        result = await self.call(
            destination, "getChatMemberCount", {"chat_id": str(destination.target.chat)}, get=True
        )
        if type(result) is not int or result < 0:
            raise DestinationFailed(lambda lang: gettext(lang, "answered without a member count"))
        return result

    async def call(
        self,
        destination: Destination,
        method: str,
        params: Mapping[str, Any] | None = None,
        *,
        upload: Upload | Sequence[Upload] | None = None,
        get: bool = False,
        wait_s: float = 0.0,
    ) -> Any:
        """Call ``method`` and return its ``result``; :class:`DestinationFailed` with words for
        people otherwise. ``upload`` sends the parameters as a form with that file (or those files:
        an album's, each named by its field, ``attach://<field>`` in the parameters); ``wait_s`` is
        a long poll's own wait, added to the time-out."""
        session = self._session
        if session is None:
            raise RuntimeError("DestinationClient.start() was not called")
        timeout = aiohttp.ClientTimeout(total=self.timeout_s + wait_s)
        url = destination.url(method)
        try:
            if get:
                request = session.get(url, params=dict(params or {}), allow_redirects=False, timeout=timeout)
            elif upload is not None:
                form = aiohttp.FormData()
                for key, value in (params or {}).items():
                    form.add_field(key, value if isinstance(value, str) else json.dumps(value))
                for field, filename, content_type, data in [upload] if isinstance(upload, tuple) else upload:
                    form.add_field(field, data, filename=filename, content_type=content_type)
                request = session.post(url, data=form, allow_redirects=False, timeout=timeout)
            else:
                request = session.post(url, json=dict(params or {}), allow_redirects=False, timeout=timeout)
            async with request as response:
                body = await _read_capped(response.content, self.max_body + 1)
                status = response.status
        except TimeoutError:
            seconds = f"{timeout.total:g}"
            raise DestinationFailed(
                lambda lang: gettext(lang, "no answer within {seconds} s").format(
                    seconds=to_digits(seconds, lang)
                )
            ) from None
        except aiohttp.ClientError as exc:
            # The library's own words, kept as they are (the token taken out).
            why = destination.redact(str(exc))
            raise DestinationFailed(
                lambda lang: gettext(lang, "cannot reach it: {error}").format(error=isolate(why))
            ) from None
        except asyncio.CancelledError:
            raise
        if len(body) > self.max_body:
            cap = self.max_body
            raise DestinationFailed(
                lambda lang: gettext(lang, "answered more than {bytes} bytes (HTTP {status})").format(
                    bytes=format_number(cap, lang), status=to_digits(str(status), lang)
                ),
                status,
            )
        if 300 <= status < 400:
            raise DestinationFailed(
                lambda lang: gettext(
                    lang, "answered a redirect (HTTP {status}), which Kooch does not follow"
                ).format(status=to_digits(str(status), lang)),
                status,
            )
        return _result(body, status, destination)


async def _read_capped(content: aiohttp.StreamReader, limit: int) -> bytes:
    """The body, or its first ``limit`` bytes when it is longer (a read may return less)."""
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = await content.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _result(body: bytes, status: int, destination: Destination) -> Any:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise DestinationFailed(
            lambda lang: gettext(lang, "answered HTTP {status} with something that is not JSON").format(
                status=to_digits(str(status), lang)
            ),
            status,
        ) from None
    if not isinstance(data, dict):
        raise DestinationFailed(
            lambda lang: gettext(lang, "answered HTTP {status} with unexpected JSON").format(
                status=to_digits(str(status), lang)
            ),
            status,
        )
    if data.get("ok") is True and "result" in data:
        return data["result"]
    description = data.get("description")
    # The platform's own words, kept as they are (the token taken out).
    said = destination.redact(str(description))[:200] if description else None
    raw_code = data.get("error_code", status)
    number = raw_code if type(raw_code) is int else status
    code = str(raw_code)
    parameters = data.get("parameters")
    retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
    wait = float(retry_after) if isinstance(retry_after, int | float) else None
    if said is None:
        raise DestinationFailed(
            lambda lang: gettext(lang, "error {code}: no description").format(code=to_digits(code, lang)),
            number,
            wait,
        )
    raise DestinationFailed(
        lambda lang: gettext(lang, "error {code}: {description}").format(
            code=to_digits(code, lang), description=isolate(said)
        ),
        number,
        wait,
    )
