"""What Kooch shows, as plain data: texts and buttons, no Telegram I/O.

A :class:`~kooch.telegram.post.Post` becomes a Telegram keyboard only where it is sent; everything
here is a pure function of the config, so ``bot.py check``, ``/preview``, the posted announcement
and the config validator all render the very same thing.
"""

from __future__ import annotations

from kooch.announce.links import redirect_url
from kooch.config import Channel, Config, Service
from kooch.i18n import isolate, ltr, paragraph, strip_controls
from kooch.i18n.formats import format_count
from kooch.telegram.post import Button, Post

#: Callback data of the "I've moved" button in an operator's preview: answered, never recorded.
PREVIEW_ACK_DATA = "preview:ack"


def _rows(buttons: list[Button], per_row: int) -> list[tuple[Button, ...]]:
    return [tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def service_link(service: Service) -> str:
    """The address a subscriber opens: the service's own URL."""
    return service.url


def button_link(config: Config, service: Service, channel_key: str | None, source: str) -> str:
    """A service button's URL: Kooch's counting redirect link when ``web.public_url`` is set
    (``<public_url>/go/<service>?c=<channel>&s=<source>``), else the service's own URL.

    Links written out in the text stay the services' own: they outlive Kooch's server and read
    well in a screenshot shared elsewhere.
    """
    if config.web is None or not config.web.public_url:
        return service_link(service)
    return redirect_url(config.web.public_url, service.key, channel_key, source)


def _link_lines(config: Config, services: tuple[Service, ...], language: str) -> list[str]:
    """``• سروش (@kooch_demo): https://splus.ir/kooch_demo``, one line per service, with the name
    isolated (a Latin name in a Persian line, or the reverse) and the handle and URL as
    left-to-right islands: bare, a Persian line draws them as ``:(kooch_demo@(``."""
    lines = []
    for s in services:
        name = isolate(s.name(language, config.default_language))
        handle = f" ({ltr(s.handle)})" if s.handle else ""
        lines.append(f"• {name}{handle}: {ltr(service_link(s))}")
    return lines


def render_announcement(
    config: Config, channel: Channel, *, preview: bool = False, count: int | None = None
) -> Post:
    """The final announcement as it is posted to ``channel``.

    One URL button per enabled service (in the channel's order), ``buttons_per_row`` to a row, then
    the "I've moved" button alone on the last row. With ``links_in_text`` the links are also
    written out in the text, so they survive a copy-paste or a screenshot shared elsewhere.
    ``count`` (the live counter, for channels with ``counter: true``) is appended to the moved
    button's label once anyone has tapped it.
    """
    lang = channel.language
    services = config.services_for(channel)
    text = channel.announcement or config.text(lang, "announcement")
    if channel.links_in_text and services:
        title = config.text(lang, "links_title")
        text = "\n".join([text.rstrip(), "", title, *_link_lines(config, services, lang)])
    text = paragraph(text, lang)  # the channel's own announcement, too, is set for its readers
    source = "preview" if preview else "post"
    link_buttons = [
        Button(s.name(lang, config.default_language), url=button_link(config, s, channel.key, source))
        for s in services
    ]
    ack = Button(
        moved_label(config.text(lang, "moved_button"), count if channel.counter else None, lang),
        callback_data=PREVIEW_ACK_DATA if preview else channel.ack_data,
    )
    rows = _rows(link_buttons, channel.buttons_per_row)
    rows.append((ack,))
    return Post(text=text, buttons=tuple(rows))


def moved_label(label: str, count: int | None, language: str) -> str:
    """The moved button's label with the running count (``✅ I've moved · 1,234``).

    No count (counter off) or nobody yet (0): the plain label, rather than a discouraging zero.
    """
    if not count:
        return label
    return f"{label} · {format_count(count, language)}"


def render_links(
    config: Config, language: str, header_key: str = "links_header", *, header: str | None = None
) -> Post:
    """The links for a subscriber in a private chat (/start, /links): every enabled service.
    ``header`` (words of the caller's) takes the place of the text ``header_key``."""
    services = config.services_for(None)
    top = header if header is not None else config.text(language, header_key)
    lines = [top, "", *_link_lines(config, services, language)]
    buttons = [
        Button(s.name(language, config.default_language), url=button_link(config, s, None, "bot"))
        for s in services
    ]
    return Post(text=paragraph("\n".join(lines), language), buttons=tuple(_rows(buttons, 2)))


def render_channel_links(config: Config, channel: Channel, language: str, header: str, footer: str) -> Post:
    """One channel's links in a private chat (the deep link ``/start <channel>``), in the reader's
    ``language``: that channel's services, and its "I've moved" button with the very callback data
    of the channel post, so a tap here counts for that channel."""
    services = config.services_for(channel)
    lines = [header, "", *_link_lines(config, services, language), "", footer]
    link_buttons = [
        Button(s.name(language, config.default_language), url=button_link(config, s, channel.key, "bot"))
        for s in services
    ]
    rows = _rows(link_buttons, 2)
    rows.append((Button(config.text(language, "moved_button"), callback_data=channel.ack_data),))
    return Post(text=paragraph("\n".join(lines), language), buttons=tuple(rows))


def describe_post(post: Post) -> str:
    """A post as plain text with its buttons, for ``bot.py check`` and logs."""
    lines = [post.text, ""]
    for row in post.buttons:
        cells = []
        for b in row:
            target = b.url if b.url is not None else f"callback {b.callback_data}"
            cells.append(f"[{b.text} → {target}]")
        lines.append(" ".join(cells))
    # A terminal or a log file lays nothing out: the direction controls would only be noise there.
    return strip_controls("\n".join(lines))
