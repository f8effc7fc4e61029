"""docker-compose.cluster.yml and deploy/k8s/ (issue 14): the cluster runs what the single-host
file runs, on every node, and the manifests are valid Kubernetes 1.30 objects (kubernetes-validate,
strict: an unknown field fails) with probes, disruption budgets and secrets for every service."""
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.unit.test_deployment import ComposeLoader

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = "1.30"
SERVICES = ("pairing", "activity", "summary", "notification", "gateway")
MANIFESTS = sorted((ROOT / "deploy" / "k8s").glob("*.yaml"))


@pytest.fixture(scope="module")
def cluster_compose():
    return yaml.load((ROOT / "docker-compose.cluster.yml").read_text(), Loader=ComposeLoader)


@pytest.fixture(scope="module")
def objects():
    return [document for path in MANIFESTS for document in yaml.safe_load_all(path.read_text()) if document]


def test_the_cluster_compose_runs_three_brokers_a_sentinel_redis_and_two_of_every_service(cluster_compose):
    names = set(cluster_compose["services"])
    assert {"rabbitmq1", "rabbitmq2", "rabbitmq3", "redis-primary", "redis-replica", "sentinel1", "sentinel2",
            "sentinel3", "topology"} <= names
    assert {f"{name}-{n}" for name in SERVICES for n in (1, 2)} <= names


def test_every_cluster_service_is_given_every_broker_node_and_the_sentinels(cluster_compose):
    for name in SERVICES:
        environment = cluster_compose["services"][f"{name}-1"]["environment"]
        assert environment["AMQP_URI"].count(";") == 2
        assert environment["REDIS_SENTINELS"].count(",") == 2 and environment["REDIS_WAIT_REPLICAS"] == "1"


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda path: path.name)
def test_each_manifest_is_a_valid_kubernetes_object(path):
    for document in yaml.safe_load_all(path.read_text()):
        kubernetes_validate.validate(document, KUBERNETES, strict=True)


def test_each_service_has_probes_on_health_a_budget_and_its_own_secret(objects):
    kinds = {(obj["kind"], obj["metadata"]["name"]) for obj in objects}
    for name in SERVICES:
        assert {("Deployment", name), ("PodDisruptionBudget", name), ("Secret", f"leifeng-{name}")} <= kinds
        deployment = next(obj for obj in objects if obj["kind"] == "Deployment" and obj["metadata"]["name"] == name)
        assert deployment["spec"]["replicas"] >= 2
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["readinessProbe"]["httpGet"]["path"] == container["livenessProbe"]["httpGet"]["path"] == "/health"
        assert set(container["resources"]) == {"requests", "limits"}


def test_no_manifest_holds_a_real_secret(objects):
    for obj in objects:
        if obj["kind"] == "Secret":
            assert all(value.startswith("REPLACE") for value in obj["stringData"].values())
