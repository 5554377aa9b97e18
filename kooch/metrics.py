"""Prometheus metrics for ``/metrics``, each :class:`Metrics` with its own ``CollectorRegistry``.

No global registry: the tests run several bots and servers in one process, and each must count
only its own. The Bot API calls are timed by :class:`kooch.telegram.request.InstrumentedRequest`;
updates and errors are counted by the handlers (``handlers.errors``, ``handlers.counting``); HTTP
requests by the web server's middleware (:mod:`kooch.web.server`). The process's own figures
(open file descriptors, memory, CPU, the garbage collector) come from prometheus_client's
collectors, and the queues' depths are read when ``/metrics`` is scraped (:class:`QueueDepths`):
nothing is counted per update for them. docs/metrics.md says what each series means.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from kooch import version
from kooch.clock import SYSTEM, Clock

#: The HTTP server's latency buckets: redirects and the webhook take milliseconds, a page
#: rendered for a new config version (QR codes) some tens.
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class QueueDepths(Collector):
    """``kooch_queue_depth{queue}``: each queue's length, read when ``/metrics`` is scraped.

    The queues (the update lanes, the store's writer, the intake, the clicks' buffer) register a
    function that reads their length (:meth:`Metrics.watch_queue`); the tap path does no work for
    this metric.
    """

    NAME = "kooch_queue_depth"
    HELP = "Items waiting in each of Kooch's queues, read at scrape time"

    def __init__(self) -> None:
        self.sources: dict[str, Callable[[], int]] = {}

    def describe(self) -> Iterable[Metric]:
        return [GaugeMetricFamily(self.NAME, self.HELP, labels=["queue"])]

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(self.NAME, self.HELP, labels=["queue"])
        for queue, depth in self.sources.items():
            family.add_metric([queue], depth())
        yield family


class Metrics:
    """Kooch's counters; :attr:`registry` is what ``/metrics`` exposes."""

    def __init__(self, clock: Clock = SYSTEM) -> None:
        self.clock = clock
        # Each label set's child, looked up once: prometheus_client's labels() takes a lock and
        # builds a key on every call, and every tap counts an update and an API call.
        self._update_children: dict[str, Counter] = {}
        self._api_children: dict[tuple[str, str], tuple[Counter, Histogram]] = {}
        self._http_children: dict[tuple[str, str], tuple[Counter, Histogram]] = {}
        # No ``*_created`` series beside every counter and histogram: they double what a scrape
        # stores and no query here reads them (a process-wide switch of prometheus_client).
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        # process_* (open file descriptors: what the web server's connection cap manages, memory,
        # CPU), python_info and python_gc_*, as every Python exporter has them.
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        GCCollector(registry=r)
        self.queues = QueueDepths()
        r.register(self.queues)
        # Registered in this order, which /metrics lists them in.
        self._bot_series(r)
        self._replica_series(r)
        self._http_series(r)
        self._build_series(r)

    def _bot_series(self, r: CollectorRegistry) -> None:
        """What the bot does: updates, taps stored, clicks, errors, campaigns, Bot API calls."""
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
        self.campaign_messages = Counter(
            "kooch_campaign_messages",
            "Campaign and reminder messages, by final outcome (sent, unreachable, failed)",
            ["outcome"],
            registry=r,
        )
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

    def _http_series(self, r: CollectorRegistry) -> None:
        """The web server's requests, by route template."""
        self.http_requests = Counter(
            "kooch_http_requests",
            "HTTP requests served, by route template (never the raw path) and status code",
            ["route", "code"],
            registry=r,
        )
        self.http_duration = Histogram(
            "kooch_http_request_duration_seconds",
            "Time from a request's headers to its response, by route template",
            ["route"],
            buckets=HTTP_BUCKETS,
            registry=r,
        )

    def _replica_series(self, r: CollectorRegistry) -> None:
        """This process: its replica, its role, its leader term, its build."""
        # Several replicas behind one load balancer: a scraper joins every series of one process
        # to its name and role through this one (``* on(instance) group_left(replica, role)``),
        # so its value is 1, as every ``_info`` metric's: a join multiplies by it.
        self.replica_info = Gauge(
            "kooch_replica_info",
            "This process: its replica name and its role (leader or follower); always 1",
            ["replica", "role"],
            registry=r,
        )
        self.leader_term = Gauge(
            "kooch_leader_term",
            "The leader's term (epoch) while this replica leads; 0 while it follows",
            registry=r,
        )

    def _build_series(self, r: CollectorRegistry) -> None:
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
        self.replica_info.labels(replica, role).set(1)
        self.leader_term.set((epoch or 0) if role == "leader" else 0)

    def watch_queue(self, queue: str, depth: Callable[[], int]) -> None:
        """Report ``depth()`` as ``kooch_queue_depth{queue=...}`` at each scrape."""
        self.queues.sources[queue] = depth

    def observe_http(self, route: str, code: int, seconds: float) -> None:
        """One HTTP request to ``route`` (its template, e.g. ``/go/{service}``) answered ``code``."""
        key = (route, str(code))
        children = self._http_children.get(key)
        if children is None:
            children = self._http_children[key] = (
                self.http_requests.labels(route, key[1]),
                self.http_duration.labels(route),
            )
        children[0].inc()
        children[1].observe(seconds)

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

    def observe_campaign_message(self, outcome: str) -> None:
        """One recipient of a campaign done with: ``outcome`` is its final state."""
        self.campaign_messages.labels(outcome).inc()

    def observe_error(self, kind: str) -> None:
        self.errors.labels(kind).inc()
