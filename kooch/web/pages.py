"""The HTML Kooch serves: the "we moved" landing page and the not-found page. Pure functions.

Every value from the config goes through :func:`html.escape` (texts, names, handles, URLs), so an
admin's ``<`` or ``"`` can never become markup. The page is self-contained: one inline style and
one inline script (for the copy buttons only), allowed by their hashes in the
Content-Security-Policy (:data:`CSP`), QR codes as ``data:`` SVG images, system fonts. Nothing is
loaded from another host, and the page works without JavaScript (the copy buttons stay hidden).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

import segno
from babel import Locale

from kooch.i18n import direction as text_direction_of
from kooch.i18n import pgettext

#: The languages a page is offered in (``?lang=``); each page links to all the others.
PAGE_LANGUAGES = ("fa", "en", "ar")


def language_name(language: str) -> str:
    """A language's name in its own words (CLDR): "English", "فارسی", "العربية"."""
    return str(Locale.parse(language).get_display_name(language))


def page_texts(language: str) -> dict[str, str]:
    """The page's own words in ``language``, from the catalogs (English where one lacks them)."""
    return {
        "title": pgettext(language, "page", "We have moved"),
        "lead": pgettext(language, "page", "This channel has left Telegram. Find us on these messengers:"),
        "lead_many": pgettext(
            language, "page", "Our channels have left Telegram. Find us on these messengers:"
        ),
        "languages": pgettext(language, "page", "Languages"),
        "open": pgettext(language, "page", "Open in {name}"),
        "copy": pgettext(language, "page", "Copy"),
        "copied": pgettext(language, "page", "Copied"),
        "handle": pgettext(language, "page", "Handle"),
        "scan": pgettext(language, "page", "Scan with your phone"),
        "qr_alt": pgettext(language, "page", "QR code for {name}"),
        "not_found": pgettext(language, "page", "There is no such page"),
        "not_found_lead": pgettext(language, "page", "These are the real links:"),
        "channels": pgettext(language, "page", "Channels"),
    }


#: The page's own words, per language; a page in another language uses English words.
PAGE_TEXTS: dict[str, dict[str, str]] = {language: page_texts(language) for language in PAGE_LANGUAGES}


STYLE = """
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1d1f23;line-height:1.6;
font-family:system-ui,-apple-system,"Segoe UI",Tahoma,"DejaVu Sans","Noto Sans Arabic",sans-serif}
main{max-width:42rem;margin:0 auto;padding:1rem}
header{padding:1rem 0}
h1{font-size:1.6rem;margin:.2rem 0}
.lead{margin:.2rem 0 1rem}
nav.lang ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;font-size:.95rem}
ul.services{list-style:none;margin:0;padding:0}
li.service{background:#fff;border-radius:.8rem;padding:1rem;margin:0 0 1rem;box-shadow:0 1px 3px #0002;
display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between}
.info{flex:1 1 14rem;min-width:0}
h2{font-size:1.25rem;margin:0 0 .5rem}
a.go{display:inline-block;background:#1565c0;color:#fff;text-decoration:none;padding:.7rem 1.2rem;
border-radius:.5rem;font-weight:bold;font-size:1.05rem}
a.go:focus,a.go:hover{background:#0d47a1}
.handle{margin:.6rem 0 0;display:flex;gap:.5rem;align-items:center;flex-wrap:wrap}
.handle code{direction:ltr;unicode-bidi:embed;background:#eef1f5;padding:.15rem .4rem;border-radius:.3rem;
user-select:all}
button.copy{font:inherit;font-size:.9rem;padding:.2rem .7rem;border:1px solid #9aa4b2;border-radius:.4rem;
background:#fff;cursor:pointer}
figure{margin:0;text-align:center}
figure img{width:8.5rem;height:8.5rem;image-rendering:pixelated;background:#fff}
figcaption{font-size:.8rem;color:#555}
ul.channels{padding-inline-start:1.2rem}
footer{font-size:.8rem;color:#666;padding:1rem 0}
@media (max-width:40rem),(hover:none) and (pointer:coarse){figure.qr{display:none}}
""".strip()

SCRIPT = """
document.querySelectorAll("button.copy").forEach(function (b) {
  b.hidden = false;
  b.addEventListener("click", function () {
    var text = b.getAttribute("data-copy"), done = function () {
      var label = b.textContent; b.textContent = b.getAttribute("data-done");
      setTimeout(function () { b.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
    } else {
      var t = document.createElement("textarea"); t.value = text; document.body.appendChild(t);
      t.select(); document.execCommand("copy"); t.remove(); done();
    }
  });
});
""".strip()


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


#: Nothing but this page's own style and script, and data: images; no frames, forms or base.
CSP = (
    "default-src 'none'; "
    f"style-src {_csp_hash(STYLE)}; "
    f"script-src {_csp_hash(SCRIPT)}; "
    "img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class ServiceEntry:
    """One service as the page shows it."""

    name: str
    #: The redirect link on this server (a path, relative to the page).
    href: str
    #: What the QR code encodes: an absolute URL (a phone scanning it knows no page to be relative to).
    qr_target: str
    handle: str | None = None


@dataclass(frozen=True)
class ChannelEntry:
    label: str
    href: str


def page_language(requested: str | None, default: str) -> str:
    """``?lang=`` when the page speaks it, else ``default`` when it does, else English."""
    if requested and requested in PAGE_TEXTS:
        return requested
    return default if default in PAGE_TEXTS else "en"


def direction(language: str) -> str:
    """The page's ``dir``: from CLDR (:func:`kooch.i18n.direction`), not a list kept here."""
    return text_direction_of(language)


def qr_data_uri(target: str) -> str:
    """A QR code of ``target`` as a ``data:image/svg+xml`` URI, drawn on the server."""
    qr = segno.make(target, error="m", micro=False)
    return str(qr.svg_data_uri(scale=4, border=2, dark="#000", light="#fff"))


def landing_page(
    language: str,
    services: list[ServiceEntry],
    *,
    heading: str | None = None,
    channels: list[ChannelEntry] | None = None,
    path: str | None = None,
    draw_qr: Callable[[str], str] = qr_data_uri,
) -> str:
    """The "we moved" page: each service with its button, handle, copy button and QR code
    (``draw_qr``: a target's QR code as an image URI, e.g. a cached one). ``channels`` (the root
    page of several channels) lists them and words the page for all of them; ``path`` (the
    page's own, e.g. ``/demo``) links the page in each of its other languages.

    The QR codes are for a second device: on the phone itself a visitor taps the button, so a
    narrow screen, or a touch screen that cannot hover, does not show them (the stylesheet)."""
    t = PAGE_TEXTS[language]
    items = [_service_item(t, s, draw_qr) for s in services]
    body = [
        "<header>",
        f"<h1>{escape(t['title'])}</h1>",
    ]
    if heading:
        body.append(f'<p class="channel"><bdi>{escape(heading)}</bdi></p>')
    body.append(f'<p class="lead">{escape(t["lead_many" if channels else "lead"])}</p>')
    if path is not None:
        body.append(_language_links(t, language, path))
    body += ["</header>", '<ul class="services">', *items, "</ul>"]
    if channels:
        body.append(_channel_list(t, channels))
    return _document(language, t["title"], "\n".join(body), index=True)


def not_found_page(language: str, services: list[ServiceEntry], channels: list[ChannelEntry]) -> str:
    """404: no such service or channel; the real links instead, so the visitor still gets there."""
    t = PAGE_TEXTS[language]
    body = [
        "<header>",
        f"<h1>{escape(t['not_found'])}</h1>",
        f'<p class="lead">{escape(t["not_found_lead"])}</p>',
        "</header>",
        '<ul class="services">',
        *(_service_item(t, s, None) for s in services),
        "</ul>",
    ]
    if channels:
        body.append(_channel_list(t, channels))
    return _document(language, t["not_found"], "\n".join(body), index=False)


def _language_links(t: dict[str, str], language: str, path: str) -> str:
    """The page in each other language it speaks, each named in its own words and script."""
    links = "".join(
        f'<li><a href="{escape(path)}?lang={other}" hreflang="{other}" lang="{other}"'
        f' dir="{direction(other)}">{escape(language_name(other))}</a></li>'
        for other in PAGE_LANGUAGES
        if other != language
    )
    return f'<nav class="lang" aria-label="{escape(t["languages"])}"><ul>{links}</ul></nav>'


def _service_item(t: dict[str, str], s: ServiceEntry, draw_qr: Callable[[str], str] | None) -> str:
    name = escape(s.name)
    parts = [
        '<li class="service">',
        '<div class="info">',
        f"<h2>{name}</h2>",
        f'<a class="go" href="{escape(s.href)}" rel="noopener">{escape(t["open"].format(name=s.name))}</a>',
    ]
    if s.handle:
        handle = escape(s.handle)
        parts.append(
            f'<p class="handle">{escape(t["handle"])}: <code>{handle}</code> '
            f'<button type="button" class="copy" hidden data-copy="{handle}"'
            f' data-done="{escape(t["copied"])}">{escape(t["copy"])}</button></p>'
        )
    parts.append("</div>")
    if draw_qr is not None:
        alt = escape(t["qr_alt"].format(name=s.name))
        parts.append(
            f'<figure class="qr"><img class="qr" src="{draw_qr(s.qr_target)}" alt="{alt}"'
            f' width="136" height="136"><figcaption>{escape(t["scan"])}</figcaption></figure>'
        )
    parts.append("</li>")
    return "\n".join(parts)


def _channel_list(t: dict[str, str], channels: list[ChannelEntry]) -> str:
    links = "".join(f'<li><a href="{escape(c.href)}"><bdi>{escape(c.label)}</bdi></a></li>' for c in channels)
    return f'<nav><h2>{escape(t["channels"])}</h2><ul class="channels">{links}</ul></nav>'


def _document(language: str, title: str, body: str, *, index: bool) -> str:
    # The landing pages may be found by search engines (people look for the channel's new home);
    # the error page may not.
    robots = "" if index else '<meta name="robots" content="noindex">\n'
    return (
        "<!doctype html>\n"
        f'<html lang="{escape(language)}" dir="{direction(language)}">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"{robots}"
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{escape(title)}</title>\n"
        f"<style>{STYLE}</style>\n"
        "</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )
