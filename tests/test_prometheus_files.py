"""The files shipped for Prometheus and Grafana (deploy/prometheus, deploy/grafana) and the compose
file's Prometheus: each passes promtool, the alert rules' unit tests pass, and every metric they
name is one a live Kooch exposes."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from kooch.simulator import BotAPISimulator, SimChat, SimUser
from tests.kit import announce, eventually, free_port, press
from tests.promtool_kit import DEPLOY, ROOT, live_metrics, prometheus_or_skip, promtool
from tests.web_kit import USER_AGENTS, running_web_bot

ALERTS = DEPLOY / "prometheus" / "alerts.yml"
SCRAPE_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
DASHBOARD = DEPLOY / "grafana" / "kooch.json"
COMPOSE = ROOT / "docker-compose.yml"
DOCS = ROOT / "docs" / "metrics.md"

#: Grafana's variables, as a query would be sent with them (the test checks PromQL, not Grafana).
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$job": "kooch", "$instance": ".*"}
#: A metric name in PromQL: Kooch's and the process collectors' prefixes (``up`` is Prometheus').
METRIC_NAME = re.compile(r"\b(?:kooch|process|python)_[a-z0-9_]+\b|\bup\b")
#: The web server's port in the compose file's replicas (config.yaml's ``web.listen``).
REPLICA_PORT = 8080


def _ok(result: Any) -> None:
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alert_rules_pass_promtool_check_rules() -> None:
    _ok(promtool("check", "rules", str(ALERTS)))


def test_the_alert_rules_unit_tests_pass() -> None:
    """alerts_test.yml: each alert fires on its failure and is quiet on a healthy replica."""
    result = promtool("test", "rules", "alerts_test.yml", cwd=ALERTS.parent)
    _ok(result)
    assert "SUCCESS" in result.stdout


def _dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def _queries(dashboard: dict[str, Any], rate_interval: str = "5m") -> list[tuple[str, str]]:
    """(panel title, PromQL with Grafana's variables filled in) for every target of every panel."""
    found = []
    variables = {**GRAFANA_VARIABLES, "$__rate_interval": rate_interval}
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            for variable, value in variables.items():
                expr = expr.replace(variable, value)
            found.append((panel["title"], expr))
    return found


def test_the_dashboard_has_what_grafana_loads() -> None:
    dashboard = _dashboard()
    assert isinstance(dashboard["schemaVersion"], int) and dashboard["schemaVersion"] >= 36
    assert dashboard["title"] == "Kooch" and dashboard["uid"]
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert (variables["datasource"]["type"], variables["datasource"]["query"]) == ("datasource", "prometheus")
    assert {"job", "instance"} <= set(variables)
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    titles = " ".join(p["title"] for p in dashboard["panels"]).lower()
    for subject in ["taps", "moved", "clicks", "campaign", "latency", "errors", "queue"]:
        assert subject in titles, subject
    taken: dict[tuple[int, int], str] = {}
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24 and grid["h"] > 0, panel["title"]
        for cell in itertools.product(
            range(grid["x"], grid["x"] + grid["w"]), range(grid["y"], grid["y"] + grid["h"])
        ):
            assert taken.setdefault(cell, panel["title"]) == panel["title"], (
                f"{panel['title']} over {taken[cell]}"
            )
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip() and target["refId"], panel["title"]


def test_every_dashboard_query_is_valid_promql(tmp_path: Path) -> None:
    """Each query as a recording rule: ``promtool check rules`` parses every expression."""
    queries = _queries(_dashboard())
    rules = [{"record": f"kooch_dashboard:query_{i}", "expr": expr} for i, (_, expr) in enumerate(queries)]
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}), encoding="utf-8")
    result = promtool("check", "rules", str(path))
    _ok(result)
    assert f"{len(rules)} rules found" in result.stdout


async def test_the_dashboard_and_the_alerts_name_only_metrics_kooch_exposes(
    sim: BotAPISimulator, tmp_path: Path
) -> None:
    exposed = _exposed_names(await live_metrics(sim, tmp_path)) | {"up"}
    alerts = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    exprs = [rule["expr"] for group in alerts["groups"] for rule in group["rules"]]
    exprs += [expr for _title, expr in _queries(_dashboard())]
    named = {name for expr in exprs for name in METRIC_NAME.findall(expr)}
    assert named - exposed == set()
    # Each of Kooch's series is on the dashboard; the process ones it does not all need, and an
    # ``_info`` metric is labels to join (kooch_build_info's version), not a figure to plot.
    plotted = {n for n in exposed if n.startswith("kooch_") and not n.endswith(("_info", "_sum", "_count"))}
    assert plotted - named - {n.removesuffix("_bucket") for n in named} == set()


def _exposed_names(exposition: str) -> set[str]:
    """Every sample name a scrape can have, from its ``# TYPE`` lines: a labelled family that has
    counted nothing yet (no error so far) has no sample but is declared."""
    names = set()
    for line in exposition.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            names.add(name)
            if kind == "histogram":
                names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
            elif kind == "summary":
                names |= {f"{name}_sum", f"{name}_count"}
    return names


def test_prometheus_in_the_scale_profile_scrapes_each_replica_not_the_balancer() -> None:
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services = compose["services"]
    replicas = {
        name
        for name, service in services.items()
        if "scale" in service.get("profiles", []) and "KOOCH_DATABASE_URL" in service.get("environment", {})
    }
    assert replicas == {"kooch-1", "kooch-2", "kooch-3"}
    prometheus = services["prometheus"]
    assert prometheus["profiles"] == ["scale"]
    assert "./deploy/prometheus:/etc/prometheus:ro" in prometheus["volumes"]
    assert set(prometheus["depends_on"]) == replicas
    assert "kooch-prometheus" in compose["volumes"]

    config = yaml.safe_load(SCRAPE_CONFIG.read_text(encoding="utf-8"))
    (job,) = [c for c in config["scrape_configs"] if c["job_name"] == "kooch"]
    targets = {t for static in job["static_configs"] for t in static["targets"]}
    assert targets == {f"{name}:{REPLICA_PORT}" for name in replicas}
    assert "haproxy" not in json.dumps(config)
    assert config["rule_files"] == ["alerts.yml"]
    _ok(promtool("check", "config", str(SCRAPE_CONFIG)))


@asynccontextmanager
async def prometheus_scraping(target: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A real Prometheus scraping ``target`` every second with the shipped alert rules; yields a
    client of its HTTP API once it holds three scrapes (enough for the dashboard's rates)."""
    port = free_port()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(ALERTS)],
        "scrape_configs": [{"job_name": "kooch", "static_configs": [{"targets": [target]}]}],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    log = tmp_path / "prometheus.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            prometheus_or_skip(),
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    scrapes = {"query": 'count_over_time(up{job="kooch"}[1m])'}
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as api:

            async def scraped_thrice() -> bool:
                assert process.returncode is None, log.read_text()
                try:
                    answer = await api.get("/api/v1/query", params=scrapes)
                    result = answer.json()["data"]["result"] if answer.status_code == 200 else []
                except httpx.TransportError:
                    result = []
                return bool(result) and float(result[0]["value"][1]) >= 3

            # Prometheus is another process scraping every second: asked every 0.2 s.
            await eventually(scraped_thrice, "three scrapes of Kooch", every=0.2)
            yield api
    finally:
        process.terminate()
        await process.wait()


async def test_every_dashboard_query_and_alert_runs_on_a_prometheus_scraping_a_live_kooch(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, tmp_path: Path
) -> None:
    """The dashboard as Grafana would query it: every target answers, and the panels about what
    happened (a tap, a click, the queues, the replica) have series."""
    android = next(ua for name, ua, _, _ in USER_AGENTS if name == "android-chrome")
    async with running_web_bot(sim, tmp_path) as (_app, web), httpx.AsyncClient(base_url=web.url) as client:
        await announce(sim, operator)
        await press(sim, sim.add_user("A", "fa"), channel.id, sim.messages(channel.id)[0], "ack:demo")
        await client.get("/go/soroush?c=demo", headers={"User-Agent": android})
        async with prometheus_scraping(f"127.0.0.1:{web.port}", tmp_path) as api:
            # A tap while Prometheus watches: the rates are above 0 once a scrape has it.
            await press(sim, sim.add_user("B", "fa"), channel.id, sim.messages(channel.id)[0], "ack:demo")
            await _until(api, 'kooch_updates_total{type="callback_query"} >= 3')
            answers: dict[str, list[dict[str, Any]]] = {}
            for title, expr in _queries(_dashboard(), rate_interval="1m"):
                body = (await api.get("/api/v1/query", params={"query": expr})).json()
                assert body["status"] == "success", (title, expr, body)
                answers.setdefault(title, []).extend(body["data"]["result"])
            rules = (await api.get("/api/v1/rules")).json()["data"]["groups"]
            # docs/metrics.md's join: the replica's name and role on its series, values kept.
            join = DOCS.read_text(encoding="utf-8").split("```promql\n")[1].split("```")[0]
            joined = (await api.get("/api/v1/query", params={"query": join})).json()["data"]["result"]
    for title in [
        "Moved (acknowledgements stored)",
        "Replicas up",
        "Taps per second, by replica",
        "Moved, by channel",
        "Clicks per second, by platform",
        "HTTP requests per second, by route and code",
        "Queue depths",
        "Open file descriptors",
    ]:
        assert answers[title], title
    (replica,) = answers["Replicas and roles"]
    (updates,) = joined
    assert updates["metric"]["role"] == "leader" and float(updates["value"][1]) > 0
    assert replica["metric"]["role"] == "leader" and replica["value"][1] == "1"
    assert {rule["name"]: rule["health"] for group in rules for rule in group["rules"]} == {
        name: "ok" for name in _alert_names()
    }


async def _until(api: httpx.AsyncClient, query: str) -> None:
    """Return once ``query`` has a result in Prometheus (a scrape brought what it asks for)."""

    async def answered() -> object:
        return (await api.get("/api/v1/query", params={"query": query})).json()["data"]["result"]

    # Prometheus scrapes every second, in another process: nothing to wait on here but asking.
    await eventually(answered, f"Prometheus answering {query}", every=0.2)


def _alert_names() -> list[str]:
    alerts = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return [rule["alert"] for group in alerts["groups"] for rule in group["rules"]]
