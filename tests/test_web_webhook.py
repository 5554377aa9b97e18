"""Webhook mode: updates POSTed by Telegram are processed exactly as polled ones; forged or
malformed requests are refused and never processed; switching back to polling works."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from kooch.app.runner import StartupError
from kooch.simulator import BotAPISimulator, SimUser
from kooch.telegram.webhook import SECRET_HEADER, WEBHOOK_PATH, secret_tag
from tests.kit import running_bot, write_config
from tests.web_kit import PUBLIC_URL, running_web_bot, web_config


def take_updates(sim: BotAPISimulator) -> list[dict[str, Any]]:
    """The updates Telegram would POST to the webhook (the simulator queues them; it does not
    deliver webhooks itself), removed from its queue."""
    updates = [update for _, update in sim._updates]
    sim._updates.clear()
    return updates


def secret_of(sim: BotAPISimulator) -> str:
    call = sim.calls_of("setWebhook")[-1]
    return str(call.params["secret_token"])


async def test_webhook_mode_registers_a_secret_webhook_and_does_not_poll(
    sim: BotAPISimulator, operator: SimUser, tmp_path: Path
) -> None:
    async with running_web_bot(sim, tmp_path, webhook=True, max_connections=12):
        params = sim.calls_of("setWebhook")[-1].params
        first_secret = params["secret_token"]
        assert params["url"] == f"{PUBLIC_URL}{WEBHOOK_PATH}?k={secret_tag(sim.token, first_secret)}"
        assert len(first_secret) >= 32
        assert int(params["max_connections"]) == 12
        assert sim.webhook_url == params["url"]
    assert sim.calls_of("getUpdates") == []
    assert sim.calls_of("deleteWebhook") == []  # kept at shutdown (see kooch/telegram/webhook.py)
    async with running_web_bot(sim, tmp_path, webhook=True):
        assert sim.calls_of("setWebhook")[-1].params["secret_token"] != first_secret  # fresh each start
    assert len(sim.calls_of("setWebhook")) == 2  # a new secret is a new webhook: always set


FIXED = "shared-by-every-replica_0123456789"


async def test_a_secret_from_the_environment_is_set_once_and_kept_across_restarts(
    sim: BotAPISimulator, operator: SimUser, tmp_path: Path
) -> None:
    async with running_web_bot(sim, tmp_path, webhook=True, webhook_secret=FIXED) as (_app, web):
        assert sim.webhook_params["secret_token"] == FIXED
        user = sim.add_user("Sara", "en")
        sent = await sim.send_text(user, "/start")
        [update] = take_updates(sim)
        async with httpx.AsyncClient(base_url=web.url) as client:
            r = await client.post(
                sim.webhook_url.removeprefix(PUBLIC_URL), json=update, headers={SECRET_HEADER: FIXED}
            )
        assert r.status_code == 200
        await sim.wait_for_message(user.id, after=sent.message_id, timeout=10)
    # A restart, or a second replica with the same settings: Telegram has this webhook already.
    async with running_web_bot(sim, tmp_path, webhook=True, webhook_secret=FIXED):
        pass
    assert len(sim.calls_of("setWebhook")) == 1
    assert len(sim.calls_of("getWebhookInfo")) == 2
    # Anything changed is set again: the secret (seen through the URL's tag), max_connections.
    async with running_web_bot(sim, tmp_path, webhook=True, webhook_secret=FIXED + "2"):
        assert sim.webhook_params["secret_token"] == FIXED + "2"
    async with running_web_bot(sim, tmp_path, webhook=True, webhook_secret=FIXED + "2", max_connections=7):
        assert sim.webhook_params["max_connections"] == 7
    assert len(sim.calls_of("setWebhook")) == 3


@pytest.mark.parametrize(
    "secret",
    ["", "has space", "x" * 257, "ünïcode", "semi;colon"],
    ids=["empty", "space", "257", "unicode", "semicolon"],
)
async def test_a_secret_telegram_would_refuse_stops_the_start_with_a_clear_message(
    sim: BotAPISimulator, operator: SimUser, tmp_path: Path, secret: str
) -> None:
    with pytest.raises(StartupError) as exc:
        async with running_web_bot(sim, tmp_path, webhook=True, webhook_secret=secret):
            pass
    message = str(exc.value)
    assert message.startswith("KOOCH_WEBHOOK_SECRET must be 1 to 256 characters of A-Z a-z 0-9 _ -")
    assert secret not in message or secret == ""
    assert sim.calls_of("setWebhook") == []


async def test_an_update_with_the_right_secret_is_processed_as_in_polling(
    sim: BotAPISimulator, operator: SimUser, tmp_path: Path
) -> None:
    async with running_web_bot(sim, tmp_path, webhook=True) as (_app, web):
        user = sim.add_user("Sara", "fa")
        sent = await sim.send_text(user, "/start")
        [update] = take_updates(sim)
        assert update["message"]["text"] == "/start"
        async with httpx.AsyncClient(base_url=web.url) as client:
            r = await client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: secret_of(sim)})
        assert r.status_code == 200
        reply = await sim.wait_for_message(user.id, after=sent.message_id, timeout=10)
        assert reply.text is not None and "سلام" in reply.text

        # An operator's command through the webhook too.
        sent = await sim.send_text(operator, "/stats")
        async with httpx.AsyncClient(base_url=web.url) as client:
            for update in take_updates(sim):
                r = await client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: secret_of(sim)})
                assert r.status_code == 200
        stats = await sim.wait_for_message(operator.id, after=sent.message_id, timeout=10)
        assert stats.text is not None and stats.text.startswith("📊 Kooch")


async def test_forged_and_malformed_requests_are_refused_and_not_processed(
    sim: BotAPISimulator, operator: SimUser, tmp_path: Path
) -> None:
    async with running_web_bot(sim, tmp_path, webhook=True) as (app, web):
        victim = sim.add_user("Forged", "en")
        await sim.send_text(victim, "/start")
        [forged] = take_updates(sim)
        async with httpx.AsyncClient(base_url=web.url) as client:
            no_secret = await client.post(WEBHOOK_PATH, json=forged)
            wrong = await client.post(WEBHOOK_PATH, json=forged, headers={SECRET_HEADER: "x" * 43})
            empty = await client.post(WEBHOOK_PATH, json=forged, headers={SECRET_HEADER: ""})
            secret = {SECRET_HEADER: secret_of(sim), "Content-Type": "application/json"}
            not_json = await client.post(
                WEBHOOK_PATH, content=b'{"update_id": 1, "message": ', headers=secret
            )
            not_utf8 = await client.post(WEBHOOK_PATH, content=b"\xff\xfe", headers=secret)
            a_list = await client.post(WEBHOOK_PATH, content=json.dumps([forged]), headers=secret)
            no_id = await client.post(WEBHOOK_PATH, content=json.dumps({"message": {}}), headers=secret)
            bad_message = await client.post(
                WEBHOOK_PATH, content=json.dumps({"update_id": 7, "message": {"text": "hi"}}), headers=secret
            )
            # Then a real one: once it is answered, anything queued before it would be too.
            user = sim.add_user("Real", "en")
            sent = await sim.send_text(user, "/start")
            [real] = take_updates(sim)
            ok = await client.post(WEBHOOK_PATH, json=real, headers={SECRET_HEADER: secret_of(sim)})
            await sim.wait_for_message(user.id, after=sent.message_id, timeout=10)
            # Every update handed to the bot has been handled to its end, the real one included.
            await asyncio.wait_for(app.update_queue.join(), 10)
            metrics = (await client.get("/metrics")).text
    assert [no_secret.status_code, wrong.status_code, empty.status_code] == [403, 403, 403]
    assert [not_json.status_code, not_utf8.status_code, a_list.status_code, no_id.status_code] == [400] * 4
    assert bad_message.status_code == 400
    assert ok.status_code == 200
    assert [m for m in sim.messages(victim.id) if m.from_bot] == []
    assert 'kooch_updates_total{type="message"} 1.0' in metrics
    assert 'kooch_errors_total{kind="webhook_forbidden"} 3.0' in metrics
    assert 'kooch_errors_total{kind="webhook_malformed"} 5.0' in metrics


async def test_switching_back_to_polling_works(
    sim: BotAPISimulator, operator: SimUser, tmp_path: Path
) -> None:
    async with running_web_bot(sim, tmp_path, webhook=True):
        assert sim.webhook_url
    user = sim.add_user("Back", "en")
    sent = await sim.send_text(user, "/start")  # arrives while no bot runs: kept by Telegram
    path = write_config(tmp_path / "config.yaml", web_config(tmp_path))  # webhook: false
    async with running_bot(path, sim.token, sim.url, poll_timeout=1):
        reply = await sim.wait_for_message(user.id, after=sent.message_id, timeout=10)
        assert reply.text is not None and reply.text.startswith("Hello! The channel has moved")
    assert sim.webhook_url == ""
    assert sim.calls_of("deleteWebhook")
    assert sim.calls_of("getUpdates")


async def test_without_webhook_mode_the_webhook_path_does_not_exist(
    sim: BotAPISimulator, operator: SimUser, tmp_path: Path
) -> None:
    async with running_web_bot(sim, tmp_path) as (_app, web), httpx.AsyncClient(base_url=web.url) as client:
        r = await client.post(WEBHOOK_PATH, json={"update_id": 1}, headers={SECRET_HEADER: "anything"})
    assert r.status_code == 404


def _reply_chain(depth: int) -> dict[str, Any]:
    """A message replying to a message replying to ... ``depth`` deep: valid JSON, deeper than
    python-telegram-bot's decoders can recurse."""
    message: dict[str, Any] = {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}
    for i in range(depth):
        message = {
            "message_id": i + 2,
            "date": 0,
            "chat": {"id": 1, "type": "private"},
            "reply_to_message": message,
        }
    return {"update_id": 9, "message": message}


NOT_UPDATES: list[tuple[str, bytes]] = [
    ("message-without-update-id", b'{"message": "x"}'),
    ("message-is-a-string", b'{"update_id": 1, "message": "x"}'),
    ("callback-query-is-a-list", b'{"update_id": 1, "callback_query": [1, 2]}'),
    ("a-list", b"[1, 2, 3]"),
    ("a-string", b'"update"'),
    ("nested-100k-deep", b'{"update_id": 1, "message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
    ("objects-nested-100k-deep", b'{"a":' * 100_000 + b"1" + b"}" * 100_000),
    ("reply-chain-deeper-than-the-decoder", json.dumps(_reply_chain(600)).encode()),
    ("update-id-beyond-64-bits", b'{"update_id": 100000000000000000000000000000}'),
    ("a-5000-digit-number", b'{"update_id": 1, "message": {"message_id": ' + b"9" * 5000 + b"}}"),
    (
        "user-id-beyond-64-bits",
        b'{"update_id": 1, "message": {"message_id": 1, "date": 0, '
        b'"chat": {"id": 1, "type": "private"}, "from": {"id": 99999999999999999999999, '
        b'"is_bot": false, "first_name": "x"}}}',
    ),
    ("nan", b'{"update_id": NaN}'),
    ("negative-update-id", b'{"update_id": -1}'),
    ("update-id-true", b'{"update_id": true}'),
]


@pytest.mark.parametrize("body", [b for _, b in NOT_UPDATES], ids=[n for n, _ in NOT_UPDATES])
async def test_valid_json_that_is_not_an_update_gets_a_short_400_and_nothing_is_processed(
    sim: BotAPISimulator, operator: SimUser, tmp_path: Path, body: bytes
) -> None:
    async with running_web_bot(sim, tmp_path, webhook=True) as (_app, web):
        headers = {SECRET_HEADER: secret_of(sim), "Content-Type": "application/json"}
        async with httpx.AsyncClient(base_url=web.url) as client:
            r = await client.post(WEBHOOK_PATH, content=body, headers=headers)
            metrics = (await client.get("/metrics")).text
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("text/plain")
    assert len(r.text) < 80 and "Traceback" not in r.text and "Error" not in r.text, r.text
    assert 'kooch_errors_total{kind="webhook_malformed"} 1.0' in metrics
    assert "kooch_updates_total{" not in metrics
