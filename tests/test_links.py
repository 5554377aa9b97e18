"""The destination link checks against local servers started here: each verdict, the fetch's
manners (User-Agent, no cookies, no credentials, the body cap), and which URLs are fetched."""

from __future__ import annotations

import asyncio
import ssl
import sys
from pathlib import Path

import pytest

from kooch.config import parse_config
from kooch.destinations.links import (
    Kind,
    Link,
    Verdict,
    check_links,
    configured_links,
    user_agent,
)
from kooch.destinations.wording import verdict_words
from tests.kit import base_config, write_config
from tests.links_kit import Seen, closed_port, self_signed, serving, silent_server

ROOT = Path(__file__).resolve().parents[1]


async def verdict(url: str, *, timeout: float = 10.0, ssl_context: ssl.SSLContext | bool = True) -> Verdict:
    (result,) = await check_links([Link("s", "url", url)], timeout=timeout, ssl_context=ssl_context)
    return result.verdict


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/ok", Verdict(Kind.OK, 200)),
        ("/status/404", Verdict(Kind.HTTP_ERROR, 404)),
        ("/status/500", Verdict(Kind.HTTP_ERROR, 500)),
        ("/status/403", Verdict(Kind.HTTP_ERROR, 403)),
    ],
    ids=["200", "404", "500", "403"],
)
async def test_a_plain_answer_gives_its_verdict(path: str, expected: Verdict) -> None:
    async with serving(Seen()) as root:
        assert await verdict(root + path) == expected


async def test_a_redirect_to_another_host_is_redirected_elsewhere() -> None:
    async with serving(Seen()) as root:
        port = root.rsplit(":", 1)[1]
        assert await verdict(root + "/away") == Verdict(Kind.REDIRECTED, 200, f"http://localhost:{port}/ok")


async def test_a_redirect_on_the_same_host_is_followed_and_ok() -> None:
    seen = Seen()
    async with serving(seen) as root:
        assert await verdict(root + "/here") == Verdict(Kind.OK, 200, root + "/ok")
    assert [path for path, _ in seen.requests] == ["/here", "/ok"]
    # The cookie the redirect set is not sent back: the check keeps nothing between requests.
    assert all("Cookie" not in headers for _, headers in seen.requests)


async def test_endless_redirects_stop_after_five() -> None:
    seen = Seen()
    async with serving(seen) as root:
        result = await verdict(root + "/loop")
    assert result.kind is Kind.TOO_MANY_REDIRECTS
    assert len(seen.requests) == 6  # the first request and five redirects followed


async def test_a_self_signed_certificate_is_a_tls_error(tmp_path: Path) -> None:
    server_context, cert_file = self_signed(tmp_path)
    async with serving(Seen(), server_context) as root:
        assert (await verdict(root + "/ok")).kind is Kind.TLS_ERROR
        # The same server, trusted: the verdict above is the certificate's, not a failure to talk TLS.
        trusting = ssl.create_default_context(cafile=str(cert_file))
        assert await verdict(root + "/ok", ssl_context=trusting) == Verdict(Kind.OK, 200)


async def test_a_closed_port_is_connection_refused() -> None:
    assert (await verdict(f"http://127.0.0.1:{closed_port()}/")).kind is Kind.REFUSED


async def test_a_server_that_never_answers_is_a_timeout() -> None:
    async with silent_server() as url:
        result = await verdict(url, timeout=0.3)
    assert result == Verdict(Kind.TIMEOUT, detail="no answer within 0.3 s")


async def test_an_unknown_name_is_a_dns_failure() -> None:
    # .invalid never resolves (RFC 2606).
    assert (await verdict("https://kooch-link-check.invalid/x")).kind is Kind.DNS_FAILURE


async def test_the_request_names_kooch_and_carries_no_credentials() -> None:
    seen = Seen()
    async with serving(seen) as root:
        with_password = root.replace("http://", "http://admin:secret@") + "/ok"
        assert (await verdict(with_password)).ok
    ((_, headers),) = seen.requests
    assert headers["User-Agent"] == user_agent()
    assert user_agent().startswith("Kooch-link-check/")
    assert "Authorization" not in headers
    assert "Cookie" not in headers


async def test_a_url_named_twice_is_fetched_once_and_both_get_its_verdict() -> None:
    seen = Seen()
    async with serving(seen) as root:
        results = await check_links([Link("a", "url", root + "/ok"), Link("b", "web", root + "/ok")])
    assert [(r.link.service, r.verdict.kind) for r in results] == [("a", Kind.OK), ("b", Kind.OK)]
    assert len(seen.requests) == 1


def test_only_the_links_of_enabled_services_are_checked() -> None:
    config = parse_config(
        """
operators: [1]
channels: [{chat: "@kooch_demo"}]
services:
  - {key: soroush, name: Soroush, url: "https://splus.ir/x", android: "https://splus.ir/a",
     ios: "tg://resolve?domain=x", web: "https://web.splus.ir/x"}
  - {key: gap, name: Gap, url: "https://gap.im/x", enabled: false}
  - {key: bale, name: Bale, url: "https://ble.ir/x"}
"""
    )
    assert [(link.service, link.field, link.url) for link in configured_links(config)] == [
        ("soroush", "url", "https://splus.ir/x"),
        ("soroush", "android", "https://splus.ir/a"),
        ("soroush", "web", "https://web.splus.ir/x"),
        ("bale", "url", "https://ble.ir/x"),
    ]


async def bot_py(*args: str) -> tuple[int, str, str]:
    """``python bot.py args`` as a child process, while this test's servers keep answering."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "bot.py",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_check_links_prints_a_verdict_per_url_and_exits_1_when_one_is_broken(tmp_path: Path) -> None:
    async with serving(Seen()) as root:
        config = base_config(tmp_path)
        config["services"][0]["url"] = root + "/ok"
        config["services"][1]["url"] = root + "/status/404"
        config["services"][1]["web"] = root + "/here"
        path = write_config(tmp_path / "config.yaml", config)
        code, out, err = await bot_py("check", "--links", "--config", str(path))
        assert code == 1, err
        assert f"• Soroush (link) {root}/ok: ✅ OK" in out
        assert f"• Gap (link) {root}/status/404: ❌ HTTP 404" in out
        assert f"• Gap (web version) {root}/here: ✅ OK" in out
        assert "✗ 1 of 3 link(s) broken" in err

        config["services"][1]["url"] = root + "/ok"
        write_config(path, config)
        code, out, err = await bot_py("check", "--links", "--config", str(path))
        assert code == 0, err
        assert "✓ all 3 link(s) OK" in out


@pytest.mark.parametrize(
    ("verdict", "english", "persian"),
    [
        (Verdict(Kind.OK), "✅ OK", "✅ سالم"),
        (Verdict(Kind.HTTP_ERROR, 404), "❌ HTTP 404", "❌ HTTP ۴۰۴"),
        (
            Verdict(Kind.TIMEOUT, detail="no answer within 0.3 s"),
            "❌ timeout: no answer within 0.3 s",
            "❌ مهلت تمام شد: در ۰٫۳ ثانیه پاسخی نیامد",
        ),
        (
            Verdict(Kind.TOO_MANY_REDIRECTS, None, "https://x.example/6", "more than 5 redirects"),
            "❌ too many redirects (more than 5)",
            "❌ تغییر مسیرهای بیش از حد (بیش از ۵)",
        ),
        (
            Verdict(Kind.REFUSED, detail="Connect call failed"),
            "❌ connection refused",
            "❌ اتصال پذیرفته نشد",
        ),
    ],
    ids=["ok", "http", "timeout", "redirects", "refused"],
)
def test_each_verdict_is_said_in_the_readers_language(verdict: Verdict, english: str, persian: str) -> None:
    assert verdict_words(verdict, "en") == english
    assert verdict_words(verdict, "fa") == persian
