"""``/moved`` and ``/moved undo``: put channels into the moved state and back, one typed outcome
per Bot API step (see :mod:`kooch.announce.moved.model`), never a line of text.

Telegram is reached through :class:`~kooch.telegram.gateway.Gateway` only, the database through
the store classes; :mod:`kooch.announce.moved.wording` turns the outcomes into the operator's report.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence

from kooch.announce.moved.model import (
    DONE,
    SKIPPED,
    ChatUnreadable,
    MovedPlan,
    MovedReport,
    MovedSet,
    MovedUndone,
    NotInConfig,
    NotMoved,
    StepOutcome,
    UndoPlan,
    moved_description,
    moved_title,
    refused_step,
    remembers_pin,
)
from kooch.announce.store import AnnouncementStore
from kooch.config import Channel, Config
from kooch.telegram.gateway import Blocked, Gateway, Refused, TelegramFailed


async def _step(call: Awaitable[None]) -> StepOutcome:
    """Run one Bot API step. Only Telegram's refusals are outcomes: a time-out or a rate limit
    propagates, like any other failure of the update."""
    try:
        await call
    except Blocked as exc:
        return refused_step(exc.description, blocked=True)
    except Refused as exc:
        return refused_step(exc.description)
    return DONE


class MovedWorkflow:
    def __init__(self, gateway: Gateway, announcements: AnnouncementStore) -> None:
        self.gateway = gateway
        self.announcements = announcements

    # ---------------------------------------------------------------- what a confirmation would do

    async def plans(self, config: Config, channels: Sequence[Channel]) -> list[MovedPlan]:
        """What ``/moved`` would do to each channel (it reads them; it changes nothing)."""
        plans = []
        for channel in channels:
            title, unreadable = None, None
            try:
                chat = await self.gateway.get_chat(channel.chat)
                title = moved_title(chat.title, channel)
            except TelegramFailed as exc:
                unreadable = exc.description
            current = await self.announcements.current_announcement(channel.key)
            plans.append(
                MovedPlan(
                    channel,
                    title,
                    moved_description(config, channel),
                    current.message_id if current else None,
                    unreadable,
                )
            )
        return plans

    async def undo_plans(self, channels: Sequence[Channel]) -> list[UndoPlan]:
        """What ``/moved undo`` would restore in each channel."""
        plans = []
        for channel in channels:
            state = await self.announcements.moved_state(channel.key)
            if state is None or not state.active:
                plans.append(UndoPlan(channel))
            else:
                plans.append(
                    UndoPlan(
                        channel,
                        state.original_title,
                        state.original_description,
                        state.pinned_message_id,
                        active=True,
                    )
                )
        return plans

    # ------------------------------------------------------------------------ the confirmed action

    async def run(
        self, config: Config, keys: Sequence[str], operator: int, *, undo: bool
    ) -> list[MovedReport]:
        """``/moved`` (or its undo) on the channels ``keys``, in the config in force now."""
        reports: list[MovedReport] = []
        for key in keys:
            channel = config.channel_by_key(key)
            if channel is None:
                reports.append(NotInConfig(key))
            elif undo:
                reports.append(await self.undo(channel))
            else:
                reports.append(await self.set_moved(config, channel, operator))
        return reports

    async def set_moved(self, config: Config, channel: Channel, operator: int) -> MovedReport:
        """Save the originals (once), then set the title, the description and the pin."""
        try:
            chat = await self.gateway.get_chat(channel.chat)
        except TelegramFailed as exc:
            return ChatUnreadable(channel, exc.description)
        saved = await self.announcements.save_originals(
            channel.key, chat.id, chat.title, chat.description, operator
        )
        state = await self.announcements.moved_state(channel.key)
        assert state is not None
        # The suffix goes after the true original, not after a title /moved already changed.
        title = moved_title(state.original_title or chat.title, channel)
        title_step = SKIPPED if title.too_long else await _step(self.gateway.set_title(chat.id, title.title))
        description = moved_description(config, channel)
        description_step = (
            await _step(self.gateway.set_description(chat.id, description.text))
            if description.fits
            else SKIPPED
        )
        current = await self.announcements.current_announcement(channel.key)
        pin_step = SKIPPED
        if current is not None:
            pin_step = await _step(self.gateway.pin(current.chat_id, current.message_id, notify=False))
            pinned_before = chat.pinned_message_id == current.message_id
            if remembers_pin(pin_step, pinned_before=pinned_before, saved=saved):
                await self.announcements.set_moved_pin(channel.key, current.message_id)
        if saved and not (title_step.ok or description_step.ok):
            # Nothing of the moved state took: the channel is as it was, and /status says so.
            await self.announcements.mark_undone(channel.key)
        return MovedSet(
            channel,
            saved,
            title,
            title_step,
            description,
            description_step,
            current.message_id if current is not None else None,
            pin_step,
        )

    async def undo(self, channel: Channel) -> MovedReport:
        """Put the saved originals back and unpin what ``/moved`` pinned; the moved state ends
        only when every step worked (else the originals stay saved for another try)."""
        state = await self.announcements.moved_state(channel.key)
        if state is None or not state.active:
            return NotMoved(channel)
        title_step = None
        if state.original_title:
            title_step = await _step(self.gateway.set_title(state.chat_id, state.original_title))
        description_step = await _step(
            self.gateway.set_description(state.chat_id, state.original_description)
        )
        unpin_step = None
        if state.pinned_message_id is not None:
            unpin_step = await _step(self.gateway.unpin(state.chat_id, state.pinned_message_id))
        report = MovedUndone(channel, title_step, description_step, state.pinned_message_id, unpin_step)
        if report.complete:
            await self.announcements.mark_undone(channel.key)
        return report
