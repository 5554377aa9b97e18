"""Move codes at work: the personal links on Telegram's side, and each destination bot's intake.

The intake long-polls ``getUpdates`` on every verified destination's bot API (the operator's bot
there, through :class:`~kooch.arrivals.client.DestinationClient`) with Telegram's intake's no-loss
rule: an update is confirmed to the destination (by asking for the next offset) only once it was
handled, and the next offset is saved in the database after each handled batch. A ``kill -9``
between an update and its confirmation makes the destination deliver it again; handling it again
changes nothing (a code remembers the update that used it, and the same update gets the same
answer). Only one process may poll a token, so the intake is a leader duty.

``/start <code>`` there marks the Telegram user as arrived on that service and answers in their
language with a welcome and the destination channel's link. Nothing about the destination account
is stored: its chat id is used for the answer and forgotten.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kooch.across.model import Redeemed, Redemption, deep_link, start_payload, verified_services
from kooch.across.store import AcrossStore
from kooch.across.wording import expired, link_button, personal_links_post, unknown, used, welcome
from kooch.arrivals.client import Destination, DestinationClient, DestinationFailed
from kooch.config import Config, Service
from kooch.config.holder import ConfigHolder
from kooch.secrets import SecretError, secret
from kooch.telegram.post import Button, Post

log = logging.getLogger(__name__)

#: A long poll's wait at the destination, seconds.
POLL_S = 25.0
#: Longest wait between two polls after an error, seconds.
MAX_BACKOFF_S = 60.0
#: Updates per getUpdates call.
LIMIT = 100


def destination_of(service: Service, environ: Mapping[str, str]) -> Destination | None:
    """The service's destination with its token from the environment (None: no token there)."""
    target = service.arrivals
    if target is None:
        return None
    try:
        token = (secret(target.token_env, environ) or "").strip()
    except SecretError:
        return None
    return Destination(target, token) if token else None


def destinations(
    services: Iterable[Service], environ: Mapping[str, str], lost: str
) -> Iterator[tuple[Service, Destination]]:
    """Each service whose destination bot has a token; one without is logged (``lost``: what is not
    done there) and skipped. The intake and the mirror start their tasks from this."""
    for service in services:
        destination = destination_of(service, environ)
        if destination is None:
            log.warning("across: no token for %s's bot: %s", service.key, lost)
            continue
        yield service, destination


@dataclass(frozen=True)
class PersonalLink:
    service: Service
    url: str


class Across:
    """Move codes: the links a subscriber gets, and the destinations' intake (a leader duty)."""

    def __init__(
        self,
        config: ConfigHolder,
        store: AcrossStore,
        client: DestinationClient,
        *,
        environ: Mapping[str, str],
        poll_s: float = POLL_S,
    ) -> None:
        self.config = config
        self.store = store
        self.client = client
        self.environ = environ
        self.poll_s = poll_s
        #: The destination bots' usernames (their getMe), by service key: each replica asks once.
        self._usernames: dict[str, str] = {}
        self._pollers: dict[str, asyncio.Task[None]] = {}
        #: Destination updates handled this run (tests wait on it).
        self.handled = 0
        self._progress = asyncio.Condition()

    # ----------------------------------------------------------------------------- Telegram's side

    def active(self, config: Config) -> tuple[Service, ...]:
        return verified_services(config)

    async def personal_links(self, user_id: int, channel: str) -> list[PersonalLink]:
        """One personal link per verified service of ``channel`` (empty when move codes are off,
        or a destination's bot cannot be asked its name)."""
        config = self.config.current
        wanted = config.channel_by_key(channel)
        if wanted is None:
            return []
        shown = {s.key for s in config.services_for(wanted)}
        out = []
        for service in self.active(config):
            target = service.arrivals
            if service.key not in shown or target is None or target.platform is None:
                continue
            username = await self.bot_username(service)
            if username is None:
                continue
            code = await self.store.code_for(user_id, channel, service.key, config.verify_code_ttl_s)
            out.append(PersonalLink(service, deep_link(target.platform, username, code)))
        return out

    async def links_post(self, user_id: int, channel: str | None, language: str) -> Post | None:
        """The personal links as a message (None: none to give). ``channel`` None: the one the
        user last tapped for, else the only channel."""
        config = self.config.current
        if not self.active(config):
            return None
        if channel is None:
            channel = await self.store.tapped_channel(user_id)
        if channel is None and len(config.channels) == 1:
            channel = config.channels[0].key
        if channel is None:
            return None
        links = await self.personal_links(user_id, channel)
        if not links:
            return None
        named = [(link.service.name(language, config.default_language), link.url) for link in links]
        return personal_links_post(named, language)

    async def with_links(self, user_id: int, channel: str | None, language: str | None, post: Post) -> Post:
        """A reminder with the recipient's personal links under it (unchanged when none)."""
        config = self.config.current
        if not self.active(config) or channel is None:
            return post
        links = await self.personal_links(user_id, channel)
        if not links:
            return post
        reader = config.language_for(language)
        rows = tuple(
            (Button(link_button(link.service.name(reader, config.default_language), reader), url=link.url),)
            for link in links
        )
        return dataclasses.replace(post, buttons=post.buttons + rows)

    async def bot_username(self, service: Service) -> str | None:
        known = self._usernames.get(service.key)
        if known is not None:
            return known
        destination = destination_of(service, self.environ)
        if destination is None:
            return None
        await self.client.start()
        try:
            me = await self.client.call(destination, "getMe")
        except DestinationFailed as exc:
            log.warning("across: %s's bot cannot be asked its name: %s", service.key, exc)
            return None
        finally:
            await self.client.close()
        username = me.get("username") if isinstance(me, dict) else None
        if not isinstance(username, str) or not username:
            return None
        self._usernames[service.key] = username
        return username

    # ----------------------------------------------------------------------------- the intake

    async def start(self) -> None:
        """Poll every verified destination's bot (a leader duty)."""
        await self.client.start()
        active = self.active(self.config.current)
        for service, destination in destinations(active, self.environ, "its move codes are not taken"):
            self._pollers[service.key] = asyncio.create_task(
                self._poll(service.key, destination), name=f"kooch-across-{service.key}"
            )

    async def stop(self) -> None:
        for task in self._pollers.values():
            task.cancel()
        await asyncio.gather(*self._pollers.values(), return_exceptions=True)
        self._pollers.clear()
        await self.client.close()

    async def wait_handled(self, count: int) -> None:
        """Return once ``count`` destination updates were handled this run (for tests)."""
        async with self._progress:
            await self._progress.wait_for(lambda: self.handled >= count)

    async def _poll(self, key: str, destination: Destination) -> None:
        offset = await self.store.offset(key)
        backoff = 1.0
        while True:
            params: dict[str, Any] = {"timeout": self.poll_s, "limit": LIMIT, "allowed_updates": ["message"]}
            if offset:
                params["offset"] = offset
            try:
                updates = await self.client.call(destination, "getUpdates", params, wait_s=self.poll_s)
            except DestinationFailed as exc:
                wait = exc.retry_after if exc.retry_after is not None else backoff
                log.warning("across: getUpdates at %s failed (%s); again in %.0f s", key, exc, wait)
                await asyncio.sleep(wait)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                continue
            backoff = 1.0
            if not isinstance(updates, list) or not updates:
                continue
            try:
                for update in sorted(updates, key=_update_id):
                    update_id = _update_id(update)
                    if update_id < offset:
                        continue  # already handled and saved
                    await self._handle(key, destination, update)
                    offset = update_id + 1
                    async with self._progress:
                        self.handled += 1
                        self._progress.notify_all()
                # Handled, then saved: the next getUpdates confirms them to the destination.
                await self.store.save_offset(key, offset)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The database: what was not handled is fetched again (the offset stayed below it).
                log.exception("across: an update from %s could not be handled; trying again", key)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _handle(self, key: str, destination: Destination, update: Any) -> None:
        message = update.get("message") if isinstance(update, dict) else None
        if not isinstance(message, dict):
            return
        chat = message.get("chat")
        if not isinstance(chat, dict) or chat.get("type") != "private":
            return
        payload = start_payload(message.get("text"))
        if payload is None:
            return
        config = self.config.current
        service = next((s for s in config.services if s.key == key), None)
        if service is None:
            return
        sender = message.get("from")
        said = sender.get("language_code") if isinstance(sender, dict) else None
        redemption = (
            await self.store.redeem(payload, key, _update_id(update))
            if payload
            else Redemption(Redeemed.UNKNOWN)
        )
        language = config.language_for(redemption.language or said)
        text = _answer(config, service, redemption, language)
        with contextlib.suppress(DestinationFailed):
            await self._send(destination, {"chat_id": chat.get("id"), "text": text})

    async def _send(self, destination: Destination, params: dict[str, Any]) -> None:
        for _attempt in range(3):
            try:
                await self.client.call(destination, "sendMessage", params)
                return
            except DestinationFailed as exc:
                if exc.retry_after is None:
                    log.warning("across: an answer at the destination was refused: %s", exc)
                    raise
                await asyncio.sleep(exc.retry_after)


def _update_id(update: Any) -> int:
    value = update.get("update_id") if isinstance(update, dict) else None
    return int(value) if isinstance(value, int) else -1


def _answer(config: Config, service: Service, redemption: Redemption, language: str) -> str:
    name = service.name(language, config.default_language)
    link = service.url
    if redemption.outcome is Redeemed.ARRIVED:
        return welcome(name, link, language)
    if redemption.outcome is Redeemed.USED:
        return used(link, language)
    if redemption.outcome is Redeemed.EXPIRED:
        return expired(link, language)
    return unknown(language)
