"""The files shipped for Prometheus and Grafana (deploy/prometheus, deploy/grafana) and the compose
file's Prometheus: each passes promtool, the alert rules' unit tests pass, and every metric they
name is one a live Kooch exposes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from kooch.simulator import BotAPISimulator
from tests.promtool_kit import DEPLOY, ROOT, live_metrics, promtool

ALERTS = DEPLOY / "prometheus" / "alerts.yml"
SCRAPE_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
DASHBOARD = DEPLOY / "grafana" / "kooch.json"
COMPOSE = ROOT / "docker-compose.yml"

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


def _queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title, PromQL with Grafana's variables filled in) for every target of every panel."""
    found = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            for variable, value in GRAFANA_VARIABLES.items():
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
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24 and grid["h"] > 0, panel["title"]
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
