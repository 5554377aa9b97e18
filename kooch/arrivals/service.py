"""Reading every member count each ``arrivals_interval_s``: the Telegram channels' (through the
Gateway) and each destination's (through :class:`~kooch.arrivals.client.DestinationClient`).

One round reads every source at once, stores what it got in one transaction, and compares each
source with the round before: a destination that starts failing is reported to the operators once,
and once more when it answers again; one that keeps failing is not reported again (a
destination down for a day must not send 144 messages). That state lives for the run: after a
restart a source still failing is reported once more, which tells a new operator too.

Time comes from the injected clock. A test moves a manual clock and calls :meth:`wait_idle`,
which returns once the round due at the clock's new time is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from kooch.arrivals.client import Destination, DestinationClient, DestinationFailed
from kooch.arrivals.store import ArrivalsStore, Kind, Reading
from kooch.arrivals.wording import failing_alert, recovered_alert, source_name
from kooch.clock import SYSTEM, Clock, Rounds
from kooch.config import Config, Service
from kooch.config.arrivals import missing_tokens
from kooch.config.holder import ConfigHolder
from kooch.secrets import secret
from kooch.telegram.errors import explain_telegram_error
from kooch.telegram.gateway import TelegramFailed

log = logging.getLogger(__name__)

TelegramCount = Callable[[int | str], Awaitable[int]]
#: Tells the operators: the words in each operator's language.
Tell = Callable[[Callable[[str], str]], Awaitable[None]]
#: Seconds the loop waits at most between two looks at the clock (a changed interval applies then).
TICK_S = 30.0
STOP_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class SourceState:
    """The last round's outcome for one source: its error, or None when it answered."""

    #: Why it gave no count, in a reader's language.
    error: Callable[[str], str] | None = None
    members: int | None = None


class ArrivalsWatcher:
    def __init__(
        self,
        store: ArrivalsStore,
        config: ConfigHolder,
        telegram_count: TelegramCount,
        tell: Tell,
        *,
        environ: Mapping[str, str],
        client: DestinationClient | None = None,
        clock: Clock = SYSTEM,
    ) -> None:
        self.store = store
        self.config = config
        self.telegram_count = telegram_count
        self.tell = tell
        self.environ = environ
        self.client = client or DestinationClient()
        self.clock = clock
        #: The last outcome per (kind, source key); what /stats shows beside the counts.
        self.states: dict[tuple[Kind, str], SourceState] = {}
        self._next_at: float | None = None
        self._wake = asyncio.Event()
        self._rounds = Rounds()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._stopping = False  # started again when this replica leads again
        await self.client.start()
        self._task = asyncio.create_task(self._loop(), name="kooch-arrivals")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            _, late = await asyncio.wait([self._task], timeout=STOP_TIMEOUT_S)
            for task in late:
                task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.client.close()

    async def wait_idle(self) -> None:
        """Return once the round due at the clock's time (if any) is stored and reported."""
        asked = self._rounds.ask()
        self._wake.set()
        await self._rounds.wait(asked)

    def error_of(self, kind: Kind, key: str) -> Callable[[str], str] | None:
        """Why the source's last reading failed, in a reader's language (None: it did not)."""
        state = self.states.get((kind, key))
        return state.error if state is not None else None

    # ----------------------------------------------------------------------------- the loop

    async def _loop(self) -> None:
        while not self._stopping:
            asked = self._rounds.asked
            wait = TICK_S
            try:
                config = self.config.current
                now = self.clock.now()
                if self._next_at is None or now >= self._next_at:
                    self._next_at = now + config.arrivals_interval_s
                    await self.read_round(config, now)
                wait = min(TICK_S, self._next_at - self.clock.now())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the arrivals round failed; trying again at the next one")
            self._rounds.caught_up(asked)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.05, wait))
            self._wake.clear()

    async def read_round(self, config: Config, now: float) -> None:
        """Read every source once, store the counts, tell the operators what changed.

        Nothing is read while no destination is counted: the Telegram side's series is there to
        stand beside the destinations'. A Telegram channel that cannot be read is only logged:
        posting and /stats already say why, with the fix."""
        if not config.arrivals_services:
            return
        missing = {path.split(".")[0]: message for path, message in missing_tokens(config, self.environ)}
        jobs: list[tuple[Kind, str, Service | None, Awaitable[int]]] = []
        for channel in config.channels:
            jobs.append(("channel", channel.key, None, self._telegram(channel.chat)))
        for i, service in enumerate(config.services):
            target = service.arrivals
            if target is None or not service.enabled:
                continue
            # Read again each round (a rotated *_FILE is picked up); its problem is in ``missing``.
            token = (
                "" if f"services[{i}]" in missing else (secret(target.token_env, self.environ) or "").strip()
            )
            problem = missing.get(f"services[{i}]")
            count = (
                self._missing(problem) if problem else self.client.member_count(Destination(target, token))
            )
            jobs.append(("service", service.key, service, count))
        results = await asyncio.gather(*(job for *_, job in jobs), return_exceptions=True)
        readings = []
        for (kind, key, source, _), result in zip(jobs, results, strict=True):
            what = _what(config, key, source)
            if isinstance(result, BaseException) and not isinstance(result, DestinationFailed):
                raise result
            before = self.states.get((kind, key), SourceState())
            if isinstance(result, DestinationFailed):
                error = result.words
                self.states[(kind, key)] = SourceState(error, before.members)
                if before.error is None:
                    log.warning("arrivals: %s cannot be read: %s", what("en"), result)
                    if kind == "service":
                        await self.tell(_failing(what, error, config.arrivals_interval_s))
                continue
            readings.append(Reading(kind, key, now, result))
            self.states[(kind, key)] = SourceState(None, result)
            if before.error is not None:
                log.info("arrivals: %s answers again (%d members)", what("en"), result)
                if kind == "service":
                    await self.tell(_recovered(what, result))
        await self.store.record(readings)

    async def _telegram(self, chat: int | str) -> int:
        try:
            return await self.telegram_count(chat)
        except TelegramFailed as exc:
            description = exc.description
            raise DestinationFailed(lambda lang: explain_telegram_error(description, lang)) from None

    @staticmethod
    async def _missing(problem: str) -> int:
        # The config check's words, English like every config error.
        raise DestinationFailed(lambda _lang: problem)


def _what(config: Config, key: str, service: Service | None) -> Callable[[str], str]:
    """The source's name in a reader's language (the log's is English)."""
    if service is not None and service.arrivals is not None:
        chat = str(service.arrivals.chat)
        return lambda lang: source_name("service", service.name(lang, config.default_language), chat, lang)
    channel = config.channel_by_key(key)
    label = channel.label if channel is not None else key
    return lambda lang: source_name("channel", key, label, lang)


def _failing(
    what: Callable[[str], str], error: Callable[[str], str], interval_s: float
) -> Callable[[str], str]:
    return lambda lang: failing_alert(what(lang), error(lang), interval_s, lang)


def _recovered(what: Callable[[str], str], members: int) -> Callable[[str], str]:
    return lambda lang: recovered_alert(what(lang), members, lang)
