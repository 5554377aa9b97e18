"""What Kooch shows, as plain data: texts and buttons, no Telegram I/O.

Handlers turn a :class:`Post` into a ``telegram.InlineKeyboardMarkup`` at the last moment; everything
here is a pure function of the config, so ``bot.py check``, ``/preview``, the posted announcement
and the config validator all render the very same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from kooch.config import Channel, Config, Service

#: Callback data of the "I've moved" button in an operator's preview: answered, never recorded.
PREVIEW_ACK_DATA = "preview:ack"


@dataclass(frozen=True)
class Button:
    text: str
    url: str | None = None
    callback_data: str | None = None


@dataclass(frozen=True)
class Post:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()


def _rows(buttons: list[Button], per_row: int) -> list[tuple[Button, ...]]:
    return [tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def service_link(service: Service) -> str:
    """The address a subscriber opens: the service's own URL."""
    return service.url


def _link_lines(config: Config, services: tuple[Service, ...], language: str) -> list[str]:
    lines = []
    for s in services:
        name = s.name(language, config.default_language)
        handle = f" ({s.handle})" if s.handle else ""
        lines.append(f"• {name}{handle}: {service_link(s)}")
    return lines


def render_announcement(config: Config, channel: Channel, *, preview: bool = False) -> Post:
    """The final announcement as it is posted to ``channel``.

    One URL button per enabled service (in the channel's order), ``buttons_per_row`` to a row, then
    the "I've moved" button alone on the last row. With ``links_in_text`` the links are also
    written out in the text, so they survive a copy-paste or a screenshot shared elsewhere.
    """
    lang = channel.language
    services = config.services_for(channel)
    text = channel.announcement or config.text(lang, "announcement")
    if channel.links_in_text and services:
        title = config.text(lang, "links_title")
        text = "\n".join([text.rstrip(), "", title, *_link_lines(config, services, lang)])
    link_buttons = [Button(s.name(lang, config.default_language), url=service_link(s)) for s in services]
    ack = Button(
        config.text(lang, "moved_button"),
        callback_data=PREVIEW_ACK_DATA if preview else channel.ack_data,
    )
    rows = _rows(link_buttons, channel.buttons_per_row)
    rows.append((ack,))
    return Post(text=text, buttons=tuple(rows))


def render_links(config: Config, language: str, header_key: str = "links_header") -> Post:
    """The links for a subscriber in a private chat (/start, /links): every enabled service."""
    services = config.services_for(None)
    lines = [config.text(language, header_key), "", *_link_lines(config, services, language)]
    buttons = [Button(s.name(language, config.default_language), url=service_link(s)) for s in services]
    return Post(text="\n".join(lines), buttons=tuple(_rows(buttons, 2)))


def describe_post(post: Post) -> str:
    """A post as plain text with its buttons, for ``bot.py check`` and logs."""
    lines = [post.text, ""]
    for row in post.buttons:
        cells = []
        for b in row:
            target = b.url if b.url is not None else f"callback {b.callback_data}"
            cells.append(f"[{b.text} → {target}]")
        lines.append(" ".join(cells))
    return "\n".join(lines)
