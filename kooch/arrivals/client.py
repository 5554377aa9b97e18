"""A member count from a Telegram-shaped bot API: ``<api>/bot<token>/getChatMemberCount``.

Bale (``https://tapi.bale.ai``) and Soroush+ (``https://api.splus.ir``) answer like Telegram:
``{"ok": true, "result": 1234}``, or ``{"ok": false, "error_code": …, "description": …}``. Only
the configured API root is fetched: no redirect is followed (a redirect would take the token in
the path somewhere else), no cookie is kept, no proxy is read from the environment, the answer is
capped and the call times out. The token is in the path and nowhere else, and every error said
about a call has the token blanked out (errors end up in logs and operators' chats).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

from kooch.config import ArrivalsTarget
from kooch.i18n import format_number, gettext, isolate, strip_controls, to_digits

#: Seconds a whole call may take (connect, send, read).
TIMEOUT_S = 10.0
#: The largest answer read: a count is a few dozen bytes.
MAX_BODY = 64 * 1024
USER_AGENT = "Kooch (member count of the operator's own channel)"


class CountFailed(Exception):
    """The destination gave no count; the message says why, without the token: ``words`` in a
    reader's language, ``str()`` in English (the log's: plain, without direction controls)."""

    def __init__(self, words: Callable[[str], str]) -> None:
        super().__init__(strip_controls(words("en")))
        self.words = words


@dataclass(frozen=True)
class Destination:
    """One destination channel and the token to ask with (read from the environment)."""

    target: ArrivalsTarget
    token: str

    @property
    def url(self) -> str:
        return f"{self.target.api}/bot{self.token}/getChatMemberCount"

    def redact(self, text: str) -> str:
        return text.replace(self.token, "…") if self.token else text


class MemberCountClient:
    """One aiohttp session for every destination, opened by :meth:`start`, closed by :meth:`close`."""

    def __init__(self, timeout_s: float = TIMEOUT_S, max_body: int = MAX_BODY) -> None:
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.max_body = max_body
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=self.timeout,
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
            headers={"User-Agent": USER_AGENT},
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def member_count(self, destination: Destination) -> int:
        """The destination's member count; :class:`CountFailed` with words for people otherwise."""
        session = self._session
        if session is None:
            raise RuntimeError("MemberCountClient.start() was not called")
        try:
            async with session.get(
                destination.url,
                params={"chat_id": str(destination.target.chat)},
                allow_redirects=False,
            ) as response:
                body = await response.content.read(self.max_body + 1)
                status = response.status
        except TimeoutError:
            seconds = f"{self.timeout.total:g}"
            raise CountFailed(
                lambda lang: gettext(lang, "no answer within {seconds} s").format(
                    seconds=to_digits(seconds, lang)
                )
            ) from None
        except aiohttp.ClientError as exc:
            # The library's own words, kept as they are (the token taken out).
            why = destination.redact(str(exc))
            raise CountFailed(
                lambda lang: gettext(lang, "cannot reach it: {error}").format(error=isolate(why))
            ) from None
        except asyncio.CancelledError:
            raise
        if len(body) > self.max_body:
            cap = self.max_body
            raise CountFailed(
                lambda lang: gettext(lang, "answered more than {bytes} bytes (HTTP {status})").format(
                    bytes=format_number(cap, lang), status=to_digits(str(status), lang)
                )
            )
        if 300 <= status < 400:
            raise CountFailed(
                lambda lang: gettext(
                    lang, "answered a redirect (HTTP {status}), which Kooch does not follow"
                ).format(status=to_digits(str(status), lang))
            )
        return _count(body, status, destination)


def _count(body: bytes, status: int, destination: Destination) -> int:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise CountFailed(
            lambda lang: gettext(lang, "answered HTTP {status} with something that is not JSON").format(
                status=to_digits(str(status), lang)
            )
        ) from None
    if not isinstance(data, dict):
        raise CountFailed(
            lambda lang: gettext(lang, "answered HTTP {status} with unexpected JSON").format(
                status=to_digits(str(status), lang)
            )
        )
    if data.get("ok") is True and type(data.get("result")) is int and data["result"] >= 0:
        return int(data["result"])
    description = data.get("description")
    # The platform's own words, kept as they are (the token taken out).
    said = destination.redact(str(description))[:200] if description else None
    code = str(data.get("error_code", status))
    if status == 200 and data.get("ok") is True:
        raise CountFailed(lambda lang: gettext(lang, "answered without a member count"))
    if said is None:
        raise CountFailed(
            lambda lang: gettext(lang, "error {code}: no description").format(code=to_digits(code, lang))
        )
    raise CountFailed(
        lambda lang: gettext(lang, "error {code}: {description}").format(
            code=to_digits(code, lang), description=isolate(said)
        )
    )
