"""The Bot API simulator as its own process, so a benchmark can give it and the bot separate cores.

    python -m kooch.simulator --port 8081 [--host 127.0.0.1] [--token 123456:TEST]

It serves the Bot API at ``http://HOST:PORT/bot<token>/<method>`` and delivers webhooks the
way Telegram's Bot API server does (setWebhook accepts http:// URLs, as a ``--local``
telegram-bot-api does); ``--no-webhook-delivery`` only stores them. The control API in
:mod:`kooch.simulator.control` (``/sim/users``, ``/sim/channels``, ``/sim/posts``,
``/sim/taps``, ``/sim/stats``) sets the scene and reads the results; it answers loopback
peers only unless ``--allow-remote-control``. Once listening, the process prints
``listening on http://HOST:PORT``; SIGINT or SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from .control import ControlAPI
from .server import BotAPISimulator
from .webhook import WebhookOptions


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m kooch.simulator", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8081, help="port to listen on (0: any free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback)")
    parser.add_argument("--token", default="123456:TEST", help="the bot token the simulator accepts")
    parser.add_argument("--bot-username", default="kooch_test_bot")
    parser.add_argument("--callback-deadline", type=float, default=15.0, help="seconds to answer a tap")
    parser.add_argument("--no-webhook-delivery", action="store_true", help="store webhooks, never call them")
    parser.add_argument("--retry-base", type=float, default=1.0, help="webhook backoff unit, seconds")
    parser.add_argument("--allow-remote-control", action="store_true", help="serve /sim/* to any peer")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    sim = BotAPISimulator(
        token=args.token,
        bot_username=args.bot_username,
        host=args.host,
        port=args.port,
        callback_deadline=args.callback_deadline,
        deliver_webhooks=not args.no_webhook_delivery,
        webhook_options=WebhookOptions(retry_base=args.retry_base),
    )
    sim.route_hooks.append(ControlAPI(sim, allow_remote=args.allow_remote_control).register)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with sim:
        print(f"listening on {sim.url}", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
