"""Local web servers for the link checks' tests: plain HTTP with one route per verdict, HTTPS
with a self-signed certificate made here, a port nobody listens on, and a server that accepts
connections and never answers."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Seen:
    """What the test server received: each request's path and headers."""

    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    #: The status /flaky answers (a test flips it).
    flaky: int = 200


def app(seen: Seen) -> web.Application:
    async def record(request: web.Request) -> None:
        seen.requests.append((request.path, dict(request.headers)))

    async def ok(request: web.Request) -> web.Response:
        await record(request)
        return web.Response(text="welcome " * 50_000)  # larger than the body cap

    async def status(request: web.Request) -> web.Response:
        await record(request)
        return web.Response(status=int(request.match_info["code"]), text="no")

    async def away(request: web.Request) -> web.Response:
        # The same server under another name: "localhost" is not the configured 127.0.0.1.
        await record(request)
        port = request.url.port
        raise web.HTTPMovedPermanently(f"http://localhost:{port}/ok")

    async def here(request: web.Request) -> web.Response:
        await record(request)
        response = web.HTTPMovedPermanently("/ok")
        response.set_cookie("tracking", "1")
        raise response

    async def loop(request: web.Request) -> web.Response:
        await record(request)
        raise web.HTTPFound("/loop")

    async def flaky(request: web.Request) -> web.Response:
        await record(request)
        return web.Response(status=seen.flaky, text="flaky")

    application = web.Application()
    application.add_routes(
        [
            web.get("/ok", ok),
            web.get("/status/{code}", status),
            web.get("/away", away),
            web.get("/here", here),
            web.get("/loop", loop),
            web.get("/flaky", flaky),
        ]
    )
    return application


@asynccontextmanager
async def serving(seen: Seen, ssl_context: ssl.SSLContext | None = None) -> AsyncIterator[str]:
    """The test app on a free loopback port; yields its root URL (http:// or https://)."""
    runner = web.AppRunner(app(seen))
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    site = web.SockSite(runner, sock, ssl_context=ssl_context)
    await site.start()
    try:
        yield f"{'https' if ssl_context else 'http'}://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


LOOPBACK = ipaddress.ip_address("127.0.0.1")


def self_signed(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context with a fresh self-signed certificate for 127.0.0.1, and the PEM file (a
    client that trusts it is what proves the TLS check is a verification, not a refusal)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(LOOPBACK)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@asynccontextmanager
async def silent_server() -> AsyncIterator[str]:
    """Accepts connections and never answers; yields its URL."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()
