"""A config error in its reader's words: the key, the line, and what is wrong, in Persian for a
Persian operator.

:class:`~kooch.config.model.ConfigError` keeps the English sentence (the command line and the
log show it) and the same problem as data (a code and its values); a notice sent to an operator
says the code in the operator's language. A problem that has no code yet is shown in English,
as it is, rather than not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from kooch.config.model import ConfigError, escape_controls
from kooch.i18n import format_number, gettext, ltr, paragraph, pgettext


def kind_words(kind: str, language: str) -> str:
    """What was given instead of the right kind of value: ``a list``, «یک فهرست»."""
    words = {
        "empty": pgettext(language, "config value", "empty"),
        "bool": pgettext(language, "config value", "true/false"),
        "number": pgettext(language, "config value", "a number"),
        "text": pgettext(language, "config value", "a text"),
        "list": pgettext(language, "config value", "a list"),
        "mapping": pgettext(language, "config value", "a mapping"),
    }
    return words.get(kind, pgettext(language, "config value", "something else"))


def syntax_words(kind: str, language: str) -> str:
    """A YAML syntax mistake (:data:`kooch.config.yaml_positions.SYNTAX_WORDS`) in ``language``."""
    _ = partial(gettext, language)
    words = {
        "missing_colon": _("a key without “:” after it"),
        "unclosed_quote": _("a quote that is opened and never closed"),
        "unclosed_bracket": _("an opening bracket {brackets} that is never closed").format(
            brackets=ltr("[ {")
        ),
        "indentation": _("this line is not indented like the lines above it"),
        "colon_in_value": _("a “: ” inside a value (put the value in quotes) or a key indented too far"),
        "tab": _("a tab character: YAML is indented with spaces only"),
        "reserved_start": _("a value that starts with “@” or “`” (put the value in quotes)"),
        "undefined_alias": _("an alias (*name) without its anchor (&name)"),
    }
    return words.get(kind, _("this is not valid YAML"))


def problem_words(error: ConfigError, language: str) -> str:
    """What is wrong, in ``language``; the English message for a problem without a code."""
    said = _fixed_problem(error.code, language)
    if said is None:
        said = _kind_problem(error.code, dict(error.values), language)
    if said is None:
        said = _value_problem(error.code, dict(error.values), language)
    return said if said is not None else ltr(escape_controls(error.message))


def _fixed_problem(code: str | None, language: str) -> str | None:
    """The problems said in words of their own, without a value."""
    _ = partial(gettext, language)
    words = {
        "required": _("is required"),
        "duplicate": _("is given twice; keep only one"),
        "complex_key": _("keys must be plain words"),
        "empty_file": _("the file is empty"),
        "not_found": _("file not found"),
        "operators_list": _("must be a list of the Telegram user ids allowed to run operator commands"),
        "services_list": _("must be a non-empty list of alternative services"),
        "approval_alone": _("2 needs at least two operators: a second one approves what the first asks"),
    }
    return words.get(code or "")


def _kind_problem(code: str | None, v: dict[str, str], language: str) -> str | None:
    """The problems of a value's kind or shape: a mapping, a text, a number, a key, a link."""
    _ = partial(gettext, language)

    def value(key: str) -> str:
        return ltr(escape_controls(v.get(key, "")))

    if code == "not_mapping":
        return _("must be a mapping of keys, not {kind}").format(kind=kind_words(v.get("kind", ""), language))
    if code == "not_text":
        return _("must be a non-empty text, not {kind}").format(kind=kind_words(v.get("kind", ""), language))
    if code == "not_bool":
        return _("must be {true} or {false}, not {kind}").format(
            true=ltr("true"), false=ltr("false"), kind=kind_words(v.get("kind", ""), language)
        )
    if code == "yaml_syntax":
        return _("YAML syntax error: {mistake}").format(mistake=syntax_words(v.get("kind", ""), language))
    if code == "not_in_range":
        return _("must be a number from {minimum} to {maximum}, not {value}").format(
            minimum=_number(v.get("minimum", ""), language),
            maximum=_number(v.get("maximum", ""), language),
            value=value("value"),
        )
    if code == "unknown_key":
        allowed = _(", ").join(ltr(k) for k in v.get("allowed", "").split(", ") if k)
        if v.get("hint"):
            return _("unknown key (did you mean {hint}?); allowed here: {allowed}").format(
                hint=value("hint"), allowed=allowed
            )
        return _("unknown key; allowed here: {allowed}").format(allowed=allowed)
    if code == "url_scheme":
        return _(
            "{value} must start with {http}, {https} or {tg} (Telegram refuses other links in buttons)"
        ).format(value=value("value"), http=ltr("http://"), https=ltr("https://"), tg=ltr("tg://"))
    if code == "url_no_host":
        return _("{value} has no host after {scheme}; Telegram refuses such a button").format(
            value=value("value"), scheme=value("scheme")
        )
    return None


def _value_problem(code: str | None, v: dict[str, str], language: str) -> str | None:
    """The problems of a value itself: a username, a zone, an id, a language, the approval."""
    _ = partial(gettext, language)

    def value(key: str) -> str:
        return ltr(escape_controls(v.get(key, "")))

    if code == "spaces":
        return _("{value} must not contain spaces").format(value=value("value"))
    if code == "controls":
        return _("{value} must not contain control characters (a line break, a tab)").format(
            value=value("value")
        )
    if code == "no_texts":
        return _("{value} has no texts; known: {known}").format(
            value=value("value"), known=_(", ").join(ltr(k) for k in v.get("known", "").split(", ") if k)
        )
    if code == "chat_required":
        return _("is required: the channel's {username} or its numeric id ({example})").format(
            username=ltr("@username"), example=ltr("-100…")
        )
    if code == "not_username":
        return _("{value} is not a valid {username} (5 to 32 letters, digits or _)").format(
            value=value("value"), username=ltr("@username")
        )
    if code == "unknown_zone":
        return _("{value} is not a known time zone (such as {tehran} or {utc})").format(
            value=value("value"), tehran=ltr("Asia/Tehran"), utc=ltr("UTC")
        )
    if code == "not_user_id":
        return _("must be a positive numeric user id, not {value}").format(value=value("value"))
    if code == "listed_twice":
        return _("{value} is listed twice").format(value=value("value"))
    if code == "channels_list":
        return _("must be a non-empty list of channels (each with at least {chat})").format(chat=ltr("chat:"))
    if code == "approval":
        return _("must be 1 or 2 (operators who must agree), not {value}").format(value=value("value"))
    return None


def _number(text: str, language: str) -> str:
    try:
        number = float(text)
    except ValueError:
        return ltr(text)
    decimals = len(text.partition(".")[2])
    return format_number(number, language, decimals)


def error_line(error: ConfigError, language: str) -> str:
    """``• services[0].url: … (line 12)`` in ``language``, set in its direction."""
    problem = problem_words(error, language)
    text = f"{ltr(error.path)}: {problem}" if error.path else problem
    if error.line is not None:
        text += " " + gettext(language, "(line {line})").format(line=format_number(error.line, language))
    return paragraph(f"• {text}", language)


def error_lines(errors: Sequence[ConfigError], language: str) -> str:
    """Every error of a rejected config, one line each, in ``language``."""
    return "\n".join(error_line(e, language) for e in errors)
