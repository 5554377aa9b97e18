"""The mirror: the channel keeps speaking on the destinations while its audience crosses.

Every new post of an announced channel (text, photo, video, document with its caption) is taken
as it arrives (a ``channel_post`` update: :meth:`Mirror.take`) into ``mirror_posts``, one row per
destination, and copied there by the operator's bot on that platform; an edit of a mirrored post
(``edited_channel_post``) is followed with ``editMessageText`` / ``editMessageCaption``. Albums go
as albums (``sendMediaGroup``, the items gathered for a moment), or item by item on a destination
that refuses them. Kooch's own
posts (the announcement, the final post) reach no bot as updates, so they are never mirrored.

The sender is a leader duty, one task per destination, with the campaigns' guarantees:

- paced: at most ``mirror.per_minute`` sends and edits a minute to one destination channel;
- a 429 is waited out (its ``retry_after``) and the same post sent again; a network error or a
  5xx is retried with backoff, the operators told once that the destination fails and once when
  it answers again (a destination that fails is caught up when it recovers); a refusal that
  retrying cannot help (400, 403) fails that post, with the reason in /status;
- exactly once: a row is marked 'sending' in its own commit before the HTTP call, and 'sent'
  with the copy's id after it. ``kill -9`` between the two leaves one row 'sending', sent again on
  resume (the one in flight: at most one duplicate, never a loss), as campaigns do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mimetypes
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from kooch.across.model import SEND_METHOD, MirrorBody, mirror_body
from kooch.across.service import destinations
from kooch.across.store import MirrorCounts, MirrorRow, MirrorStore
from kooch.across.wording import mirror_failing, mirror_recovered
from kooch.arrivals.client import Destination, DestinationClient, DestinationFailed
from kooch.clock import SYSTEM, Clock
from kooch.config import Config, Service
from kooch.config.holder import ConfigHolder
from kooch.i18n import strip_controls

log = logging.getLogger(__name__)

#: A Telegram file's bytes, by its file id.
Download = Callable[[str], Awaitable[bytes]]
#: Tells the operators: the words in each operator's language.
Tell = Callable[[Callable[[str], str]], Awaitable[None]]
#: When the channel's first announcement was posted (None: not yet), by channel key.
AnnouncedAt = Callable[[str], Awaitable[float | None]]
#: Seconds between two looks in the database when nothing poked (another replica took the post).
POLL_S = 30.0
MAX_BACKOFF_S = 300.0
NOT_MODIFIED = "message is not modified"
#: Seconds an album's first item waits for the others (each item is an update of its own).
ALBUM_GATHER_S = 1.0
#: A destination answering sendMediaGroup so has no albums: their items go one by one.
ALBUMS_REFUSED = frozenset({400, 404, 501})


class Mirror:
    def __init__(
        self,
        config: ConfigHolder,
        store: MirrorStore,
        client: DestinationClient,
        *,
        environ: Mapping[str, str],
        download: Download,
        tell: Tell,
        announced_at: AnnouncedAt,
        clock: Clock = SYSTEM,
        poll_s: float = POLL_S,
    ) -> None:
        self.config = config
        self.store = store
        self.client = client
        self.environ = environ
        self.download = download
        self.tell = tell
        self.announced_at = announced_at
        self.clock = clock
        self.poll_s = poll_s
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._wake: dict[str, asyncio.Event] = {}
        #: Destinations whose last try failed transiently (told once, and once when they recover).
        self._failing: set[str] = set()
        #: Destinations that refused an album: albums go there item by item.
        self._no_albums: set[str] = set()
        #: Sends and edits done this run, per service (the bench and the tests read it).
        self.done: dict[str, int] = {}
        self._progress = asyncio.Condition()

    # ----------------------------------------------------------------------------- taking posts

    def services(self, config: Config) -> tuple[Service, ...]:
        mirror = config.mirror
        if mirror is None:
            return ()
        return tuple(s for s in config.arrivals_services if s.key in mirror.services)

    async def take(self, channel: str, message_id: int, message: Mapping[str, Any], *, edited: bool) -> bool:
        """A post (or an edit) of ``channel`` on Telegram; True if the mirror took it."""
        config = self.config.current
        mirror, services = config.mirror, self.services(config)
        body = mirror_body(message)
        if mirror is None or not services or body is None:
            return False
        if edited:
            changed = await self.store.edited(channel, message_id, body)
        else:
            if not mirror.active(self.clock.now(), await self.announced_at(channel)):
                return False
            changed = await self.store.capture(channel, message_id, [s.key for s in services], body)
        self.poke()
        return changed > 0

    def poke(self) -> None:
        for event in self._wake.values():
            event.set()

    async def counts(self) -> dict[str, MirrorCounts]:
        """Per destination: mirrored, pending, failed and the last error (for /status)."""
        return await self.store.counts([s.key for s in self.services(self.config.current)])

    # ----------------------------------------------------------------------------- the sender

    async def start(self) -> None:
        """Send to every mirrored destination (a leader duty); what was left resumes."""
        await self.client.start()
        mirrored = self.services(self.config.current)
        for service, destination in destinations(mirrored, self.environ, "nothing is mirrored there"):
            self._wake[service.key] = asyncio.Event()
            self._tasks[service.key] = asyncio.create_task(
                self._run(service, destination), name=f"kooch-mirror-{service.key}"
            )

    async def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()
        self._wake.clear()
        await self.client.close()

    async def wait_done(self, service: str, count: int) -> None:
        """Return once ``count`` sends and edits to ``service`` are done this run (tests, bench)."""
        async with self._progress:
            await self._progress.wait_for(lambda: self.done.get(service, 0) >= count)

    async def _run(self, service: Service, destination: Destination) -> None:
        key = service.key
        wake = self._wake[key]
        last = -float("inf")
        backoff = 1.0
        while True:
            try:
                row = await self.store.claim(key)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("mirror: cannot read the posts to send to %s", key)
                row = None
            if row is None:
                wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), self.poll_s)
                continue
            mirror = self.config.current.mirror
            interval = 60.0 / (mirror.per_minute if mirror is not None else 20.0)
            # Paced in real time (the destination's limit is), whatever clock the rest reads.
            loop = asyncio.get_running_loop()
            await asyncio.sleep(max(0.0, last + interval - loop.time()))
            last = loop.time()
            try:
                backoff = await self._send(service, destination, row, backoff)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The database, or a file from Telegram: the row stays claimed and is sent next.
                log.exception("mirror: sending post %d to %s failed; trying again", row.message_id, key)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _send(
        self, service: Service, destination: Destination, row: MirrorRow, backoff: float
    ) -> float:
        """Send ``row`` (with its album); the backoff for the next failure."""
        key = service.key
        album = await self._album(row)
        try:
            if len(album) > 1:
                copies = await self._send_album(destination, album)
            else:
                copies = [await self._deliver(destination, row)]
        except DestinationFailed as exc:
            if len(album) > 1 and exc.code in ALBUMS_REFUSED:
                log.info("mirror: %s takes no albums (%s): their items go one by one", key, exc)
                self._no_albums.add(key)
                exc = DestinationFailed(exc.words, code=None, retry_after=0.0)
            for item in album[1:]:  # the album's other items share the first one's fate
                await self.store.put_back(item, str(exc), failed=not exc.transient)
            await self._failed(service, album[0], exc, backoff)
            return 1.0 if exc.retry_after is not None else min(backoff * 2, MAX_BACKOFF_S)
        for item, copy in zip(album, copies, strict=True):
            await self.store.sent(item, copy)
        if key in self._failing:
            self._failing.discard(key)
            await self.tell(_recovered(service.names))
        async with self._progress:
            self.done[key] = self.done.get(key, 0) + len(album)
            self._progress.notify_all()
        return 1.0

    async def _failed(self, service: Service, row: MirrorRow, exc: DestinationFailed, backoff: float) -> None:
        key, error = service.key, str(exc)
        if exc.retry_after is not None:
            log.info("mirror: %s asks to wait %.0f s (429)", key, exc.retry_after)
            await self.store.put_back(row, error, failed=False)
            await asyncio.sleep(exc.retry_after)
            return
        if not exc.transient:
            log.warning("mirror: %s refused post %d of %s: %s", key, row.message_id, row.channel, error)
            await self.store.put_back(row, error, failed=True)
            return
        await self.store.put_back(row, error, failed=False)
        if key not in self._failing:
            self._failing.add(key)
            log.warning("mirror: %s fails (%s); trying again", key, error)
            words, name = exc.words, service.names
            await self.tell(lambda lang: mirror_failing(_name(name, lang), strip_controls(words(lang)), lang))
        await asyncio.sleep(backoff)

    async def _album(self, row: MirrorRow) -> list[MirrorRow]:
        """``row`` alone, or with the other items of its album when it is a new one's item (the
        items come as separate updates a moment apart: they are given that moment)."""
        group = row.body.media_group_id
        if group is None or row.dest_message_id is not None or row.service in self._no_albums:
            return [row]
        await asyncio.sleep(ALBUM_GATHER_S)
        album = await self.store.claim_album(row)
        return album if len(album) > 1 else [row]

    async def _send_album(self, destination: Destination, album: list[MirrorRow]) -> list[int]:
        """An album as an album (sendMediaGroup); the copies' message ids, in order."""
        media, uploads = [], []
        for n, item in enumerate(album):
            body = item.body
            assert body.file_id is not None
            data = await self.download(body.file_id)
            name = body.file_name or {"photo": "photo.jpg", "video": "video.mp4"}.get(body.kind, "file")
            mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
            entry: dict[str, Any] = {"type": body.kind, "media": f"attach://file{n}"}
            if body.text:
                entry["caption"] = body.text
            media.append(entry)
            uploads.append((f"file{n}", name, mime, data))
        result = await self.client.call(
            destination,
            "sendMediaGroup",
            {"chat_id": str(destination.target.chat), "media": media},
            upload=uploads,
        )
        ids = [m.get("message_id") for m in result] if isinstance(result, list) else []
        if len(ids) != len(album) or not all(isinstance(i, int) for i in ids):
            raise DestinationFailed(lambda _lang: "answered the album without its message ids", 502)
        return [int(i) for i in ids]

    async def _deliver(self, destination: Destination, row: MirrorRow) -> int:
        """Send the post, or follow its edit; the copy's message id there."""
        chat, body = destination.target.chat, row.body
        if row.dest_message_id is not None:
            method, field = (
                ("editMessageText", "text") if body.kind == "text" else ("editMessageCaption", "caption")
            )
            params = {"chat_id": chat, "message_id": row.dest_message_id, field: body.text or ""}
            try:
                await self.client.call(destination, method, params)
            except DestinationFailed as exc:
                if NOT_MODIFIED not in str(exc):
                    raise
            return row.dest_message_id
        if body.kind == "text":
            result = await self.client.call(destination, "sendMessage", {"chat_id": chat, "text": body.text})
        else:
            result = await self._send_media(destination, body)
        if not isinstance(result, dict) or not isinstance(result.get("message_id"), int):
            raise DestinationFailed(lambda _lang: "answered without a message id", 502)
        return int(result["message_id"])

    async def _send_media(self, destination: Destination, body: MirrorBody) -> Any:
        assert body.file_id is not None
        data = await self.download(body.file_id)
        name = body.file_name or {"photo": "photo.jpg", "video": "video.mp4"}.get(body.kind, "file")
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        params: dict[str, Any] = {"chat_id": str(destination.target.chat)}
        if body.text:
            params["caption"] = body.text
        return await self.client.call(
            destination, SEND_METHOD[body.kind], params, upload=(body.kind, name, mime, data)
        )


def _recovered(names: Mapping[str, str]) -> Callable[[str], str]:
    return lambda lang: mirror_recovered(_name(names, lang), lang)


def _name(names: Mapping[str, str], language: str) -> str:
    return names.get(language) or next(iter(names.values()))
