"""/metrics as Prometheus users expect it: names promtool accepts, ``_info`` metrics at 1, the
process's own figures, HTTP requests by route template, and the queues' depths."""

from __future__ import annotations

from collections import deque
from pathlib import Path

from prometheus_client import generate_latest

from kooch.app.services import services_of
from kooch.metrics import Metrics
from kooch.simulator import BotAPISimulator, SimChat, SimUser
from tests.kit import running_bot, write_config
from tests.promtool_kit import live_metrics, promtool, sample_names
from tests.test_campaigns import FA_TEXT, campaign_config, crowd, final_tally, seed, start_campaign

QUEUES = ("operators_lane", "taps_lane", "others_lane", "store_writer", "clicks_pending", "intake_held")


async def test_a_live_scrape_passes_promtool_check_metrics(sim: BotAPISimulator, tmp_path: Path) -> None:
    text = await live_metrics(sim, tmp_path, ("/go/soroush?c=demo", "/demo", "/healthz", "/nowhere/at/all"))
    checked = promtool("check", "metrics", stdin=text)
    assert checked.returncode == 0 and not checked.stdout.strip() and not checked.stderr.strip(), (
        checked.stdout + checked.stderr
    )


async def test_process_and_python_figures_are_exposed(sim: BotAPISimulator, tmp_path: Path) -> None:
    names = sample_names(await live_metrics(sim, tmp_path))
    # Open file descriptors are what the web server's connection cap manages.
    for name in ["process_open_fds", "process_max_fds", "process_resident_memory_bytes",
                 "process_cpu_seconds_total", "python_info", "python_gc_collections_total"]:  # fmt: skip
        assert name in names, name


async def test_http_requests_are_counted_by_route_template_never_by_path(
    sim: BotAPISimulator, tmp_path: Path
) -> None:
    paths = ("/go/soroush?c=demo&s=post", "/demo", "/someone.private@example.org", "/nowhere/at/all?x=1")
    text = await live_metrics(sim, tmp_path, (*paths, "/healthz"))
    for line in [
        'kooch_http_requests_total{code="302",route="/go/{service}"} 1.0',
        'kooch_http_requests_total{code="200",route="/{channel}"} 1.0',
        # A page nobody configured: counted under its route, the path it had is not a label.
        'kooch_http_requests_total{code="404",route="/{channel}"} 1.0',
        # No route matched at all.
        'kooch_http_requests_total{code="404",route="unmatched"} 1.0',
        'kooch_http_requests_total{code="200",route="/healthz"} 1.0',
        'kooch_http_request_duration_seconds_count{route="/go/{service}"} 1.0',
        'kooch_http_request_duration_seconds_bucket{le="+Inf",route="/{channel}"} 2.0',
    ]:
        assert line in text, line
    for raw in ["someone", "example.org", "nowhere", "soroush?c", "/demo"]:
        assert raw not in text.split("# HELP kooch_http")[1], raw


async def test_every_queue_depth_is_read_at_scrape_time(sim: BotAPISimulator, tmp_path: Path) -> None:
    text = await live_metrics(sim, tmp_path, ("/go/soroush?c=demo",))
    for queue in QUEUES:
        assert f'kooch_queue_depth{{queue="{queue}"}} ' in text, queue


def test_a_queue_depth_is_its_length_when_scraped() -> None:
    metrics = Metrics()
    waiting: deque[int] = deque()
    metrics.watch_queue("taps_lane", lambda: len(waiting))
    waiting.extend([1, 2, 3])
    assert 'kooch_queue_depth{queue="taps_lane"} 3.0' in generate_latest(metrics.registry).decode()
    waiting.clear()
    assert 'kooch_queue_depth{queue="taps_lane"} 0.0' in generate_latest(metrics.registry).decode()


def test_replica_info_is_1_on_a_follower_and_the_term_has_its_own_gauge() -> None:
    """A join (``* on(instance) group_left(replica, role) kooch_replica_info``) multiplies by the
    info metric: at 0, as the term on a follower was, it zeroed every follower's series."""
    metrics = Metrics()
    metrics.observe_role("host:1", "leader", 3)
    metrics.observe_role("host:1", "follower", None)  # it lost the lock
    text = generate_latest(metrics.registry).decode()
    assert 'kooch_replica_info{replica="host:1",role="follower"} 1.0' in text
    assert 'role="leader"' not in text
    assert "kooch_leader_term 0.0" in text
    metrics.observe_role("host:1", "leader", 4)
    text = generate_latest(metrics.registry).decode()
    assert 'kooch_replica_info{replica="host:1",role="leader"} 1.0' in text
    assert "kooch_leader_term 4.0" in text


async def test_campaign_messages_are_counted_by_outcome(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, tmp_path: Path
) -> None:
    users = crowd(sim, 10)
    await seed(tmp_path / "kooch.db", users)
    for user in users[:2]:
        sim.block_bot(user)
    config = write_config(tmp_path / "config.yaml", campaign_config(tmp_path))
    async with running_bot(config, sim.token, sim.url, poll_timeout=1) as app:
        progress = await start_campaign(sim, operator, f"/remind {FA_TEXT}")
        await final_tally(sim, operator, progress.message_id)
        text = generate_latest(services_of(app).metrics.registry).decode()
    assert 'kooch_campaign_messages_total{outcome="sent"} 8.0' in text
    assert 'kooch_campaign_messages_total{outcome="unreachable"} 2.0' in text
