"""Exceptions of the Bot API simulator.

Two kinds exist on purpose: :class:`ApiError` is what the *bot* sees (it becomes a
Telegram-style JSON error response), :class:`SimulatorError` is what the *player*
(a test, the rehearsal driver) sees when it asks for something impossible, such as
pressing a button that does not exist. Mixing them up would let a broken test look
like a bot bug, so they share no base class beyond ``Exception``.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Bot API error, rendered as ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def to_payload(self) -> dict[str, Any]:
        """Return the JSON body Telegram would send for this error."""
        payload: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            payload["parameters"] = {"retry_after": self.retry_after}
        return payload


def bad_request(description: str) -> ApiError:
    """400 with the ``Bad Request: `` prefix Telegram puts on every 400 description."""
    return ApiError(400, f"Bad Request: {description}")


def forbidden(description: str) -> ApiError:
    """403 with the ``Forbidden: `` prefix."""
    return ApiError(403, f"Forbidden: {description}")


class SimulatorError(Exception):
    """The player asked the simulator for something a real Telegram client could not do."""
