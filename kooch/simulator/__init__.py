"""A local Telegram Bot API simulator for tests and offline rehearsals.

It lets the real python-telegram-bot stack (``Application``, long polling,
``HTTPXRequest``) run against an in-process HTTP server whose behaviour, limits and
error messages follow Telegram's, while tests act as users (``send_text``,
``press_button``) and inspect everything the bot did (``messages``, ``calls``,
``answers``). It can also call the bot's webhook the way Telegram does (:mod:`.webhook`)
and run as its own process for benchmarks (``python -m kooch.simulator``).

:mod:`.server` is the HTTP front; :mod:`.state` composes the rest and says where each
part lives (world, scenario, player, faults, and the Bot API methods by area).
"""

from .errors import ApiError, SimulatorError
from .models import (
    ALL_CHANNEL_RIGHTS,
    ALL_GROUP_RIGHTS,
    CallbackAnswer,
    CallRecord,
    MessageEdit,
    SimChat,
    SimFile,
    SimMessage,
    SimUser,
)
from .server import BotAPISimulator
from .state import ChatRef, UserRef
from .webhook import DeliveryAttempt, WebhookDelivery, WebhookOptions

__all__ = [
    "ALL_CHANNEL_RIGHTS",
    "ALL_GROUP_RIGHTS",
    "ApiError",
    "BotAPISimulator",
    "CallRecord",
    "CallbackAnswer",
    "ChatRef",
    "DeliveryAttempt",
    "MessageEdit",
    "SimChat",
    "SimFile",
    "SimMessage",
    "SimUser",
    "SimulatorError",
    "UserRef",
    "WebhookDelivery",
    "WebhookOptions",
]
