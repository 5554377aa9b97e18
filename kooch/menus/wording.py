"""The words of the menus, the descriptions, the subscriber /help and the answer to a typo, per
language, and the whole :class:`~kooch.menus.model.Profile` a config asks Telegram to show.

Plain functions of plain data; the words come from the catalogs. Right-to-left texts pass
:mod:`kooch.i18n.bidi`: commands and handles are left-to-right islands, names from the config
isolates, and every line is set in the language's direction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache, partial

from kooch.config import Config
from kooch.config.texts import DEFAULT_TEXTS
from kooch.i18n import SUPPORTED, gettext, ngettext
from kooch.i18n.bidi import isolate, ltr, paragraph, strip_controls
from kooch.menus.model import (
    Audience,
    Menu,
    Profile,
    checked_menu,
    commands_of,
    fitted,
)
from kooch.operators.welcome import channel_names
from kooch.telegram.profile import MAX_DESCRIPTION, MAX_SHORT_DESCRIPTION, Commands

#: The languages each menu and description is set in; "" is every other language.
MENU_LANGUAGES: tuple[str, ...] = SUPPORTED


def command_descriptions(language: str) -> dict[str, str]:
    """What each command does, as its menu shows it, in ``language``."""
    _ = partial(gettext, language)
    return {
        "preview": _("preview the announcement, exactly as it will be posted"),
        "announce": _("post the announcement (asks to confirm first)"),
        "stats": _("statistics: moves, starts and members per channel"),
        "status": _("each posted announcement, and whether it matches the config"),
        "schedule": _("scheduled announcements: list and cancel them"),
        "remind": _("remind the subscribers who have not moved yet"),
        "campaigns": _("reminder campaigns: progress, and cancel them"),
        "moved": _("mark the channel as moved: title, description, pin"),
        "reload": _("read config.yaml again now"),
        "export": _("export the moves as CSV (pseudonymised)"),
        "audit": _("the last operator actions"),
        "start": _("the new addresses of the channel"),
        "links": _("the links to the new messengers"),
        "help": _("help: what this bot does and its commands"),
        "privacy": _("what the bot keeps about you"),
        "forget": _("delete everything the bot keeps about you"),
    }


def menu(audience: Audience, language: str) -> Commands:
    """The "/" menu of ``audience`` in ``language``, checked against Telegram's limits."""
    words = command_descriptions(language)
    return checked_menu(tuple((name, words[name]) for name in commands_of(audience)))


@cache
def meanings() -> Mapping[str, tuple[str, ...]]:
    """Each command's descriptions in every language: what a typo in another script is matched to."""
    found: dict[str, tuple[str, ...]] = {}
    for language in SUPPORTED:
        for name, text in command_descriptions(language).items():
            found[name] = (*found.get(name, ()), text)
    return found


def _services(config: Config, language: str) -> str:
    comma = gettext(language, ", ")
    return comma.join(isolate(s.name(language, config.default_language)) for s in config.services_for(None))


def description(config: Config, language: str) -> str:
    """What the empty chat shows before START (at most 512 characters): the channels that moved,
    where to, and what pressing START does."""
    _ = partial(gettext, language)
    n = len(config.channels)
    moved = ngettext(
        language, "{channels} has moved off Telegram.", "{channels} have moved off Telegram.", n
    ).format(channels=channel_names(config, language))
    where = _("New addresses: {services}.").format(services=_services(config, language))
    start = _("Press START for the links to the new messengers.")
    kept = _("It keeps only what counting the move needs; {forget} deletes it.").format(forget=ltr("/forget"))
    texts = [
        f"{moved}\n{where}\n\n{start}\n\n{kept}",
        f"{moved}\n\n{start}\n\n{kept}",
        f"{start}\n\n{kept}",
    ]
    return fitted((paragraph(t, language) for t in texts), MAX_DESCRIPTION)


def short_description(config: Config, language: str) -> str:
    """The profile page's line, and the preview of a shared link to the bot (at most 120)."""
    _ = partial(gettext, language)
    texts = [
        _("The new addresses of {channels}: {services}").format(
            channels=channel_names(config, language), services=_services(config, language)
        ),
        _("The new addresses of {channels}").format(channels=channel_names(config, language)),
        _("The channel's new addresses, after Telegram"),
    ]
    return fitted((paragraph(t, language) for t in texts), MAX_SHORT_DESCRIPTION)


def profile(config: Config) -> Profile:
    """Every menu and description ``config`` asks for.

    Subscribers: the default scope, in each language, and for every other language the config's
    default language. Operators: a menu in their own private chat (it comes before the default
    one); an operator whose language the config chooses gets that one whatever their app speaks
    (one menu without a language, and none per language), the others their app's language, else
    English, as their replies.
    """
    menus = [Menu(None, language, menu("subscriber", language)) for language in MENU_LANGUAGES]
    menus.append(Menu(None, "", menu("subscriber", config.default_language)))
    for operator in sorted(config.operators):
        chosen = config.operator_languages.get(operator)
        for language in MENU_LANGUAGES:
            menus.append(Menu(operator, language, () if chosen else menu("operator", language)))
        menus.append(Menu(operator, "", menu("operator", chosen or config.operator_language(operator))))
    languages = [*MENU_LANGUAGES, ""]
    return Profile(
        menus=tuple(menus),
        descriptions={lang: description(config, lang or config.default_language) for lang in languages},
        short_descriptions={
            lang: short_description(config, lang or config.default_language) for lang in languages
        },
    )


def operator_menus(config: Config, operator: int) -> tuple[Menu, ...]:
    """The menus of one operator's private chat (what their first /start makes sure of)."""
    return tuple(m for m in profile(config).menus if m.chat_id == operator)


# --------------------------------------------------------------------------------------------
# Replies


def _shown(typed: str) -> str:
    """What the person typed, as it is quoted back: no controls, not too long."""
    word = strip_controls(typed)
    return word if len(word) <= 32 else word[:31] + "…"


def unknown_command(typed: str, suggestion: str | None, language: str) -> str:
    """The answer to ``/typed``, a command Kooch does not know: the nearest one the reader may use,
    else where the list is."""
    _ = partial(gettext, language)
    head = _("There is no {command} command.").format(command=isolate("/" + _shown(typed)))
    if suggestion is not None:
        lines = [head, _("Did you mean {command}?").format(command=ltr("/" + suggestion))]
    else:
        lines = [head]
    lines.append(_("Send {help} for the commands you can use.").format(help=ltr("/help")))
    return paragraph("\n".join(lines), language)


def subscriber_help(config: Config, language: str) -> str:
    """The subscriber /help: a heading, the subscriber's commands, what is kept and /forget.

    An admin's own ``texts.<lang>.subscriber_help`` (when it differs from the built-in one) takes
    the place of the command list.
    """
    _ = partial(gettext, language)
    heading = _("ℹ️ Kooch: the new addresses of {channels}").format(channels=channel_names(config, language))
    own = config.text(language, "subscriber_help")
    builtin = DEFAULT_TEXTS.get(language, {}).get("subscriber_help")
    # config.text() sets the text for its reader (direction controls): compare the words.
    if builtin is not None and strip_controls(own) != builtin:
        body: Sequence[str] = [own]
    else:
        words = command_descriptions(language)
        dash = "—"
        body = [f"{ltr('/' + name)} {dash} {words[name]}" for name in commands_of("subscriber")]
    kept = _(
        "What the bot keeps: your Telegram id, first name and language, and when you started it or "
        "tapped \"I've moved\". Only the channel's operators see the figures."
    )
    forget = _("Send {forget} to delete all of it; {privacy} tells more.").format(
        forget=ltr("/forget"), privacy=ltr("/privacy")
    )
    return paragraph("\n".join([heading, "", *body, "", kept, forget]), language)
