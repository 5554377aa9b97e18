"""Parsing and validation of Bot API request parameters.

python-telegram-bot sends every value as a string (ints as ``"123"``, bools as
``"true"``, objects JSON-encoded), curl users send JSON bodies or query strings. The
helpers here turn any of those into typed Python values and apply the same content
checks Telegram applies (text length, inline keyboard shape), with Telegram's own
error descriptions, so a bot that passes here will not be surprised in production.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, bad_request
from .models import JSONDict

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_BUTTONS_TOTAL = 100
MAX_BUTTONS_PER_ROW = 8
MAX_TITLE_LENGTH = 128
MAX_DESCRIPTION_LENGTH = 255

CHAT_ID_PARAMS = frozenset({"chat_id", "from_chat_id"})
INT_PARAMS = frozenset(
    {
        "message_id",
        "offset",
        "limit",
        "user_id",
        "cache_time",
        "reply_to_message_id",
        "message_thread_id",
        "max_connections",
    }
)
FLOAT_PARAMS = frozenset({"timeout"})
BOOL_PARAMS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "allow_paid_broadcast",
        "show_caption_above_media",
        "has_spoiler",
        "disable_content_type_detection",
        "only_if_banned",
        "for_channels",
    }
)
JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "allowed_updates",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
        "commands",
        "scope",
        "message_ids",
        "rights",
    }
)

#: The one field an inline keyboard button must carry besides ``text``.
BUTTON_ACTION_FIELDS = frozenset(
    {
        "url",
        "callback_data",
        "login_url",
        "web_app",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)

#: Characters a copy_text button copies (CopyTextButton.text).
MAX_COPY_TEXT = 256
#: The colours of an inline button (Bot API 9.4).
BUTTON_STYLES = frozenset({"success", "primary", "danger"})

_HTML_TAG = re.compile(r"<[^>]*>")
_MD_ESCAPE = re.compile(r"\\(.)")


@dataclass(slots=True)
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


def _bad_param(name: str) -> ApiError:
    return bad_request(f"invalid {name} specified")


def coerce_chat_id(value: Any, name: str = "chat_id") -> int | str:
    """``"123"``/``123`` → int; ``"@name"`` → ``"@name"``; anything else is an error."""
    if isinstance(value, bool):
        raise _bad_param(name)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        if text.startswith("@") and len(text) > 1:
            return text
    raise bad_request("chat not found")


def coerce_int(value: Any, name: str) -> int:
    """Accept ints and their string forms (PTB sends ``"123"``)."""
    if isinstance(value, bool):
        raise _bad_param(name)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise _bad_param(name)


def coerce_float(value: Any, name: str) -> float:
    """Accept numbers and their string forms (timeouts may be fractional)."""
    if isinstance(value, bool):
        raise _bad_param(name)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise _bad_param(name)


def coerce_bool(value: Any, name: str) -> bool:
    """``"true"``/``"false"``/``"1"``/``"0"`` and real bools."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no", ""):
            return False
    raise _bad_param(name)


def coerce_json(value: Any, name: str) -> Any:
    """Decode a JSON-encoded object/array; already-decoded values pass through."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError as exc:
        if name == "reply_markup":
            raise bad_request("can't parse reply keyboard markup JSON object") from exc
        if name in ("entities", "caption_entities"):
            raise bad_request("can't parse entities JSON object") from exc
        raise bad_request(f"can't parse {name} JSON object") from exc


def coerce_params(raw: dict[str, Any]) -> JSONDict:
    """Coerce every known parameter to its Bot API type; unknown ones pass through."""
    out: JSONDict = {}
    for name, value in raw.items():
        if isinstance(value, Upload):
            out[name] = value
        elif name in CHAT_ID_PARAMS:
            out[name] = coerce_chat_id(value, name)
        elif name in INT_PARAMS:
            out[name] = coerce_int(value, name)
        elif name in FLOAT_PARAMS:
            out[name] = coerce_float(value, name)
        elif name in BOOL_PARAMS:
            out[name] = coerce_bool(value, name)
        elif name in JSON_PARAMS:
            out[name] = coerce_json(value, name)
        else:
            out[name] = value
    return out


def visible_length(text: str, parse_mode: str | None) -> int:
    """Approximate length after Telegram strips markup, so limits are not hit by tags.

    HTML tags are removed and entities unescaped; MarkdownV2 escapes are collapsed.
    Legacy Markdown and formatting characters are counted as-is (over-estimates).
    """
    mode = (parse_mode or "").lower()
    if mode == "html":
        return len(html.unescape(_HTML_TAG.sub("", text)))
    if mode == "markdownv2":
        return len(_MD_ESCAPE.sub(r"\1", text))
    return len(text)


def validate_text(text: Any, parse_mode: str | None) -> str:
    """Check a message text like Telegram: required, non-blank, ≤ 4096 characters."""
    if not isinstance(text, str) or not text.strip():
        raise bad_request("message text is empty")
    if visible_length(text, parse_mode) > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")
    return text


def validate_caption(caption: Any, parse_mode: str | None) -> str | None:
    """Check an optional media caption (≤ 1024 characters)."""
    if caption is None:
        return None
    if not isinstance(caption, str):
        raise bad_request("can't parse caption")
    if visible_length(caption, parse_mode) > MAX_CAPTION_LENGTH:
        raise bad_request("message caption is too long")
    return caption


def validate_entities(entities: Any) -> list[JSONDict] | None:
    """Entities must be a JSON array of objects; they are stored as sent."""
    if entities is None:
        return None
    if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
        raise bad_request("can't parse entities JSON object")
    return entities


def _validate_url(url: Any) -> None:
    if not isinstance(url, str):
        raise bad_request("BUTTON_URL_INVALID")
    lowered = url.lower()
    for scheme in ("http://", "https://", "tg://"):
        if lowered.startswith(scheme) and len(url) > len(scheme):
            return
    raise bad_request("BUTTON_URL_INVALID")


def _validate_button(button: Any, styles: bool = True) -> None:
    if not isinstance(button, dict):
        raise bad_request("can't parse inline keyboard button: object expected")
    text = button.get("text")
    if not isinstance(text, str) or not text:
        raise bad_request("can't parse inline keyboard button: Text must be non-empty")
    actions = BUTTON_ACTION_FIELDS.intersection(button)
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request(
            "can't parse inline keyboard button: exactly one of the optional fields must be used"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not data:
            raise bad_request("BUTTON_DATA_INVALID")
        if len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        _validate_url(button["url"])
    if "copy_text" in button:
        copied = button["copy_text"]
        text = copied.get("text") if isinstance(copied, dict) else None
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_COPY_TEXT:
            raise bad_request("can't parse inline keyboard button: copy_text must be 1-256 characters")
    if "style" in button and not styles:
        # A Bot API server older than 9.4 (or a clone of it) knows no coloured buttons.
        raise bad_request('can\'t parse inline keyboard button: unknown field "style"')
    if "style" in button and button["style"] not in BUTTON_STYLES:
        raise bad_request("BUTTON_STYLE_INVALID")


def validate_reply_markup(markup: Any, *, inline_only: bool = False, styles: bool = True) -> JSONDict | None:
    """Validate a reply markup; inline keyboards get Telegram's full set of checks.

    ``inline_only`` is for edits and channel posts, where reply keyboards are invalid;
    ``styles=False`` refuses coloured buttons as a Bot API server before 9.4 does.
    """
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        if inline_only:
            raise bad_request("inline keyboard expected")
        known = ("keyboard", "remove_keyboard", "force_reply")
        if not any(key in markup for key in known):
            raise bad_request("can't parse reply keyboard markup JSON object")
        return markup
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "inline_keyboard" must be of type Array'
        )
    total = 0
    for row in rows:
        if len(row) > MAX_BUTTONS_PER_ROW:
            raise bad_request("reply markup is too long")
        total += len(row)
        if total > MAX_BUTTONS_TOTAL:
            raise bad_request("reply markup is too long")
        for button in row:
            _validate_button(button, styles)
    return markup


def command_entity(text: str) -> JSONDict | None:
    """The ``bot_command`` entity Telegram attaches to a message starting with ``/``.

    Offsets and lengths are in UTF-16 code units, as in the real API.
    """
    if not text.startswith("/") or len(text) < 2:
        return None
    command = text.split(maxsplit=1)[0]
    length = len(command.encode("utf-16-le")) // 2
    return {"type": "bot_command", "offset": 0, "length": length}
