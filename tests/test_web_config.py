"""The ``web:`` section of config.yaml: defaults, and every mistake named with its key path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kooch.announce.render import render_announcement, render_links
from kooch.config import ConfigInvalid, WebConfig, parse_config
from tests.kit import SOROUSH_URL, base_config


def parse(tmp_path: Path, web: Any, environ: dict[str, str] | None = None, **changes: Any) -> Any:
    """``web:`` parsed as by a process whose environment is ``environ`` (default: empty)."""
    config = base_config(tmp_path)
    config["web"] = web
    config.update(changes)
    return parse_config(yaml.safe_dump(config, allow_unicode=True), "config.yaml", environ=environ or {})


def test_defaults(tmp_path: Path) -> None:
    assert parse(tmp_path, None).web == WebConfig("127.0.0.1", 8080)
    assert parse_config(yaml.safe_dump(base_config(tmp_path))).web is None


def test_a_full_section(tmp_path: Path) -> None:
    web = {"listen": "[::1]:9000", "public_url": "https://k.example/", "webhook": True, "max_connections": 5}
    assert parse(tmp_path, web).web == WebConfig("::1", 9000, "https://k.example", True, 5)
    details = parse(tmp_path, {"access_log_details": True}).web
    assert details is not None and details.access_log_details is True


@pytest.mark.parametrize(
    ("web", "path", "words"),
    [
        ({"listen": "8080"}, "web.listen", "must be host:port"),
        ({"listen": "0.0.0.0:99999"}, "web.listen", "must be host:port"),
        ({"public_url": "http://k.example"}, "web.public_url", "calls webhooks only over https"),
        ({"public_url": "ftp://k.example"}, "web.public_url", "must be the https:// address"),
        ({"public_url": "https://k.example/?a=1"}, "web.public_url", "must be the https:// address"),
        ({"webhook": True}, "web.webhook", "needs web.public_url"),
        ({"webhook": "yes"}, "web.webhook", "must be true or false"),
        ({"max_connections": 0}, "web.max_connections", "from 1 to 100"),
        ({"max_connections": 101}, "web.max_connections", "from 1 to 100"),
        ({"lsten": "127.0.0.1:1"}, "web.lsten", "did you mean 'listen'"),
        ({"access_log_details": "ips"}, "web.access_log_details", "must be true or false"),
    ],
    ids=[
        "no-host",
        "bad-port",
        "http",
        "ftp",
        "query",
        "webhook-alone",
        "not-bool",
        "zero",
        "too-many",
        "typo",
        "log-details-not-bool",
    ],
)
def test_mistakes_are_named(tmp_path: Path, web: dict[str, Any], path: str, words: str) -> None:
    with pytest.raises(ConfigInvalid) as exc:
        parse(tmp_path, web)
    assert any(e.path == path and words in e.message for e in exc.value.errors), exc.value.errors


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080",
        "http://localhost:8080",
        "http://[::1]:8080",
        "http://10.0.0.7",
        "http://192.168.1.20:8443",
        "http://172.16.5.5",
    ],
)
def test_plain_http_is_accepted_for_a_loopback_or_private_host(tmp_path: Path, url: str) -> None:
    web = parse(tmp_path, {"public_url": url, "webhook": True}).web
    assert web is not None and web.public_url == url


def test_plain_http_to_a_public_host_needs_a_self_hosted_bot_api_server(tmp_path: Path) -> None:
    web = {"public_url": "http://kooch.example.org", "webhook": True}
    for telegram in ({}, {"TELEGRAM_API_URL": "https://api.telegram.org"}):
        with pytest.raises(ConfigInvalid) as exc:
            parse(tmp_path, web, telegram)
        [error] = exc.value.errors
        assert error.path == "web.public_url"
        assert "api.telegram.org" in error.message and "--local" in error.message
    local = parse(tmp_path, web, {"TELEGRAM_API_URL": "http://telegram-bot-api:8081"}).web
    assert local is not None and local.public_url == "http://kooch.example.org"


def test_a_channel_key_may_not_shadow_a_web_path(tmp_path: Path) -> None:
    config = base_config(tmp_path)
    config["channels"][0]["key"] = "metrics"
    config["web"] = {}
    with pytest.raises(ConfigInvalid) as exc:
        parse_config(yaml.safe_dump(config, allow_unicode=True))
    assert [e.path for e in exc.value.errors] == ["channels[0].key"]
    del config["web"]
    assert parse_config(yaml.safe_dump(config, allow_unicode=True)).channels[0].key == "metrics"


def test_buttons_use_redirect_links_only_with_a_public_url(tmp_path: Path) -> None:
    plain = parse(tmp_path, {"listen": "127.0.0.1:0"})
    counted = parse(tmp_path, {"public_url": "https://k.example"})
    channel = plain.channels[0]
    assert render_announcement(plain, channel).buttons[0][0].url == SOROUSH_URL
    assert (
        render_announcement(counted, channel).buttons[0][0].url
        == "https://k.example/go/soroush?c=demo&s=post"
    )
    preview = render_announcement(counted, channel, preview=True)
    assert preview.buttons[0][0].url == "https://k.example/go/soroush?c=demo&s=preview"
    assert render_links(counted, "fa").buttons[0][0].url == "https://k.example/go/soroush?s=bot"
    assert SOROUSH_URL in render_announcement(counted, channel).text  # the text keeps the service's own
