"""deploy/monitoring/: Prometheus' scrape config and alert rules valid for promtool, an alert for
every case of issue 15 with its runbook entry in docs/operations.md, and a dashboard that queries
only the services' own metrics (that they export them: tests/e2e/test_observability.py)."""
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
# Issue 15's cases: a dead letter; a consumer queue without a consumer / growing for 10 minutes; the
# outbox's oldest entry older than a minute; a service unhealthy; RPC errors or p99 latency; webhook
# failures; overdue issues growing.
CASES = {"DeadLetterAppeared", "ConsumerQueueWithoutConsumer", "ConsumerQueueGrowing", "OutboxStuck",
         "ServiceDown", "ServiceNotConsuming", "RpcErrorRatioHigh", "RpcLatencyHigh",
         "WebhookDeliveriesFailing", "OverdueIssuesGrowing"}


def promtool(*args):
    if shutil.which("promtool") is None:
        pytest.fail("promtool is not installed: apt-get install prometheus (scripts/test-tools.sh does)")
    return subprocess.run(["promtool", *args], cwd=MONITORING, capture_output=True, text=True, timeout=60)


def rules():
    groups = yaml.safe_load((MONITORING / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_the_scrape_config_is_valid():
    result = promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alert_rules_are_valid():
    result = promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_services_and_rabbitmqs_own_endpoint_are_scraped():
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    targets = {target for job in config["scrape_configs"] for group in job["static_configs"]
               for target in group["targets"]}
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    services = {f"{name}:{spec['environment']['WEB_SERVER_ADDRESS'].rsplit(':', 1)[1]}"
                for name, spec in compose.items() if "WEB_SERVER_ADDRESS" in spec.get("environment", {})}
    assert services | {"rabbitmq:15692"} == targets


def anchor(heading):
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_case_has_an_alert_with_a_runbook_entry():
    operations = (ROOT / "docs" / "operations.md").read_text()
    anchors = {anchor(line.lstrip("#")) for line in operations.splitlines() if line.startswith("#")}
    assert {rule["alert"] for rule in rules()} == CASES
    for rule in rules():
        runbook = rule["annotations"]["runbook"]
        assert runbook.startswith("docs/operations.md#") and runbook.split("#")[1] in anchors, rule["alert"]


def dashboard_queries():
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def metric_names(expr):
    """The metric names a PromQL query reads (ours all start with `leifeng_`)."""
    return set(re.findall(r"\b(leifeng_[a-z_]+)\b", expr))


def test_every_dashboard_query_reads_one_of_our_metrics():
    queries = dashboard_queries()
    assert queries and all(metric_names(expr) for expr in queries)


def test_compose_enables_rabbitmqs_prometheus_endpoint():
    rabbitmq = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["rabbitmq"]
    mounts = {target: source for source, target, *_ in (volume.split(":") for volume in rabbitmq["volumes"])}
    plugins = (ROOT / mounts["/etc/rabbitmq/enabled_plugins"]).read_text()
    assert plugins == "[rabbitmq_management,rabbitmq_prometheus].\n"
    assert any(port.endswith(":15692:15692") for port in rabbitmq["ports"])
