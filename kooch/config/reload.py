"""``config.yaml`` reloaded while the bot runs: on a change of the file (watched) and on /reload.

A valid new config is put in force at once (:meth:`ConfigHolder.replace`; every handler reads the
config in force each time it acts) and the operators get one message saying what changed
(the ``describe`` function it is given). An invalid one changes nothing: the old config stays in force and the
operators get the errors, with file, key path, line and column, once per distinct broken version
of the file (the sha256 of its bytes), never in a loop.

Watching: ``watchfiles`` on the file's folder (editors often save by writing a new file and
renaming it over the old one), with a debounce so that a file caught half-saved is not read: the
changes of one save are grouped until the file has been quiet for ``step_ms``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import watchfiles

from kooch.clock import SYSTEM, Clock
from kooch.config import Config, ConfigError, ConfigInvalid, parse_config
from kooch.config.diff import ConfigDiff, diff_configs
from kooch.config.holder import ConfigHolder
from kooch.config.load import ConfigCheck, read_limited
from kooch.config.wording import error_lines
from kooch.i18n import format_number, gettext, isolate, ltr, ngettext, paragraph, to_digits

log = logging.getLogger(__name__)

#: Most time the changes of one save are grouped; and the quiet time that ends a save.
DEBOUNCE_MS = 1600
STEP_MS = 300

#: Tells the operators (all of them, but ``skip``: the one who asked gets the answer instead).
Notify = Callable[[str | Callable[[str], str], int | None], Awaitable[None]]
#: Called after a new config is in force, with (old, new, what changed): the features act on the
#: very diff the operators are told about; returns extra lines for the summary.
OnApplied = Callable[[Config, Config, ConfigDiff], Awaitable[list[str]]]
#: Says what changed (old, new, their diff), a line per change, in a reader's language.
Describe = Callable[[Config, Config, ConfigDiff, str], list[str]]

OutcomeKind = Literal["applied", "restored", "unchanged", "invalid", "invalid-again", "unreadable"]


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    #: What the operators are told (for "invalid-again" and "unchanged": only the one who asked),
    #: in a given language; empty: nothing to tell.
    words: Callable[[str], str] = lambda _language: ""
    errors: tuple[ConfigError, ...] = ()

    @property
    def message(self) -> str:
        """The message in English (the log's and the audit's words)."""
        return self.words("en")

    def say(self, language: str) -> str:
        return self.words(language)


@dataclass
class ReloadState:
    """What /status shows about the config."""

    loaded_at: float
    #: sha256 of the bytes of the file version in force (None: not read by the reloader yet).
    applied_digest: str | None = None
    broken_digest: str | None = None
    broken_errors: tuple[ConfigError, ...] = ()
    broken_at: float | None = None
    watching: bool = False


#: Why a reload happened, in the reader's words (a plain text is shown as it is).
Trigger = str | Callable[[str], str]


def file_changed(language: str) -> str:
    """The watcher's trigger."""
    return gettext(language, "the file changed")


def reload_by(user_id: int, language: str, name: str | None = None) -> str:
    """The trigger of an operator's /reload: by their Telegram name when known, else their id."""
    who = isolate(name) if name else to_digits(str(user_id), language)
    return gettext(language, "/reload by {operator}").format(operator=who)


def signal_received(language: str) -> str:
    """The trigger of ``kill -HUP`` (``docker kill --signal HUP``, ``systemctl reload``)."""
    return gettext(language, "the signal {signal}").format(signal=ltr("SIGHUP"))


def _trigger(trigger: Trigger, language: str) -> str:
    return trigger if isinstance(trigger, str) else trigger(language)


def _say(language: str, text: str, **values: object) -> str:
    """``text`` (from the catalog) filled in, as a line of ``language``'s direction; a file name
    keeps its own direction."""
    if "file" in values:
        values["file"] = isolate(str(values["file"]))
    return paragraph(text.format(**values), language)


def format_errors(errors: tuple[ConfigError, ...] | list[ConfigError], language: str = "en") -> str:
    """The errors of a rejected version as a notice says them: key, line, and Kooch's words in the
    reader's ``language`` (:func:`kooch.config.wording.error_line`)."""
    return error_lines(errors, language)


# --------------------------------------------------------------------------------------------
# The reloader


class Reloader:
    """Reads the config file on demand (/reload) and when it changes (watcher)."""

    def __init__(
        self,
        holder: ConfigHolder,
        notify: Notify,
        on_applied: OnApplied,
        *,
        checks: Sequence[ConfigCheck] = (),
        describe: Describe = lambda _old, _new, _diff, _language: [],
        debounce_ms: int = DEBOUNCE_MS,
        step_ms: int = STEP_MS,
        clock: Clock = SYSTEM,
    ) -> None:
        self.holder = holder
        self.notify = notify
        self.on_applied = on_applied
        self.checks = checks
        self.describe = describe
        self.debounce_ms = debounce_ms
        self.step_ms = step_ms
        self.clock = clock
        self.state = ReloadState(loaded_at=clock.now())
        #: Changes of the file the watcher has handled so far (:meth:`wait_watched`).
        self.watched = 0
        self._last_watched: Outcome | None = None
        self._watch_waiters: list[tuple[int, asyncio.Future[Outcome | None]]] = []
        self._lock = asyncio.Lock()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def path(self) -> Path:
        return self.holder.path

    # ----------------------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Remember the file version in force, then watch the file."""
        with contextlib.suppress(OSError):
            self.state.applied_digest = _digest(self.path.read_bytes())
        self._stop.clear()
        self._task = asyncio.create_task(self._watch(), name="kooch-config-watcher")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _watch(self) -> None:
        target = self.path.resolve()

        def is_config(_change: watchfiles.Change, path: str) -> bool:
            return Path(path).name == target.name

        try:
            self.state.watching = True
            async for _changes in watchfiles.awatch(
                target.parent,
                watch_filter=is_config,
                debounce=self.debounce_ms,
                step=self.step_ms,
                stop_event=self._stop,
                recursive=False,
            ):
                outcome: Outcome | None = None
                try:
                    outcome = await self.reload(file_changed, watcher=True)
                except Exception:
                    log.exception("reloading %s failed", target)
                self._handled(outcome)
        except (OSError, RuntimeError) as exc:
            log.warning("cannot watch %s (%s): use /reload after editing it", target, exc)
        finally:
            self.state.watching = False

    async def wait_watched(self, after: int) -> Outcome | None:
        """Wait until the watcher has handled more than ``after`` changes of the file in all
        (:attr:`watched` counts them); return the outcome of the last one (None: it failed).

        What a test waits on after saving the file, instead of sleeping through the debounce.
        """
        if self.watched > after:
            return self._last_watched
        future: asyncio.Future[Outcome | None] = asyncio.get_running_loop().create_future()
        self._watch_waiters.append((after, future))
        return await future

    def _handled(self, outcome: Outcome | None) -> None:
        self.watched += 1
        self._last_watched = outcome
        waiting, self._watch_waiters = self._watch_waiters, []
        for after, future in waiting:
            if after >= self.watched:
                self._watch_waiters.append((after, future))
            elif not future.done():
                future.set_result(outcome)

    # ----------------------------------------------------------------------------- reload

    async def reload(
        self, trigger: Trigger, *, requested_by: int | None = None, watcher: bool = False
    ) -> Outcome:
        """Read the file and put it in force if valid; tell the operators (but ``requested_by``,
        who gets the returned message) once."""
        async with self._lock:
            outcome = await self._reload(trigger, watcher=watcher)
        if outcome.kind in ("applied", "restored", "invalid", "unreadable") and outcome.message:
            await self.notify(outcome.words, requested_by)
        return outcome

    async def _reload(self, trigger: Trigger, *, watcher: bool) -> Outcome:
        data = await self._read(trigger, watcher=watcher)
        if isinstance(data, Outcome):
            return data
        digest = _digest(data)
        if watcher and not data.strip():
            return Outcome("unchanged")  # emptied while being saved: wait for the content
        if digest == self.state.applied_digest:
            return self._in_force()
        try:
            # Off the event loop: even a file within the limits takes a moment to parse, and taps
            # must be answered meanwhile.
            new = await asyncio.to_thread(self._parse, data)
        except ConfigInvalid as exc:
            return self._invalid(trigger, digest, tuple(exc.errors))
        return await self._apply(trigger, digest, new)

    async def _read(self, trigger: Trigger, *, watcher: bool) -> bytes | Outcome:
        """The file's bytes, or the outcome when it cannot be read (or is gone for a moment)."""
        name = str(self.path)
        try:
            return await asyncio.to_thread(read_limited, self.path)
        except ConfigInvalid as exc:
            return self._invalid(trigger, _digest(b"too large"), tuple(exc.errors))
        except FileNotFoundError:
            if watcher:  # replaced by rename, or being re-created: the next event brings it
                return Outcome("unchanged")
            return Outcome(
                "unreadable",
                lambda lang: _say(
                    lang, gettext(lang, "⚠️ {file}: file not found; the config in force is kept."), file=name
                ),
            )
        except OSError as exc:
            error = str(exc)  # the name ``exc`` is gone once this block ends
            return Outcome(
                "unreadable",
                lambda lang: _say(
                    lang,
                    gettext(lang, "⚠️ {file} cannot be read ({error}); the config in force is kept."),
                    file=name,
                    error=error,
                ),
            )

    def _in_force(self) -> Outcome:
        """The file is the version in force: unchanged, or restored when a broken edit was undone."""
        name = str(self.path)
        if self.state.broken_digest is not None:  # a broken edit was undone
            self.state.broken_digest, self.state.broken_errors, self.state.broken_at = None, (), None
            return Outcome(
                "restored",
                lambda lang: _say(
                    lang,
                    gettext(lang, "✅ {file} is back to the version in force; its errors are gone."),
                    file=name,
                ),
            )
        return Outcome(
            "unchanged",
            lambda lang: _say(lang, gettext(lang, "No change: {file} is the version in force."), file=name),
        )

    async def _apply(self, trigger: Trigger, digest: str, new: Config) -> Outcome:
        """Put ``new`` in force, let the features act on it, and say what changed."""
        name = str(self.path)
        old = self.holder.current
        # One diff: what is applied below, what the features act on, what the operators read.
        diff = diff_configs(old, new)
        described = new
        lines = self.describe(old, new, diff, "en")
        new = _keep_store(old, new)
        self.holder.replace(new)
        self.state.applied_digest = digest
        self.state.broken_digest, self.state.broken_errors, self.state.broken_at = None, (), None
        self.state.loaded_at = self.clock.now()
        extra: list[str] = []
        try:
            extra = await self.on_applied(old, new, diff)
        except Exception:
            log.exception("after applying the new config")
        lines += extra
        log.info("config reloaded (%s): %d change(s)", _trigger(trigger, "en"), len(lines))
        version = new.version

        def summary(language: str) -> str:
            said = lines if language == "en" else [*self.describe(old, described, diff, language), *extra]
            changes = said or [gettext(language, "nothing that Kooch uses (comments or formatting only)")]
            head = _say(
                language,
                gettext(language, "🔄 {file} reloaded ({trigger}), version {version}:"),
                file=name,
                trigger=_trigger(trigger, language),
                version=ltr(version),
            )
            return "\n".join([head, *(paragraph(f"• {line}", language) for line in changes)])

        return Outcome("applied", summary)

    def _parse(self, data: bytes) -> Config:
        path = self.path
        name = str(path)
        return parse_config(_decode(data, name), name, base_dir=path.resolve().parent, checks=self.checks)

    def _invalid(self, trigger: Trigger, digest: str, errors: tuple[ConfigError, ...]) -> Outcome:
        name = str(self.path)
        again = digest == self.state.broken_digest
        self.state.broken_digest, self.state.broken_errors = digest, errors
        if not again:
            self.state.broken_at = self.clock.now()

        def message(language: str) -> str:
            head = ngettext(
                language,
                "❌ {file} has {n} error ({trigger}); nothing changed, the config in force stays:",
                "❌ {file} has {n} errors ({trigger}); nothing changed, the config in force stays:",
                len(errors),
            )
            shown = head.format(
                file=isolate(name),
                n=format_number(len(errors), language),
                trigger=_trigger(trigger, language),
            )
            return f"{paragraph(shown, language)}\n{format_errors(errors, language)}"

        return Outcome("invalid-again" if again else "invalid", message, errors)


def _keep_store(old: Config, new: Config) -> Config:
    """The database cannot change while running: the new config keeps naming the open one (the
    summary says that the new path needs a restart)."""
    if old.sqlite_path == new.sqlite_path:
        return new
    import dataclasses

    return dataclasses.replace(new, sqlite_path=old.sqlite_path)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigInvalid([ConfigError(name, "", f"cannot be read: not UTF-8 text ({exc})")]) from None
