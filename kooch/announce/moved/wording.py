"""Operator wording of ``/moved`` and ``/moved undo``: the question, each step's line and the report,
plain functions of plain data (:mod:`kooch.announce.moved.model`)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from kooch.announce.moved.model import (
    ChatUnreadable,
    MovedPlan,
    MovedReport,
    MovedSet,
    MovedUndone,
    NotInConfig,
    NotMoved,
    StepOutcome,
    StepStatus,
    UndoPlan,
)
from kooch.i18n import format_number, gettext
from kooch.i18n.bidi import isolate, paragraph
from kooch.i18n.formats import id_digits as _id
from kooch.operators.wording import channels_phrase
from kooch.telegram.errors import explain_telegram_error


def moved_question(plans: Sequence[MovedPlan], named: bool, language: str = "en") -> str:
    """What /moved will do, per channel, before the operator confirms."""
    _ = partial(gettext, language)
    n = partial(format_number, language=language)
    lines = [
        _("Put {channels} into the moved state?").format(
            channels=channels_phrase([p.channel for p in plans], named, language)
        )
    ]
    for plan in plans:
        title, description = plan.title, plan.description
        lines += ["", f"{isolate(plan.channel.label)}:"]
        if title is None:
            lines.append(
                "  "
                + _("title: cannot read it: {reason}").format(
                    reason=explain_telegram_error(plan.unreadable or "", language)
                )
            )
        elif title.too_long:
            lines.append(
                "  "
                + _("title: too long for Telegram ({length}/128), will be left as it is").format(
                    length=n(len(title.title))
                )
            )
        else:
            lines.append("  " + _("title → {title}").format(title=title.title))
        lines.append("  " + _("description ({length}/255):").format(length=n(len(description.text))))
        lines += [f"    {line}" for line in description.text.splitlines()]
        if not description.complete:
            lines.append(
                "  "
                + _(
                    "⚠️ only {links} of {services} links fit in Telegram's 255 characters; the pinned "
                    "announcement has them all"
                ).format(links=n(description.links), services=n(description.services))
            )
        lines.append(
            "  " + _("pin: the announcement (message {id})").format(id=_id(plan.announcement, language))
            if plan.announcement is not None
            else "  " + _("pin: nothing to pin, no announcement posted yet")
        )
    lines += ["", _("The current title and description are saved first; /moved undo restores them.")]
    return "\n".join(paragraph(line, language) if line else line for line in lines)


def undo_lines(plans: Sequence[UndoPlan], language: str = "en") -> list[str]:
    """What /moved undo will restore, one line per channel."""
    _ = partial(gettext, language)
    lines = []
    for p in plans:
        label = isolate(p.channel.label)
        if not p.active:
            lines.append(_("• {channel}: not in the moved state; nothing to restore").format(channel=label))
        else:
            if p.pinned_message_id:
                text = _(
                    "• {channel}: title back to “{title}”, description back to “{description}”, "
                    "unpin the announcement"
                )
            else:
                text = _("• {channel}: title back to “{title}”, description back to “{description}”")
            lines.append(
                text.format(
                    channel=label,
                    title=p.original_title,
                    description=p.original_description or _("(empty)"),
                )
            )
    return [paragraph(line, language) for line in lines]


def undo_question(plans: Sequence[UndoPlan], named: bool, language: str = "en") -> str:
    """The question before /moved undo (when at least one channel is in the moved state)."""
    phrase = channels_phrase([p.channel for p in plans], named, language)
    head = gettext(language, "Undo the moved state of {channels}?").format(channels=phrase)
    return "\n".join([paragraph(head, language), *undo_lines(plans, language)])


def missing_right(language: str) -> str:
    return gettext(language, "missing right: give the bot “Change channel info” (and “Edit messages”)")


MISSING_RIGHT = missing_right("en")


def step_line(what: str, step: StepOutcome, language: str = "en") -> str:
    """One Bot API step of /moved or its undo, as the report says it."""
    _ = partial(gettext, language)
    if step.status is StepStatus.DONE:
        return _("  ✅ {what}: done").format(what=what)
    if step.status is StepStatus.ALREADY:
        return _("  ✅ {what}: already so").format(what=what)
    if step.status is StepStatus.MISSING_RIGHT:
        return _("  ❌ {what}: {reason}").format(what=what, reason=missing_right(language))
    if step.status is StepStatus.TOO_LONG:
        return _("  ❌ {what}: too long for Telegram ({detail})").format(what=what, detail=step.description)
    if step.status is StepStatus.REFUSED:
        return _("  ❌ {what}: {reason}").format(
            what=what, reason=explain_telegram_error(step.description or "", language)
        )
    return _("  ❌ {what}: not tried").format(what=what)


def _set_lines(report: MovedSet, language: str) -> list[str]:
    _ = partial(gettext, language)
    n = partial(format_number, language=language)
    lines = [
        _("  ✅ original title and description saved")
        if report.saved
        else _("  ℹ️ already in the moved state: the originals saved before are kept")
    ]
    if report.title_step.status is StepStatus.SKIPPED:
        lines.append(
            _("  ❌ title: too long for Telegram ({length}/128 characters); left as it is").format(
                length=n(len(report.title.title))
            )
        )
    else:
        lines.append(step_line(_("title"), report.title_step, language))
    description = report.description
    if report.description_step.status is StepStatus.SKIPPED:
        lines.append(_("  ❌ description: too long for Telegram (255 characters) even with one link"))
    else:
        line = step_line(_("description"), report.description_step, language)
        if report.description_step.ok and not description.complete:
            line += _(" (only {links} of {services} links fit in 255 characters)").format(
                links=n(description.links), services=n(description.services)
            )
        lines.append(line)
    if report.announcement is None:
        lines.append(_("  ❌ pin: no announcement posted yet (/announce)"))
    else:
        what = _("pin the announcement (message {id})").format(id=_id(report.announcement, language))
        lines.append(step_line(what, report.pin_step, language))
    return lines


def _undo_lines(report: MovedUndone, language: str) -> list[str]:
    _ = partial(gettext, language)
    lines = []
    if report.title_step is not None:
        lines.append(step_line(_("title restored"), report.title_step, language))
    lines.append(step_line(_("description restored"), report.description_step, language))
    if report.unpin_step is not None:
        what = _("unpin message {id}").format(id=_id(report.unpinned or 0, language))
        lines.append(step_line(what, report.unpin_step, language))
    if not report.complete:
        lines.append(_("  ⚠️ not everything was restored; the originals stay saved: try /moved undo again"))
    return lines


def moved_report_lines(report: MovedReport, language: str = "en") -> list[str]:
    """One channel's part of the /moved (or /moved undo) report."""
    _ = partial(gettext, language)
    if isinstance(report, NotInConfig):
        lines = [_("❌ {key}: no longer in the config; nothing changed.").format(key=report.key)]
    else:
        head = f"{isolate(report.channel.label)}:"
        if isinstance(report, ChatUnreadable):
            reason = explain_telegram_error(report.description, language)
            lines = [head, _("  ❌ nothing changed: {reason}").format(reason=reason)]
        elif isinstance(report, NotMoved):
            lines = [head, _("  ℹ️ not in the moved state; nothing to restore")]
        elif isinstance(report, MovedSet):
            lines = [head, *_set_lines(report, language)]
        else:
            lines = [head, *_undo_lines(report, language)]
    return [paragraph(line, language) for line in lines]


def moved_report(reports: Sequence[MovedReport], language: str = "en") -> list[str]:
    """The lines of the /moved (or /moved undo) report, every channel's in turn."""
    return [line for report in reports for line in moved_report_lines(report, language)]
