"""Kooch's aiohttp transport, driven by python-telegram-bot's Bot against the simulator over HTTP:
plain calls, uploads (form fields and files in one multipart body), timeouts per call, errors as
PTB's, and the pool as the in-flight bound."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from kooch.metrics import Metrics
from kooch.simulator import BotAPISimulator
from kooch.telegram.bots import BotFactory
from kooch.telegram.transport import AiohttpRequest
from tests.kit import free_port

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (640).to_bytes(4, "big") + (480).to_bytes(4, "big")


@pytest.fixture
async def sim() -> AsyncIterator[BotAPISimulator]:
    async with BotAPISimulator() as simulator:
        yield simulator


def long_poll() -> RequestData:
    """getUpdates' parameters for a long poll: with nothing to deliver, answered after 30 s."""
    return RequestData([RequestParameter.from_input("timeout", 30)])


def bot_on(sim: BotAPISimulator, request: AiohttpRequest) -> Bot:
    return Bot(sim.token, base_url=f"{sim.url}/bot", base_file_url=f"{sim.url}/file/bot", request=request)


async def test_every_bot_the_factory_makes_uses_the_aiohttp_transport(sim: BotAPISimulator) -> None:
    factory = BotFactory(sim.token, sim.url, Metrics())
    async with factory.bot(pool_size=3) as bot:
        me = await bot.get_me()
        inner = getattr(bot.request, "inner")  # noqa: B009 - InstrumentedRequest's wrapped transport
    assert me.username == sim.bot.username
    assert isinstance(inner, AiohttpRequest)
    assert inner.pool_size == 3
    assert sim.calls_of("getMe")


async def test_a_photo_and_its_caption_go_up_as_one_multipart_body(sim: BotAPISimulator) -> None:
    user = sim.add_user("Reader", "fa", started=True)
    async with bot_on(sim, AiohttpRequest()) as bot:
        sent = await bot.send_photo(user.id, photo=InputFile(PNG, filename="stats.png"), caption="آمار")
    assert sent.photo[-1].width == 640 and sent.photo[-1].height == 480
    assert sent.caption == "آمار"
    stored = sim.last_message(user)
    assert stored is not None and stored.photo is not None
    assert stored.photo.data == PNG


async def test_bytes_come_back_unchanged_with_a_document_upload_and_download(sim: BotAPISimulator) -> None:
    user = sim.add_user("Reader", "en", started=True)
    payload = "داده,data\n".encode() * 1000
    async with bot_on(sim, AiohttpRequest()) as bot:
        sent = await bot.send_document(user.id, document=payload, filename="export.csv")
        assert sent.document is not None
        downloaded = await (await bot.get_file(sent.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == payload


async def test_a_read_timeout_passed_to_the_call_wins_over_the_default_and_raises_timed_out(
    sim: BotAPISimulator,
) -> None:
    request = AiohttpRequest(read_timeout=60)
    await request.initialize()
    try:
        # The call's 0.2 s ends the long poll long before the simulator answers it.
        data = long_poll()
        with pytest.raises(TimedOut):
            await request.do_request(f"{sim.url}/bot{sim.token}/getUpdates", "POST", data, read_timeout=0.2)
    finally:
        await request.shutdown()


async def test_the_default_timeouts_apply_when_the_call_passes_none(sim: BotAPISimulator) -> None:
    request = AiohttpRequest(read_timeout=0.2)
    await request.initialize()
    try:
        data = long_poll()
        with pytest.raises(TimedOut):
            await request.do_request(f"{sim.url}/bot{sim.token}/getUpdates", "POST", data)
    finally:
        await request.shutdown()


async def test_an_unreachable_server_is_a_network_error() -> None:
    port = free_port()  # nobody listens on it
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as caught:
            await request.do_request(f"http://127.0.0.1:{port}/botx/getMe", "POST")
    finally:
        await request.shutdown()
    assert not isinstance(caught.value, TimedOut)
    assert "aiohttp.Client" in caught.value.message


async def test_a_full_pool_makes_callers_wait_and_a_short_pool_timeout_gives_up() -> None:
    accepted = asyncio.Event()

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.set()
        await reader.read()  # until the client hangs up
        writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = AiohttpRequest(connection_pool_size=1, pool_timeout=0.2, read_timeout=60)
    await request.initialize()
    try:
        # The pool's one connection is taken by a call the server never answers.
        hanging = asyncio.create_task(request.do_request(f"http://127.0.0.1:{port}/botx/getMe", "POST"))
        await accepted.wait()
        with pytest.raises(TimedOut):
            await request.do_request(f"http://127.0.0.1:{port}/botx/getMe", "POST")
        hanging.cancel()
        await asyncio.gather(hanging, return_exceptions=True)
    finally:
        await request.shutdown()
        server.close()
        await server.wait_closed()


async def test_a_request_needs_initialize_and_shutdown_is_idempotent(sim: BotAPISimulator) -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(f"{sim.url}/bot{sim.token}/getMe", "POST")
    await request.initialize()
    await request.initialize()  # a second Bot.initialize keeps the same session
    code, _ = await request.do_request(f"{sim.url}/bot{sim.token}/getMe", "POST")
    assert code == 200
    await request.shutdown()
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(f"{sim.url}/bot{sim.token}/getMe", "POST")
