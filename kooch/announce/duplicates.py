"""One announcement per channel unless an operator says otherwise: the one rule that ``/announce``,
a schedule, their approval requests and a scheduled post's due time all apply.

A channel's announcement is its current one (:meth:`AnnouncementStore.current_announcement`).
When an operator is asked to confirm, the ids of the channels' current announcements are kept
with the question (``known``). Then:

- a channel that has one needs the explicit choice of a second announcement (:func:`to_ask`);
- a channel whose current announcement is no longer the known one (one was posted meanwhile, by
  another operator or a scheduled post) makes the question be asked afresh, or, once confirmed,
  makes the action stop there (:func:`posted_since`): an approval that comes later posts nothing,
  and a scheduled post found so at its time is held for the operators instead of posted.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

from kooch.announce.store import Announcement, AnnouncementStore

#: Channel key → id of its current announcement when the operator was asked (absent: none).
Known = Mapping[str, int]


async def current(announcements: AnnouncementStore, keys: Iterable[str]) -> dict[str, Announcement]:
    """The channels among ``keys`` that have an announcement now, with it."""
    found = {}
    for key in keys:
        announcement = await announcements.current_announcement(key)
        if announcement is not None:
            found[key] = announcement
    return found


def known_of(existing: Mapping[str, Announcement]) -> dict[str, int]:
    """What to keep with a question: each channel's current announcement id (JSON-able)."""
    return {key: a.id for key, a in existing.items()}


def posted_since(known: int | None, now: Announcement | None) -> bool:
    """A channel's current announcement is not the one the operator confirmed against."""
    return now is not None and now.id != known


def changed(known: Known, keys: Iterable[str], now: Mapping[str, Announcement]) -> list[str]:
    """The channels among ``keys`` that got an announcement since ``known`` was taken."""
    return [key for key in keys if posted_since(known.get(key), now.get(key))]


class Ask(enum.Enum):
    """What still stands between an operator's press and the action."""

    #: A channel got an announcement since the question: ask afresh, with what is there now.
    AFRESH = "afresh"
    #: A channel has an announcement and the press was not "post a second one".
    SECOND = "second"
    #: Links are broken and the press was not "post anyway".
    LINKS = "links"


def to_ask(
    known: Known,
    keys: Iterable[str],
    now: Mapping[str, Announcement],
    *,
    second: bool,
    broken: int,
    anyway: bool,
) -> Ask | None:
    """The question still to ask before a confirmed post (None: go ahead)."""
    wanted = list(keys)
    if changed(known, wanted, now):
        return Ask.AFRESH
    if any(key in now for key in wanted) and not second:
        return Ask.SECOND
    if broken and not anyway:
        return Ask.LINKS
    return None
