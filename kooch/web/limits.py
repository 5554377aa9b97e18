"""What the public web server allows a connection: time for its headers and body, and a place
under the connection cap.

The server shares its process and event loop with the bot, so a client may never hold on to what
the bot needs: file descriptors (a flood of idle sockets must not exhaust them, or ``accept()``
fails for everyone, ``/healthz`` included) and time (see :mod:`kooch.web.cache`).

* **Headers.** aiohttp's ``keepalive_timeout`` is armed when a connection opens and again when a
  response has been sent, and closes the connection if no complete request has arrived by then:
  it is the deadline for a request's headers as well as for an idle keep-alive connection (a
  slow-header client gets cut as surely as a silent one; tests/hostile checks that it stays so).
* **Bodies.** The one route that reads a body (the webhook) reads it within
  :attr:`Limits.body_timeout`; an unread body is drained for at most :attr:`Limits.linger`.
* **Connections.** :class:`ConnectionGate` counts the open connections. At the cap a new
  connection closes the one idle the longest (a flood of idle sockets only replaces itself, and a
  new client still gets in); when every connection is inside a request, the new one gets a
  ``503`` at once. The cap sits below the open-file limit, which :func:`raise_open_file_limit`
  first lifts to the hard limit.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import resource
import socket
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from kooch.web.calm import Calm

log = logging.getLogger(__name__)

#: The share of the open-file limit the web server's connections may take; the rest is the
#: bot's own (the database, the Bot API connection pools, the config watcher, the logs).
CAP_SHARE = 0.8
#: The cap, however high the open-file limit: every connection costs memory too, and a busy
#: channel's visitors need far fewer at once (a page or a redirect takes milliseconds).
CAP_CEILING = 4096
#: Without a hard limit (RLIM_INFINITY), the soft limit is raised this far.
UNLIMITED_TARGET = 65536
#: At most one log line about the cap per this many seconds, however hard it is hit.
REPORT_EVERY_S = 60.0
#: Connections accepted per wake-up of the event loop (the rest wait in the kernel's backlog).
ACCEPT_BATCH = 16
#: accept() errors that mean the process is out of file descriptors or memory, and how long to
#: stop accepting after one (asyncio's own loop waits 1 s, and logs a traceback each time).
RESOURCE_ERRORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
RESOURCE_RETRY_S = 1.0

#: Sent to a connection refused at the cap, before it is closed.
REFUSED = (
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nCache-Control: no-store\r\n"
    b"Content-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nbusy\n"
)


@dataclass(frozen=True)
class Limits:
    """The web server's limits per connection and in total."""

    #: From a connection's start, or the end of its last response, to a complete request line
    #: and headers; also how long an idle keep-alive connection stays open.
    header_timeout: float = 10.0
    #: To read a request body, once the headers are in (the webhook's updates are small).
    body_timeout: float = 10.0
    #: How long a body the route did not read is drained before the connection closes.
    linger: float = 2.0
    #: Open connections at most; None: :data:`CAP_SHARE` of the open-file limit, at most
    #: :data:`CAP_CEILING`.
    max_connections: int | None = None
    #: Connections the kernel queues before they are accepted (a burst of clicks after a post).
    backlog: int = 1024
    #: aiohttp's limits on the request line, each header line, and the number of headers.
    max_line_size: int = 8190
    max_field_size: int = 8190
    max_headers: int = 64


def raise_open_file_limit() -> int:
    """Lift the soft ``RLIMIT_NOFILE`` to the hard limit (no privilege needed); the soft limit
    in force afterwards. A container's default soft limit (often 1,024) is what a flood of
    connections would exhaust first."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = UNLIMITED_TARGET if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError) as exc:
            log.warning("could not raise the open-file limit from %d to %d: %s", soft, target, exc)
            return soft
        log.info("open-file limit raised from %d to %d", soft, target)
        return target
    return soft


def connection_cap(limits: Limits) -> int:
    """The connection cap: the configured one, else a share of the current open-file limit."""
    if limits.max_connections is not None:
        return limits.max_connections
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return CAP_CEILING
    return max(1, min(CAP_CEILING, int(soft * CAP_SHARE)))


class ConnectionGate:
    """The open connections, the one idle the longest first; admits a new one under the cap."""

    def __init__(self, cap: int, on_limit: Callable[[str], None] | None = None) -> None:
        self.cap = cap
        #: Closed to make room for a new connection, since the start.
        self.evicted = 0
        #: Turned away with a 503 (every connection was inside a request), since the start.
        self.refused = 0
        self._on_limit = on_limit
        # Least recently active first: a connection moves to the end when it sends data or a
        # request of it is answered.
        self._open: OrderedDict[asyncio.BaseTransport, _Guarded] = OrderedDict()
        self._reported_at: float | None = None
        #: accept() failures for want of file descriptors or memory, since the start.
        self.starved = 0
        self._starved_reported_at: float | None = None

    @property
    def open(self) -> int:
        return len(self._open)

    def admit(self, conn: _Guarded) -> bool:
        """Make room for ``conn`` (closing the connection idle the longest) or refuse it."""
        if len(self._open) >= self.cap:
            victim = next((c for c in self._open.values() if c.requests == 0), None)
            if victim is None:
                self.refused += 1
                self._limit_reached("web_connection_refused")
                return False
            self.leave(victim.transport)
            victim.evict()
            self.evicted += 1
            self._limit_reached("web_connection_evicted")
        assert conn.transport is not None
        self._open[conn.transport] = conn
        return True

    def touch(self, transport: asyncio.BaseTransport | None) -> None:
        if transport is not None and transport in self._open:
            self._open.move_to_end(transport)

    def leave(self, transport: asyncio.BaseTransport | None) -> None:
        if transport is not None:
            self._open.pop(transport, None)

    @contextmanager
    def handling(self, transport: asyncio.BaseTransport | None) -> Iterator[None]:
        """A request on ``transport`` is being handled: its connection is not idle meanwhile."""
        conn = self._open.get(transport) if transport is not None else None
        if conn is not None:
            conn.requests += 1
        try:
            yield
        finally:
            if conn is not None:
                conn.requests -= 1
                self.touch(transport)

    def out_of_resources(self, exc: OSError) -> None:
        """accept() failed for want of file descriptors or memory: counted, and reported at most
        once a minute (not a traceback per attempt)."""
        self.starved += 1
        if self._on_limit is not None:
            self._on_limit("web_accept_out_of_resources")
        now = asyncio.get_running_loop().time()
        if self._starved_reported_at is None or now - self._starved_reported_at >= REPORT_EVERY_S:
            self._starved_reported_at = now
            log.warning(
                "web server cannot accept connections (%s) with %d open; %d times so far",
                exc.strerror or exc,
                len(self._open),
                self.starved,
            )

    def _limit_reached(self, kind: str) -> None:
        if self._on_limit is not None:
            self._on_limit(kind)
        now = asyncio.get_running_loop().time()
        if self._reported_at is None or now - self._reported_at >= REPORT_EVERY_S:
            self._reported_at = now
            log.warning(
                "web server at its cap of %d connections: %d idle ones closed and %d refused so far",
                self.cap,
                self.evicted,
                self.refused,
            )


class _Guarded(asyncio.Protocol):
    """One connection: admitted by the gate, then handed to aiohttp's protocol unchanged."""

    def __init__(self, gate: ConnectionGate, server: web.Server) -> None:
        self._gate = gate
        self._server = server
        self._inner: web.RequestHandler | None = None
        self.transport: asyncio.Transport | None = None
        #: Requests of this connection being handled now (an idle connection has none).
        self.requests = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if not self._gate.admit(self):
            transport.write(REFUSED)
            transport.close()
            return
        self._inner = self._server()
        self._inner.connection_made(transport)

    def evict(self) -> None:
        if self.transport is not None:
            self.transport.abort()  # at once: the point is to free its file descriptor

    def data_received(self, data: bytes) -> None:
        if self._inner is not None:
            self._gate.touch(self.transport)
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        if self._inner is not None:
            self._inner.eof_received()
        return None  # as aiohttp's protocol: the transport closes once the response is out

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._gate.leave(self.transport)
        if self._inner is not None:
            self._inner.connection_lost(exc)
            self._inner = None


class GuardedSite(web.BaseSite):
    """aiohttp's TCP site, with every connection passing ``gate`` first, accepted by Kooch.

    asyncio accepts as many connections per wake-up as the listen backlog: with 1,024 a burst (a
    thousand browsers at once, or slowloris sockets reconnecting after a cut) is one callback of
    a thousand handshakes while taps wait. Here the socket listens with the full backlog, and
    :meth:`_accept` takes at most :data:`ACCEPT_BATCH` per wake-up; while ``calm`` says the loop
    is behind, it stops accepting until the loop catches up (at most ``calm.max_wait_s``), so a
    burst waits in the kernel's queue, where it costs the bot nothing, and is taken in slices
    between the taps' work.
    """

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str,
        port: int,
        gate: ConnectionGate,
        backlog: int,
        calm: Calm | None = None,
    ) -> None:
        super().__init__(runner, backlog=backlog)
        self._host = host
        self._port = port
        self._gate = gate
        self._calm = calm
        #: Accepted sockets whose transport is being made (a task each, as in asyncio's own loop).
        self._pending: set[asyncio.Task[Any]] = set()
        self._resume: asyncio.TimerHandle | asyncio.Task[None] | None = None
        self._serving = False
        #: Times accepting stopped because the loop was behind, since the start; and set from the
        #: first such stop on (what a test waits for).
        self.paused = 0
        self.has_paused = asyncio.Event()
        self._factory: Callable[[], _Guarded] | None = None
        self._sockets: list[socket.socket] = []

    @property
    def name(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        gate = self._gate
        loop = asyncio.get_running_loop()

        def factory() -> _Guarded:
            return _Guarded(gate, server)

        self._factory = factory
        ipv6 = ":" in self._host
        listening = socket.create_server(
            (self._host, self._port),
            family=socket.AF_INET6 if ipv6 else socket.AF_INET,
            backlog=self._backlog,
        )
        listening.setblocking(False)
        self._sockets = [listening]
        # The server object is what aiohttp's runner reads the address from and closes; it never
        # accepts (start_serving=False): _accept does.
        self._server = await loop.create_server(factory, sock=listening, start_serving=False)
        self._serving = True
        self._listen(listening)

    async def stop(self) -> None:
        self._serving = False
        self._cancel_resume()
        for listening in self._sockets:
            asyncio.get_running_loop().remove_reader(listening.fileno())
        await super().stop()
        for task in list(self._pending):
            task.cancel()

    @property
    def accepting(self) -> bool:
        """Whether new connections are being accepted now (not stopped for a lagging loop)."""
        return self._serving and self._resume is None

    def _listen(self, listening: socket.socket) -> None:
        if self._serving:
            asyncio.get_running_loop().add_reader(listening.fileno(), self._accept, listening)

    def _accept(self, listening: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        factory = self._factory
        assert factory is not None
        for _ in range(ACCEPT_BATCH):
            try:
                conn, _address = listening.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return
            except OSError as exc:
                if exc.errno not in RESOURCE_ERRORS:
                    raise
                # Out of file descriptors or memory: the cap should prevent it, but if the rest
                # of the process used them up, wait instead of spinning on the same error.
                self._gate.out_of_resources(exc)
                self._pause(loop, listening, RESOURCE_RETRY_S)
                return
            conn.setblocking(False)
            task = loop.create_task(self._connect(loop, factory, conn))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
        calm = self._calm
        if calm is not None and calm.behind:
            self._pause(loop, listening, None)

    @staticmethod
    async def _connect(
        loop: asyncio.AbstractEventLoop, factory: Callable[[], _Guarded], conn: socket.socket
    ) -> None:
        try:
            await loop.connect_accepted_socket(factory, conn)
        except OSError:  # the client left before its transport was made
            conn.close()

    def _pause(self, loop: asyncio.AbstractEventLoop, listening: socket.socket, delay: float | None) -> None:
        """Stop accepting for ``delay`` seconds, or (None) until the loop is calm again."""
        loop.remove_reader(listening.fileno())
        self._cancel_resume()
        if delay is not None:
            self._resume = loop.call_later(delay, self._listen, listening)
            return
        calm = self._calm
        assert calm is not None
        self.paused += 1
        self.has_paused.set()

        async def when_calm() -> None:
            await calm.settled()
            self._resume = None
            self._listen(listening)

        self._resume = loop.create_task(when_calm(), name="kooch-web-accept-resume")

    def _cancel_resume(self) -> None:
        if self._resume is not None:
            self._resume.cancel()
            self._resume = None
