"""Prometheus metrics for ``/metrics``, each :class:`Metrics` with its own ``CollectorRegistry``.

No global registry: the tests run several bots and servers in one process, and each must count
only its own. The Bot API calls are timed by :class:`kooch.telegram.request.InstrumentedRequest`;
updates and errors are counted by the handlers (``handlers.errors``, ``handlers.metrics``).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from kooch import version
from kooch.clock import SYSTEM, Clock


class Metrics:
    """Kooch's counters; :attr:`registry` is what ``/metrics`` exposes."""

    def __init__(self, clock: Clock = SYSTEM) -> None:
        self.clock = clock
        # Each label set's child, looked up once: prometheus_client's labels() takes a lock and
        # builds a key on every call, and every tap counts an update and an API call.
        self._update_children: dict[str, Counter] = {}
        self._api_children: dict[tuple[str, str], tuple[Counter, Histogram]] = {}
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.updates = Counter("kooch_updates", "Telegram updates processed, by type", ["type"], registry=r)
        self.acknowledgements = Gauge(
            "kooch_acknowledgements",
            "Acknowledgements stored (the 'I've moved' taps), by channel; read at scrape time",
            ["channel"],
            registry=r,
        )
        self.clicks = Counter(
            "kooch_clicks",
            "Clicks on redirect links by people (bots and link previews excluded)",
            ["service", "platform"],
            registry=r,
        )
        self.bot_clicks = Counter(
            "kooch_bot_clicks",
            "Requests to redirect links by bots and link previews (not counted as clicks)",
            ["service"],
            registry=r,
        )
        self.errors = Counter("kooch_errors", "Errors, by kind", ["kind"], registry=r)
        self.api_calls = Counter(
            "kooch_bot_api_calls",
            "Bot API calls, by method and HTTP status",
            ["method", "status"],
            registry=r,
        )
        self.api_latency = Histogram(
            "kooch_bot_api_latency_seconds",
            "Bot API call latency, by method (getUpdates includes the long-poll wait)",
            ["method"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
            registry=r,
        )
        self.last_update = Gauge(
            "kooch_last_update_timestamp_seconds", "When the last update was processed", registry=r
        )
        #: Unix time of the last update processed (None before the first one).
        self.last_update_at: float | None = None
        # Several replicas behind one load balancer: a scraper joins every series of one process
        # to its name and role through this one (``* on(instance) group_left(replica, role)``).
        self.replica_info = Gauge(
            "kooch_replica_info",
            "This process: its replica name, its role (leader or follower) and its term (epoch)",
            ["replica", "role"],
            registry=r,
        )

        # Which Kooch this is, for a dashboard to show and a join to add (``* on(instance)
        # group_left(version) kooch_build_info``); always 1.
        self.build_info = Gauge(
            "kooch_build_info",
            "The running Kooch: its version and the commit it was built from; always 1",
            ["version", "revision"],
            registry=r,
        )
        build = version.build()
        self.build_info.labels(build.version, build.revision).set(1)

    def observe_role(self, replica: str, role: str, epoch: int | None) -> None:
        """The role now: one series, the other role's removed (a follower that was leader)."""
        self.replica_info.clear()
        self.replica_info.labels(replica, role).set(epoch or 0)

    def observe_update(self, kind: str) -> None:
        """An update of ``kind`` (message, callback_query, ...) was processed."""
        child = self._update_children.get(kind)
        if child is None:
            child = self._update_children[kind] = self.updates.labels(kind)
        child.inc()
        self.last_update_at = self.clock.now()
        self.last_update.set(self.last_update_at)

    def observe_api_call(self, method: str, status: str, seconds: float) -> None:
        children = self._api_children.get((method, status))
        if children is None:
            children = self._api_children[(method, status)] = (
                self.api_calls.labels(method, status),
                self.api_latency.labels(method),
            )
        children[0].inc()
        children[1].observe(seconds)

    def observe_error(self, kind: str) -> None:
        self.errors.labels(kind).inc()
