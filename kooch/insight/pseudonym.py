"""Stable pseudonyms for user ids: HMAC-SHA256 under a secret key, for exports, logs and the audit.

The same user gets the same pseudonym in every export made with the same key, so the destination
channels' admins can deduplicate; without the key nobody can go back from a pseudonym to the id
(a plain hash of a Telegram id could be reversed by hashing every possible id).

Where the key comes from, in order:

1. ``KOOCH_PSEUDONYM_KEY`` in the environment (at least 16 characters). Set it when the database
   may move between machines, or to keep pseudonyms stable across a reinstall.
2. Otherwise a key file next to the database (``<data folder>/pseudonym.key``), generated once with
   32 random bytes and readable by the bot's user only. It lives outside the database on purpose:
   a copy of the database alone does not carry the key. Back it up with the database; deleting it
   gives every user a new pseudonym in the next export.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path

log = logging.getLogger(__name__)

KEY_ENV = "KOOCH_PSEUDONYM_KEY"
KEY_FILE_NAME = "pseudonym.key"
MIN_KEY_CHARS = 16
#: Hex characters kept: 64 bits; a collision among a million users has a chance of about 3e-8.
PSEUDONYM_CHARS = 16


class PseudonymKeyError(Exception):
    """No usable key; the message says what to fix."""


#: The audit log's pseudonyms are not the exports': an operator holding both cannot tell that the
#: stranger who tried /stats is the person in row 12 of an export.
AUDIT_SCOPE = "audit"
#: A forgotten operator's actions stay in the audit under a pseudonym of this scope: not the one
#: their refused attempts (as a stranger) would carry, so deleting those cannot reach them.
OPERATOR_SCOPE = "operator"


class Pseudonymizer:
    """Maps user ids to pseudonyms with one key. Cheap to call a million times.

    ``scope`` names what the pseudonyms are for: the same id gets unrelated pseudonyms in two
    scopes. The exports' scope is the empty one (their pseudonyms predate scopes).
    """

    def __init__(self, key: bytes, scope: str = "") -> None:
        if len(key) < MIN_KEY_CHARS:
            raise PseudonymKeyError(f"the pseudonym key must be at least {MIN_KEY_CHARS} bytes long")
        self._key = key
        self._prefix = f"{scope}:".encode() if scope else b""

    def __call__(self, user_id: int) -> str:
        # hmac.digest is the one-shot C path: about four times faster than hmac.new per id.
        message = self._prefix + str(user_id).encode()
        return hmac.digest(self._key, message, "sha256").hex()[:PSEUDONYM_CHARS]


def key_file(data_dir: Path) -> Path:
    return data_dir / KEY_FILE_NAME


def load_key(data_dir: Path, environ: Mapping[str, str] | None = None) -> bytes:
    """The key from the environment, else from the key file (created on first use).

    Raises :class:`PseudonymKeyError` for a too-short environment key or an unreadable key file.
    """
    env = os.environ if environ is None else environ
    given = env.get(KEY_ENV, "")
    if given:
        if len(given.strip()) < MIN_KEY_CHARS:
            raise PseudonymKeyError(
                f"{KEY_ENV} is set but shorter than {MIN_KEY_CHARS} characters. Use a long random "
                "secret, e.g. the output of `python3 -c 'import secrets; print(secrets.token_hex(32))'`."
            )
        return given.strip().encode()
    path = key_file(data_dir)
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)  # another process created it first: use theirs
    except OSError as exc:
        raise PseudonymKeyError(
            f"cannot create the pseudonym key file {path}: {exc.strerror}. Make the data folder "
            f"writable, or set {KEY_ENV}."
        ) from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key + "\n")
        f.flush()
        os.fsync(f.fileno())
    return key.encode()


def _read_key(path: Path) -> bytes:
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise PseudonymKeyError(f"cannot read the pseudonym key file {path}: {exc}") from None
    if len(key) < MIN_KEY_CHARS:
        raise PseudonymKeyError(
            f"the pseudonym key file {path} is damaged (too short). Restore it from a backup, or "
            "delete it to start new pseudonyms."
        )
    return key.encode()


def pseudonymizer(data_dir: Path, environ: Mapping[str, str] | None = None, scope: str = "") -> Pseudonymizer:
    return Pseudonymizer(load_key(data_dir, environ), scope)


def lazy_pseudonymizer(data_dir: Path, scope: str) -> Callable[[int], str | None]:
    """A pseudonymizer that loads the key on first use, and None where there is no usable key
    (then nothing of the id is kept). The key is only created when a pseudonym is needed."""
    loaded: list[Pseudonymizer] = []

    def pseudonym(user_id: int) -> str | None:
        if not loaded:
            try:
                loaded.append(pseudonymizer(data_dir, scope=scope))
            except PseudonymKeyError as exc:
                log.warning("no pseudonym key (%s): the user is kept as unknown", exc)
                return None
        return loaded[0](user_id)

    return pseudonym


def log_id(user_id: int | None, data_dir: Path) -> str:
    """How a user appears in logs: ``user:<pseudonym>``, never the id itself."""
    if user_id is None:
        return "user:-"
    try:
        return f"user:{pseudonymizer(data_dir)(user_id)}"
    except PseudonymKeyError:
        return "user:?"
