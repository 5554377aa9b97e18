"""The channel's "moved" state, as plain data: its title with the suffix and its description with
the links, measured against Telegram's limits (title ≤ 128, description ≤ 255 characters), and
the typed outcome of every step of ``/moved`` and ``/moved undo``.

:mod:`kooch.announce.moved.service` saves the originals first, then applies these, one outcome per step;
``/moved undo`` puts the originals back. :mod:`kooch.announce.moved.wording` says the outcomes in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from kooch.config import MAX_CHAT_DESCRIPTION, MAX_CHAT_TITLE, Channel, Config
from kooch.i18n import pgettext


def default_header(language: str) -> str:
    """The description's first line when the channel gives no ``moved_description``."""
    return pgettext(language, "channel description", "This channel has moved. Follow us here:")


@dataclass(frozen=True)
class MovedTitle:
    title: str
    #: Set when the title would be too long for Telegram; then ``title`` is not to be used.
    too_long: bool = False


@dataclass(frozen=True)
class MovedDescription:
    text: str
    #: How many of the channel's services fit within 255 characters (all, ideally).
    links: int
    services: int

    @property
    def complete(self) -> bool:
        return self.links == self.services

    @property
    def fits(self) -> bool:
        return self.links > 0 or self.services == 0


def moved_title(original: str, channel: Channel) -> MovedTitle:
    """``original`` + the channel's suffix (not twice: an original that already ends with it)."""
    suffix = channel.moved_title_suffix
    title = original if original.endswith(suffix) else original + suffix
    return MovedTitle(title, too_long=len(title) > MAX_CHAT_TITLE)


def moved_description(config: Config, channel: Channel) -> MovedDescription:
    """The header and as many ``name: url`` lines as fit in Telegram's 255 characters, in the
    channel's order of services (the pinned announcement carries them all)."""
    lang = channel.language
    header = channel.moved_description or default_header(lang)
    services = config.services_for(channel)
    lines = [header.rstrip()]
    fitted = 0
    for s in services:
        line = f"{s.name(lang, config.default_language)}: {s.url}"
        if len("\n".join([*lines, line])) > MAX_CHAT_DESCRIPTION:
            break
        lines.append(line)
        fitted += 1
    return MovedDescription("\n".join(lines), fitted, len(services))


# --------------------------------------------------------------------------------------------
# Outcomes


class StepStatus(Enum):
    DONE = "done"
    #: Telegram said "not modified": it was so already.
    ALREADY = "already"
    #: The bot lacks "Change channel info" (or "Edit messages" to pin).
    MISSING_RIGHT = "missing right"
    #: Telegram refused the text as too long (or invalid).
    TOO_LONG = "too long"
    #: Any other refusal; the outcome carries Telegram's description.
    REFUSED = "refused"
    #: Not tried: Kooch knew beforehand that it could not work (too long, nothing to pin).
    SKIPPED = "skipped"


@dataclass(frozen=True)
class StepOutcome:
    status: StepStatus
    #: Telegram's description, for TOO_LONG and REFUSED.
    description: str | None = None

    @property
    def ok(self) -> bool:
        """The channel is as wanted after this step."""
        return self.status in (StepStatus.DONE, StepStatus.ALREADY)


DONE = StepOutcome(StepStatus.DONE)
SKIPPED = StepOutcome(StepStatus.SKIPPED)


def refused_step(description: str, *, blocked: bool = False) -> StepOutcome:
    """A step Telegram refused, sorted by its description into what the operator can do about it.

    ``blocked`` (403: the bot is not in the chat) is never a matter of the text sent, so its
    description is not searched."""
    if blocked:
        return StepOutcome(StepStatus.REFUSED, description)
    text = description.lower()
    if "not modified" in text:
        return StepOutcome(StepStatus.ALREADY)
    if "not enough rights" in text:
        return StepOutcome(StepStatus.MISSING_RIGHT)
    if "too long" in text or "invalid" in text:
        return StepOutcome(StepStatus.TOO_LONG, description)
    return StepOutcome(StepStatus.REFUSED, description)


def remembers_pin(pin: StepOutcome, *, pinned_before: bool, saved: bool) -> bool:
    """Whether ``/moved undo`` should later unpin the announcement that this ``/moved`` pinned.

    Only a pin that the first ``/moved`` made itself: a message the channel had pinned before
    stays pinned after the undo, and a second ``/moved`` (originals kept) must not claim it."""
    return pin.ok and not pinned_before and saved


@dataclass(frozen=True)
class MovedPlan:
    """What ``/moved`` would do to one channel, shown before the operator confirms."""

    channel: Channel
    #: None when the channel could not be read (then ``unreadable`` is Telegram's description).
    title: MovedTitle | None
    description: MovedDescription
    #: The current announcement, which would be pinned; None when none is posted yet.
    announcement: int | None
    unreadable: str | None = None


@dataclass(frozen=True)
class UndoPlan:
    """What ``/moved undo`` would restore in one channel."""

    channel: Channel
    original_title: str | None = None
    original_description: str = ""
    #: The message ``/moved`` pinned, which would be unpinned.
    pinned_message_id: int | None = None
    #: False when the channel is not in the moved state: nothing to restore.
    active: bool = False


def anything_to_undo(plans: Sequence[UndoPlan]) -> bool:
    return any(p.active for p in plans)


@dataclass(frozen=True)
class NotInConfig:
    """The channel was removed from the config between the question and the confirmation."""

    key: str


@dataclass(frozen=True)
class ChatUnreadable:
    """``getChat`` failed, so nothing was changed; ``description`` is Telegram's."""

    channel: Channel
    description: str


@dataclass(frozen=True)
class MovedSet:
    """``/moved`` on one channel: each step's outcome."""

    channel: Channel
    #: True when the originals were saved now; False when the channel was in the moved state
    #: already and the originals saved then are kept.
    saved: bool
    title: MovedTitle
    #: SKIPPED when the title would be too long.
    title_step: StepOutcome
    description: MovedDescription
    #: SKIPPED when not even one link fits.
    description_step: StepOutcome
    #: The announcement pinned; None when none is posted yet (then ``pin_step`` is SKIPPED).
    announcement: int | None
    pin_step: StepOutcome


@dataclass(frozen=True)
class NotMoved:
    """``/moved undo`` on a channel not in the moved state: nothing to restore."""

    channel: Channel


@dataclass(frozen=True)
class MovedUndone:
    """``/moved undo`` on one channel: each step's outcome (None: a step it did not need)."""

    channel: Channel
    #: None when no original title was saved.
    title_step: StepOutcome | None
    description_step: StepOutcome
    #: The message ``/moved`` pinned; None when it pinned none (then ``unpin_step`` is None).
    unpinned: int | None
    unpin_step: StepOutcome | None

    @property
    def steps(self) -> list[StepOutcome]:
        return [s for s in (self.title_step, self.description_step, self.unpin_step) if s is not None]

    @property
    def complete(self) -> bool:
        """Every step worked: the channel is out of the moved state."""
        return all(s.ok for s in self.steps)


MovedReport = NotInConfig | ChatUnreadable | MovedSet | NotMoved | MovedUndone
