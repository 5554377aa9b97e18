"""Small helpers for uploaded media: image size sniffing and MIME guessing.

Telegram reports width/height for photos; PTB requires them. Reading the header
of PNG/GIF/JPEG uploads gives real numbers without an imaging dependency.
"""

from __future__ import annotations

import mimetypes
import posixpath
from urllib.parse import urlsplit

_JPEG_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def image_size(data: bytes) -> tuple[int, int]:
    """``(width, height)`` of a PNG, GIF or JPEG; ``(0, 0)`` when unknown."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return 0, 0


def _jpeg_size(data: bytes) -> tuple[int, int]:
    index = 2
    length = len(data)
    while index + 9 < length:
        if data[index] != 0xFF:
            index += 1
            continue
        marker = data[index + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            index += 1 if marker == 0xFF else 2
            continue
        segment = int.from_bytes(data[index + 2 : index + 4], "big")
        if marker in _JPEG_SOF_MARKERS:
            height = int.from_bytes(data[index + 5 : index + 7], "big")
            width = int.from_bytes(data[index + 7 : index + 9], "big")
            return width, height
        index += 2 + segment
    return 0, 0


def guess_mime(filename: str | None, fallback: str = "application/octet-stream") -> str:
    """MIME type from a file name, as Telegram does for documents."""
    if filename:
        guessed = mimetypes.guess_type(filename, strict=False)[0]
        if guessed:
            return guessed
    return fallback


def filename_from_url(url: str) -> str | None:
    """Last path segment of a URL, if it looks like a file name."""
    name = posixpath.basename(urlsplit(url).path)
    return name or None


def extension_for(filename: str | None, mime_type: str | None) -> str:
    """A file extension for the simulated ``file_path``."""
    if filename:
        ext = posixpath.splitext(filename)[1]
        if ext:
            return ext
    if mime_type:
        guessed = mimetypes.guess_extension(mime_type, strict=False)
        if guessed:
            return guessed
    return ""
