"""Secrets from files: ``NAME_FILE=/run/secrets/name`` instead of ``NAME=value``, for each secret.

Docker and Kubernetes secrets, systemd's credentials and most vaults hand a secret over as a file,
so that it shows in no ``docker inspect``, ``/proc/<pid>/environ`` of a child or shell history.
Each secret Kooch reads from the environment — ``TELEGRAM_BOT_TOKEN``, ``KOOCH_WEBHOOK_SECRET``,
``KOOCH_DATABASE_URL``, ``KOOCH_PSEUDONYM_KEY`` and every destination's ``token_env`` — may instead
be given as ``<NAME>_FILE``: the file's text, less one trailing newline (what ``echo`` and editors
add), is the value. Both set is an error (which one wins would be a guess), and so is a file that
cannot be read. Errors name the variable and the file, never the value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping

#: The secrets Kooch itself reads (destinations' tokens are named by the config's ``token_env``).
SECRETS = ("TELEGRAM_BOT_TOKEN", "KOOCH_WEBHOOK_SECRET", "KOOCH_DATABASE_URL", "KOOCH_PSEUDONYM_KEY")
FILE_SUFFIX = "_FILE"
#: A secret file larger than this is surely the wrong file (a certificate bundle, a database).
MAX_SECRET_BYTES = 64 * 1024


class SecretError(Exception):
    """A ``*_FILE`` secret cannot be used; the message names the variable, never the value."""


def secret(name: str, environ: Mapping[str, str]) -> str | None:
    """``name``'s value: from ``environ[name]``, else from the file ``environ[name + "_FILE"]``;
    None when neither is set. Raises :class:`SecretError` when both are set or the file cannot
    be read."""
    file_var = name + FILE_SUFFIX
    path = environ.get(file_var, "")
    if not path:
        return environ.get(name)
    if environ.get(name):
        raise SecretError(f"both {name} and {file_var} are set: keep only one")
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_SECRET_BYTES + 1)
    except OSError as exc:
        raise SecretError(f"{file_var}: cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_SECRET_BYTES:
        raise SecretError(
            f"{file_var}: {path} is larger than {MAX_SECRET_BYTES // 1024} KiB; is it the secret?"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SecretError(f"{file_var}: {path} is not UTF-8 text") from None
    if text.endswith("\n"):
        text = text[:-2] if text.endswith("\r\n") else text[:-1]
    return text


def load_file_secrets(environ: MutableMapping[str, str], names: Iterable[str] = SECRETS) -> list[str]:
    """Put each of ``names`` given as ``<NAME>_FILE`` into ``environ`` as ``<NAME>``, so every
    reader of the environment sees it; return the names loaded. Raises :class:`SecretError` for the
    first one that cannot be used (before changing anything)."""
    loaded = {}
    for name in names:
        if environ.get(name + FILE_SUFFIX):
            value = secret(name, environ)
            assert value is not None
            loaded[name] = value
    environ.update(loaded)
    return list(loaded)
