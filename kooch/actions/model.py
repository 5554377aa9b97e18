"""What every gated action is: a typed payload, a preview for a given reader, ``execute()``
returning data, and a report of that data for a given reader.

Shaped after sqlite-utils' ``Migrations`` (a registry that actions add themselves to, once, by
name) and Kooch's own :class:`kooch.announce.post.service.PostOutcome` (what happened is a value; words
are chosen later, per reader). Ask, confirm, approve, refuse, expire and audit are written once,
in the handlers, over :class:`Action`: an action only says what is particular to it.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from kooch.app.services import Services
from kooch.config import Config
from kooch.i18n import gettext
from kooch.operators.audit import Record
from kooch.telegram.post import Post

__all__ = ["Action", "Actions", "Answer", "Asked", "Env", "Preview", "Question", "Record", "dump", "load"]

P = TypeVar("P")
O = TypeVar("O")  # noqa: E741


@dataclass(frozen=True)
class Env:
    """What an action runs with: the services, the config in force when it runs, and the two
    things only the Telegram side has."""

    services: Services
    config: Config
    #: Puts a scheduled post (id, due time) on the JobQueue.
    queue_post: Callable[[int, float], None]
    #: The message (chat id, message id) that shows the action's progress, if any.
    progress: tuple[int, int] | None = None


#: A text for each reader: the language → the words.
Words = Callable[[str], str]

#: Sent to the approvers before the question: a post the same for every reader (what recipients
#: will get, exactly), or words written for each reader (a label above such a post).
Preview = Post | Words


@dataclass(frozen=True)
class Asked:
    """An operator's command asking for an action, as typed."""

    operator_id: int
    #: The words after the command.
    args: tuple[str, ...]
    #: Everything after the command, as typed (line breaks kept).
    text: str
    #: The text of the operator's own message the command replied to, if any.
    replied: str | None
    #: The language the operator reads.
    language: str


@dataclass(frozen=True)
class Question(Generic[P]):
    """What to confirm: the payload kept with the confirmation, and what the operator is shown
    (in their language: they alone read it)."""

    payload: P
    text: str
    #: The confirm button's label.
    button: str
    #: Sent before the question: what the action will send, exactly as it will look.
    previews: tuple[Post, ...] = ()
    #: A count the audit keeps with the question (recipients…).
    count: int | None = None


@dataclass(frozen=True)
class Answer:
    """No question: what the operator is told instead (usage, an unknown channel…), and the audit
    result (a short code)."""

    text: str
    code: str


class Action(ABC, Generic[P, O]):
    """One gated action. Subclasses set :attr:`name`, :attr:`payload`, :attr:`rerun` and fill
    in the abstract methods (the registry's instance fails to be made until they do); one that
    declares a :attr:`command` fills in :meth:`ask` too."""

    #: The action's name: the pending action's kind, the buttons' prefix, the audit's action.
    name: ClassVar[str]
    #: The frozen dataclass of what the operator confirmed.
    payload: type[P]
    #: The command to run again once a confirmation expired.
    rerun: ClassVar[str]
    #: The command (without its slash) that asks for it, answered by :meth:`ask`; None when a
    #: handler of its own asks (the announcement's: its link checks and duplicate rule).
    command: ClassVar[str | None] = None
    #: Its confirm button is ``<name>:confirm:<id>`` alone, pressed once (False: the handler that
    #: asks has buttons of its own, as the announcement's "post a second one").
    plain_confirm: ClassVar[bool] = True

    @abstractmethod
    def title(self, language: str) -> str:
        """The action's name in the reader's words, as /audit lists it."""
        raise NotImplementedError

    @abstractmethod
    def describe(self, payload: P, language: str) -> str:
        """``post the announcement (demo)``: what is asked, as a request names it."""
        raise NotImplementedError

    async def ask(self, env: Env, asked: Asked) -> Question[P] | Answer:
        """The question for :attr:`command` as typed, or what to say instead."""
        raise NotImplementedError

    def cancelled(self, language: str) -> str:
        """What the question becomes once the operator cancelled it."""
        return gettext(language, "Cancelled.")

    async def previews(self, env: Env, payload: P) -> Sequence[Preview]:
        """What the action will send, exactly as it will look (sent before the approval question),
        with any words about it in each approver's language."""
        return []

    async def preview(self, env: Env, payload: P) -> Words:
        """What the approver reads under the question, for each reader (read once, said per reader)."""
        return lambda language: ""

    @abstractmethod
    async def execute(self, env: Env, payload: P, operator_id: int) -> O:
        """Do it, in ``operator_id``'s name; what happened, as data."""
        raise NotImplementedError

    @abstractmethod
    def report(self, env: Env, outcome: O, language: str) -> Post:
        """The outcome for one reader."""
        raise NotImplementedError

    @abstractmethod
    def record(self, outcome: O) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """The outcome as the audit keeps it: its codes and its ids."""
        raise NotImplementedError

    def working(self, payload: P, language: str) -> str:
        """The toast while it runs."""
        return gettext(language, "Working…")

    def code_words(self, code: str, language: str) -> str | None:
        """An outcome code of this action's own (``posted``, without its channel) in the reader's
        words, as /audit says it; None: one of the codes every action shares
        (:func:`kooch.actions.wording.code_words`)."""
        return None

    # -------------------------------------------------------------------- payload as stored

    def load(self, data: Mapping[str, Any]) -> P:
        return load(self.payload, data)

    def dump(self, payload: P) -> dict[str, Any]:
        return dump(payload)


def dump(payload: Any) -> dict[str, Any]:
    """A payload dataclass as JSON-able data (tuples become lists)."""
    data: dict[str, Any] = dataclasses.asdict(payload)
    return data


def load(cls: type[P], data: Mapping[str, Any]) -> P:
    """A payload dataclass from :func:`dump`'s data: tuple fields made tuples again, unknown keys
    (an older Kooch's) left out, missing ones to their defaults."""
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name not in fields:
            continue
        hint = hints[name]
        origin = typing.get_origin(hint)
        if origin is tuple and isinstance(value, list):
            value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        elif origin in (dict, Mapping) and isinstance(value, dict):
            value = dict(value)
        elif origin in (types.UnionType, typing.Union) and isinstance(value, list):
            value = tuple(value)
        values[name] = value
    return cls(**values)


class Actions:
    """The registry: each action adds itself once, by name (``@ACTIONS.register``)."""

    def __init__(self) -> None:
        self._by_name: dict[str, Action[Any, Any]] = {}

    def register(self, cls: type[Action[P, O]]) -> type[Action[P, O]]:
        if cls.name in self._by_name:
            raise ValueError(f"the action {cls.name!r} is registered twice")
        self._by_name[cls.name] = cls()
        return cls

    def get(self, name: str) -> Action[Any, Any] | None:
        return self._by_name.get(name)

    def __getitem__(self, name: str) -> Action[Any, Any]:
        return self._by_name[name]

    def __iter__(self) -> Iterator[Action[Any, Any]]:
        return iter(self._by_name.values())

    @property
    def names(self) -> Sequence[str]:
        return tuple(self._by_name)


#: Every gated action (:func:`kooch.actions.registry.actions` imports them, so they are here).
ACTIONS = Actions()
