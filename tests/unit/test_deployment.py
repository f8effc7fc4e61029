"""The deployment files agree with config.yml, the Procfile and the contract (§2, §6):
docker-compose.yml is valid, runs every service as `make run` does (scripts/service.sh, as its own
broker and Redis user, no guest), binds its ports to localhost and sets every setting a service needs."""
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import redis
import yaml

from services.common import broker_users
from services.common.settings import load_config
from services.ops import compose_secrets, provision
from tests.helpers import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
# Contract §2: the port of each service's WEB_SERVER_ADDRESS.
CONTRACT_PORTS = {"pairing": 8001, "activity": 8002, "summary": 8003, "notification": 8004}
# Contract §7: the HTTP gateway's GATEWAY_PORT default; it runs like a service.
PROCESS_PORTS = {**CONTRACT_PORTS, "gateway": 8080}
# The host port docker-compose.yml publishes each on: the gateway's is GATEWAY_PORT, as in the Procfile.
PUBLISHED_PORTS = {**CONTRACT_PORTS, "gateway": "${GATEWAY_PORT:-8080}"}
# What a service cannot start or work without; the rest of config.yml's variables are optional here.
REQUIRED_SETTINGS = {"AMQP_URI", "REDIS_URL", "JWT_PUBLIC_KEY_FILE", "WEB_SERVER_ADDRESS", "SMTP_HOST",
                     "SMTP_PORT", "SMTP_FROM", "COMMITTEE_EMAILS", "ALLOW_CLOCK_OVERRIDE"}
# What scripts/service.sh reads to connect as the service's own users (the rest is config.yml's).
SERVICE_SH_SETTINGS = {"AMQP_KEYS_DIR", "REDIS_PASSWORD_FILE", "BUS_PROVISIONED"}
LOCAL = "${BIND_ADDRESS:-127.0.0.1}"
# nameko's `${VAR}` / `${VAR:default}`: group 2 is None when there is no default.
ENV_REFERENCE = re.compile(r"\$\{([^}:\s]+)(?::([^}]*))?\}")


def run_command(name):
    return f"bash scripts/service.sh {name}"


class ComposeLoader(yaml.SafeLoader):
    """Plain YAML: nameko's loader would expand compose's own `${VAR:-default}` as its env vars."""


ComposeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "!env_var"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


@pytest.fixture(scope="module")
def compose():
    return yaml.load((ROOT / "docker-compose.yml").read_text(), Loader=ComposeLoader)


@pytest.fixture(scope="module")
def config_variables():
    """Each `${VAR:default}` of config.yml: name -> default text (None when it has none)."""
    return {match.group(1): match.group(2) for match in ENV_REFERENCE.finditer((ROOT / "config.yml").read_text())}


@pytest.fixture(scope="module")
def procfile():
    """name -> (default port, command) from lines `name: WEB_SERVER_ADDRESS=0.0.0.0:${X_PORT:-8001} exec cmd`."""
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        match = re.fullmatch(r"(\w+): WEB_SERVER_ADDRESS=0\.0\.0\.0:\$\{\w+_PORT:-(\d+)\} exec (.+)", line)
        assert match, f"unexpected Procfile line: {line!r}"
        entries[match.group(1)] = (int(match.group(2)), match.group(3))
    return entries


@pytest.mark.parametrize("compose_file", ["docker-compose.yml", "docker-compose.cluster.yml"])
def test_compose_file_is_valid(compose_file):
    if shutil.which("docker-compose") is None:
        pytest.fail("docker-compose is not installed, so the compose files cannot be validated: "
                    "apt-get install docker-compose (.ci/run does)")
    result = subprocess.run(["docker-compose", "-f", compose_file, "config", "-q"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("compose_file, gateway", [("docker-compose.yml", "gateway"),
                                                   ("docker-compose.cluster.yml", "gateway-1")])
def test_compose_publishes_the_gateway_on_gateway_port(compose_file, gateway):
    """Inside the compose network it stays on 8080 (deploy/monitoring/prometheus.yml scrapes that)."""
    environment = {**os.environ, "GATEWAY_PORT": "9090", "BIND_ADDRESS": "127.0.0.1"}
    rendered = subprocess.run(["docker-compose", "-f", compose_file, "config"], cwd=ROOT, capture_output=True,
                              text=True, timeout=60, env=environment)
    assert rendered.returncode == 0, rendered.stderr
    [port] = yaml.safe_load(rendered.stdout)["services"][gateway]["ports"]
    if isinstance(port, dict):  # docker compose v2 writes the long syntax
        port = f"{port['host_ip']}:{port['published']}:{port['target']}/{port['protocol']}"
    assert port == "127.0.0.1:9090:8080/tcp"


def test_procfile_runs_each_service_on_its_contract_port(procfile):
    assert procfile == {name: (port, run_command(name)) for name, port in PROCESS_PORTS.items()}


def test_compose_runs_the_infrastructure_the_topology_step_the_four_services_and_the_gateway(compose):
    assert set(compose["services"]) == {"rabbitmq", "redis", "topology", *PROCESS_PORTS}
    assert compose["services"]["rabbitmq"]["image"] == "rabbitmq:3.10-management"
    assert compose["services"]["redis"]["image"] == "redis:7.0"


def test_redis_syncs_every_write_to_a_named_volume(compose):
    redis = compose["services"]["redis"]
    command = " ".join(redis["command"])
    assert "--appendonly yes" in command and "--appendfsync always" in command
    volume, target = redis["volumes"][0].split(":")
    assert target == "/data" and volume in compose["volumes"]


def test_redis_requires_a_password_from_its_acl_secret(compose):
    redis_service = compose["services"]["redis"]
    command = redis_service["command"]
    assert command[command.index("--aclfile") + 1] == "/run/secrets/redis_acl"
    assert redis_service["secrets"] == ["redis_acl"]
    assert compose["secrets"]["redis_acl"] == {"file": "./.keys/redis-users.acl"}


def test_rabbitmq_users_come_from_the_definitions_secret_and_no_guest(compose):
    rabbit = compose["services"]["rabbitmq"]
    assert rabbit["secrets"] == ["rabbitmq_definitions"]
    assert compose["secrets"]["rabbitmq_definitions"] == {"file": "./.keys/rabbitmq-definitions.json"}
    source, target, _ = next(v for v in rabbit["volumes"] if "conf.d" in v).split(":")
    conf = (ROOT / source).read_text()
    assert "load_definitions = /run/secrets/rabbitmq_definitions" in conf
    assert "guest" not in json.dumps(compose)


def test_every_published_port_is_bound_to_localhost_by_default(compose):
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert port.startswith(f"{LOCAL}:"), (name, port)


def test_topology_is_declared_once_rabbitmq_is_healthy_as_each_services_user(compose):
    topology = compose["services"]["topology"]
    assert topology["command"] == "python -m services.ops.provision --config config.yml --no-users --topology"
    assert topology["depends_on"] == {"rabbitmq": {"condition": "service_healthy"}}
    assert topology["environment"]["AMQP_URI"] == compose["services"]["pairing"]["environment"]["AMQP_URI"]
    assert {secret["target"] for secret in topology["secrets"]} == {
        f"/run/secrets/amqp/{name}" for name in CONTRACT_PORTS}


@pytest.mark.parametrize("name", sorted(PROCESS_PORTS))
def test_each_service_runs_as_make_run_does_on_its_contract_port(compose, procfile, name):
    service = compose["services"][name]
    port = PROCESS_PORTS[name]
    assert service["build"] == "."
    assert service["command"] == procfile[name][1] == run_command(name)
    assert service["environment"]["WEB_SERVER_ADDRESS"] == f"0.0.0.0:{port}"
    assert service["ports"] == [f"{LOCAL}:{PUBLISHED_PORTS[name]}:{port}"]
    assert service["depends_on"] == {
        "rabbitmq": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        "topology": {"condition": "service_completed_successfully"},
    }


@pytest.mark.parametrize("name", sorted(PROCESS_PORTS))
def test_each_service_gets_the_settings_of_config_yml(compose, config_variables, name):
    environment = compose["services"][name]["environment"]
    assert REQUIRED_SETTINGS <= set(environment)
    assert set(environment) <= set(config_variables) | SERVICE_SH_SETTINGS, "a variable that nothing reads"
    # No credentials in the file: service.sh adds the service's own from its secrets.
    assert environment["AMQP_URI"] == "pyamqp://rabbitmq:5672/"
    assert config_variables["AMQP_URI"].startswith("pyamqp://")
    assert environment["REDIS_URL"] == "redis://redis:6379/0"
    assert environment["ALLOW_CLOCK_OVERRIDE"] == "false"
    assert environment["BUS_PROVISIONED"] == "1"


@pytest.mark.parametrize("name", sorted(PROCESS_PORTS))
def test_the_keys_and_passwords_are_mounted_secrets(compose, name):
    service = compose["services"][name]
    environment = service["environment"]
    secrets = {secret if isinstance(secret, str) else secret["source"]:
               f"/run/secrets/{secret}" if isinstance(secret, str) else secret["target"]
               for secret in service["secrets"]}
    assert secrets == {"jwt_public_key": environment["JWT_PUBLIC_KEY_FILE"],
                       f"amqp_{name}": f"{environment['AMQP_KEYS_DIR']}/{name}",
                       f"redis_{name}": environment["REDIS_PASSWORD_FILE"]}
    assert compose["secrets"]["jwt_public_key"] == {"file": "./.keys/jwt_public.pem"}
    assert compose["secrets"][f"amqp_{name}"] == {"file": f"./.keys/amqp/{name}"}
    assert compose["secrets"][f"redis_{name}"] == {"file": f"./.keys/redis/{name}"}


def test_infrastructure_has_health_checks(compose):
    assert compose["services"]["rabbitmq"]["healthcheck"]["test"][:2] == ["CMD", "rabbitmq-diagnostics"]
    assert compose["services"]["redis"]["healthcheck"]["test"][:3] == ["CMD", "redis-cli", "--user"]


@pytest.fixture(scope="module")
def secrets_dir(tmp_path_factory):
    base = tmp_path_factory.mktemp("compose-keys")
    assert compose_secrets.main(["--dir", str(base)]) == 0
    return base


def test_the_definitions_hold_each_user_with_exactly_its_grant_and_no_password(secrets_dir):
    found = json.loads((secrets_dir / "rabbitmq-definitions.json").read_text())
    assert {user["name"] for user in found["users"]} == {*broker_users.USERS, "admin"}
    assert [user["name"] for user in found["users"] if user["tags"]] == ["admin"]
    for name in broker_users.USERS:
        grant = provision.grant_of(name)
        [permissions] = [p for p in found["permissions"] if p["user"] == name]
        assert (permissions["configure"], permissions["write"], permissions["read"]) == (
            grant.configure, grant.write, grant.read)
        topics = {p["exchange"]: (p["write"], p["read"]) for p in found["topic_permissions"] if p["user"] == name}
        assert topics == grant.topics
        assert provision.password(name, secrets_dir / "amqp", create=False) not in json.dumps(found)
    assert oct((secrets_dir / "amqp" / "pairing").stat().st_mode & 0o777) == "0o600"


@pytest.fixture(scope="module")
def acl_redis(secrets_dir):
    """A private redis-server with the compose ACL file."""
    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--aclfile", str(secrets_dir / "redis-users.acl")],
                               stdout=subprocess.DEVNULL)
    wait_until(lambda: redis.Redis(port=port, username="health", password="").ping(), timeout=10)
    yield port
    process.kill()
    process.wait()


def redis_as(port, secrets_dir, user):
    secret = provision.password(user, secrets_dir / "redis", create=False)
    return redis.Redis.from_url(f"redis://{user}:{secret}@127.0.0.1:{port}/0", decode_responses=True)


def test_each_services_redis_user_does_its_work_under_its_own_prefix_only(acl_redis, secrets_dir):
    pairing = redis_as(acl_redis, secrets_dir, "pairing")
    pipe = pairing.pipeline()
    pipe.watch("pairing:c1")
    pipe.multi()
    pipe.set("pairing:c1", "{}")
    pipe.zadd("pairing:outbox:staged", {"e1": 1})
    assert pipe.execute() == [True, 1]
    assert pairing.eval("return redis.call('get', KEYS[1])", 1, "pairing:c1") == "{}"
    for refused in (lambda: pairing.get("activity:a1"), lambda: pairing.set("summary:x", 1), pairing.flushdb,
                    lambda: pairing.keys("*"), lambda: pairing.config_get("*")):
        with pytest.raises(redis.exceptions.NoPermissionError):
            refused()
    ops = redis_as(acl_redis, secrets_dir, "ops")
    assert ops.get("pairing:c1") == "{}"
    with pytest.raises(redis.exceptions.NoPermissionError):
        ops.set("pairing:c1", "forged")
    with pytest.raises(redis.exceptions.AuthenticationError):
        redis.Redis(port=acl_redis).get("pairing:c1")


class HealthHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(self.server.status if self.path == "/health" else 404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def health_server():
    """A stand-in /health answering with `health_server.status`."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HealthHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("name", sorted(PROCESS_PORTS))
@pytest.mark.parametrize("status, healthy", [(200, True), (503, False)])
def test_service_health_check_follows_its_own_health_endpoint(compose, health_server, name, status, healthy):
    """Runs the compose health check as Docker would, against a stand-in /health on this machine."""
    check = compose["services"][name]["healthcheck"]["test"]
    assert check[:2] == ["CMD", "python"]
    health_server.status = status
    address = f"0.0.0.0:{health_server.server_address[1]}"
    result = subprocess.run([sys.executable, *check[2:]], env={"WEB_SERVER_ADDRESS": address},
                            capture_output=True, timeout=30)
    assert (result.returncode == 0) is healthy


def test_the_image_holds_what_the_services_need_and_no_private_key():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in dockerfile
    assert "RUN pip install --no-cache-dir --disable-pip-version-check -r requirements.txt" in dockerfile
    for source in ("config.yml", "services/", "scripts/"):
        assert re.search(rf"^COPY {re.escape(source)} ", dockerfile, re.M), source
    assert 'CMD ["bash", "scripts/service.sh", "pairing"]' in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in ignored and not any(line.startswith("!.keys") for line in ignored)


def test_every_setting_of_config_yml_has_a_default(config_variables):
    assert config_variables
    assert [name for name, default in config_variables.items() if default is None] == []


def test_config_yml_loads_with_its_defaults(monkeypatch, config_variables):
    for name in config_variables:
        monkeypatch.delenv(name, raising=False)
    config = load_config(ROOT / "config.yml")
    assert config["AMQP_URI"] == "pyamqp://guest:guest@127.0.0.1:5672/"
    assert config["WEB_SERVER_ADDRESS"] == "0.0.0.0:8000"
    assert config["REDIS_URL"] == "redis://127.0.0.1:6379/0"
    assert config["JWT_PUBLIC_KEY_FILE"] == ".keys/jwt_public.pem"
    assert config["ALLOW_CLOCK_OVERRIDE"] is False
    assert config["SMTP_HOST"] is None and config["COMMITTEE_EMAILS"] is None
    assert config["SMTP_PORT"] == 25 and config["max_workers"] == 10
    assert config["EVENT_RETRY_DELAYS"] == [1, 2, 4, 8, 16]
    assert config["LOGGING"]["root"]["level"] == "INFO"
    assert "${" not in repr(config)


@pytest.mark.parametrize("variable, value, path, expected", [
    ("AMQP_URI", "pyamqp://u:p@rabbit:5672/vh", ["AMQP_URI"], "pyamqp://u:p@rabbit:5672/vh"),
    ("WEB_SERVER_ADDRESS", "0.0.0.0:8003", ["WEB_SERVER_ADDRESS"], "0.0.0.0:8003"),
    ("REDIS_URL", "redis://redis:6379/2", ["REDIS_URL"], "redis://redis:6379/2"),
    ("JWT_PUBLIC_KEY_FILE", "/run/secrets/jwt", ["JWT_PUBLIC_KEY_FILE"], "/run/secrets/jwt"),
    ("SMTP_HOST", "mail.example.org", ["SMTP_HOST"], "mail.example.org"),
    ("SMTP_PORT", "2525", ["SMTP_PORT"], 2525),
    ("COMMITTEE_EMAILS", "a@example.org,b@example.org", ["COMMITTEE_EMAILS"], "a@example.org,b@example.org"),
    ("ALLOW_CLOCK_OVERRIDE", "true", ["ALLOW_CLOCK_OVERRIDE"], True),
    ("EVENT_RETRY_DELAYS", "[0.1, 0.2]", ["EVENT_RETRY_DELAYS"], [0.1, 0.2]),
    ("MAX_WORKERS", "3", ["max_workers"], 3),
    ("LOG_LEVEL", "DEBUG", ["LOGGING", "root", "level"], "DEBUG"),
])
def test_environment_overrides_config_yml(monkeypatch, variable, value, path, expected):
    monkeypatch.setenv(variable, value)
    config = load_config(ROOT / "config.yml")
    for key in path:
        config = config[key]
    assert config == expected


def test_readme_documents_every_setting_with_its_default(config_variables):
    """The README's configuration table lists exactly config.yml's variables, with their defaults."""
    rows = re.findall(r"^\| `([A-Z_]+)` \| ([^|]+) \|", (ROOT / "README.md").read_text(), re.M)
    documented = {name: default.strip() for name, default in rows}
    assert documented == {name: f"`{default}`" if default else "(empty)"
                          for name, default in config_variables.items()}


def test_provisioning_says_in_one_line_when_the_management_api_does_not_answer(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("RABBIT_API_URI", f"http://guest:guest@127.0.0.1:{free_port()}")
    monkeypatch.setenv("AMQP_KEYS_DIR", str(tmp_path / "amqp"))
    assert provision.main(["--config", str(ROOT / "config.yml"), "pairing"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith("provision: RabbitMQ management API at 127.0.0.1:") and "does not answer" in err
    assert oct((tmp_path / "amqp" / "pairing").stat().st_mode & 0o777) == "0o600"
