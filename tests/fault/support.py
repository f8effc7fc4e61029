"""The fault tier's machinery: fault services as `nameko run` processes, and a RabbitMQ node of
the tests' own to stop and start."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import requests
from amqp.exceptions import AMQPError
from kombu import Connection
from nameko.standalone.rpc import ClusterRpcProxy
from prometheus_client.parser import text_string_to_metric_families

from services.common import amqp_names, broker_users, topology
from services.ops import provision
from tests.fault.fault_services import FaultConsumer, FaultProducer
from tests.helpers import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
NAMEKO = str(Path(sys.executable).with_name("nameko"))
FAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
RETRY_DELAYS = [0.2, 0.4, 0.8, 1.6, 3.2]
PRODUCER = "tests.fault.fault_services:FaultProducer"
CONSUMER = "tests.fault.fault_services:FaultConsumer"
CONSUMER_QUEUE = amqp_names.consumer_queue_name("faultproducer", "beat", "faultconsumer", "on_beat")
DEAD_LETTER = "faultconsumer.dead-letter"
# The queue whose consumer shows that a process is up and taking work.
READY_QUEUE = {PRODUCER: "rpc-faultproducer", CONSUMER: CONSUMER_QUEUE}


def effects(client):
    """The consumer's effects: event id -> how many times it was applied."""
    return {event_id: int(count) for event_id, count in client.hgetall("faultconsumer:effects").items()}


def beats(client):
    """What the producer committed: beat number -> event id."""
    return {int(n): event_id for n, event_id in client.hgetall("faultproducer:beats").items()}


def outbox_backlog(client):
    return client.zcard("faultproducer:outbox:staged")


def consumers(amqp_uri, queue_name):
    with Connection(amqp_uri, connect_timeout=2) as connection:
        _, _, count = connection.default_channel.queue_declare(queue_name, passive=True)
        return count


class ServiceProcess:
    """One service process (`argv`, run from the repository) with its own log file, in a session of
    its own so that a kill reaches whatever it started; ready once `ready_queue` has a consumer."""

    def __init__(self, name, argv, ready_queue, env, log_dir):
        self.name = name
        self.argv = argv
        self.ready_queue = ready_queue
        self.env = env
        self.log_dir = log_dir
        self.process = None
        self.starts = 0

    @classmethod
    def nameko(cls, target, env, log_dir):
        """`nameko run` of a fault service (`module:Class`)."""
        return cls(target.rsplit(":", 1)[-1], [NAMEKO, "run", "--config", "config.yml", target],
                   READY_QUEUE[target], env, log_dir)

    def start(self, **overrides):
        self.env = {**self.env, "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}", **overrides}
        self.env = {key: value for key, value in self.env.items() if value is not None}
        self.starts += 1
        self.log_path = self.log_dir / f"{self.name}-{self.starts}.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def running(self):
        return self.process.poll() is None

    def wait_ready(self, timeout=30):
        def ready():
            if not self.running():
                raise AssertionError(f"{self.name} exited with {self.process.returncode}: {self.log_tail()}")
            try:
                return consumers(self.env["AMQP_URI"], self.ready_queue) > 0
            except Exception:  # the broker is restarting or the queue is not declared yet
                return False
        wait_until(ready, timeout=timeout, interval=0.1, message=f"{self.name} to consume")
        return self

    def kill(self):
        if self.running():
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def log_tail(self, chars=3000):
        return self.log_path.read_text(errors="replace")[-chars:]

    def metric(self, name, **labels):
        """The sum of a Prometheus metric's samples with these labels, from GET /metrics."""
        text = requests.get(f"http://{self.env['WEB_SERVER_ADDRESS']}/metrics", timeout=5).text
        samples = [sample for family in text_string_to_metric_families(text) for sample in family.samples]
        return sum(sample.value for sample in samples
                   if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()))


class Cluster:
    """The fault services on one broker and the fault Redis database, each process connected as its
    own broker user made by `users` (`.uris(amqp_uri, {name: grant})`); `amqp_uri` is the administrator's."""

    def __init__(self, amqp_uri, jwt_keys, log_dir, token, users):
        self.amqp_uri = amqp_uri
        classes = (FaultProducer, FaultConsumer)
        uris = users.uris(amqp_uri, {cls.name: broker_users.service_grant(provision.needs_of(cls)) for cls in classes})
        self.service_uris = {f"{cls.__module__}:{cls.__name__}": uris[cls.name] for cls in classes}
        self.log_dir = log_dir
        self.token = token
        self.env = {
            **os.environ,
            "AMQP_URI": amqp_uri,
            "REDIS_URL": FAULT_REDIS_URL,
            "JWT_PUBLIC_KEY_FILE": jwt_keys["public_file"],
            "EVENT_RETRY_DELAYS": str(RETRY_DELAYS),
            "OUTBOX_RELAY_INTERVAL": "0.3",
            "PYTHONWARNINGS": "ignore::DeprecationWarning,ignore::UserWarning",
            "LEIFENG_CRASH_POINT": None,
        }
        self.processes = []
        self.proxies = []
        topology.declare(amqp_uri, [FaultProducer, FaultConsumer], RETRY_DELAYS)

    def spawn(self, target, **env):
        """Start a fault service; wait for it with `.wait_ready()` (several can start at once)."""
        process = ServiceProcess.nameko(target, {**self.env, "AMQP_URI": self.service_uris[target]},
                                        self.log_dir).start(**env)
        self.processes.append(process)
        return process

    def start(self, target, **env):
        return self.spawn(target, **env).wait_ready()

    def rpc(self, timeout=30):
        proxy = ClusterRpcProxy({"AMQP_URI": self.amqp_uri, "serializer": "json"},
                                context_data={"auth_token": self.token}, timeout=timeout)
        self.proxies.append(proxy)
        return proxy.start()

    def close(self):
        # Killed, not stopped: a graceful stop takes seconds and proves nothing here.
        for process in self.processes:
            process.kill()
        for proxy in self.proxies:
            proxy.stop()


class RabbitNode:
    """A RabbitMQ node of the test's own (name, ports, data, no plugins), to stop and start at will.

    It needs its own config file: the system's /etc/rabbitmq/rabbitmq.conf pins
    `listeners.tcp.local` to 5672, which overrides RABBITMQ_NODE_PORT and makes a second node fail
    with eaddrinuse. Run as root, the rabbitmq scripts switch to the rabbitmq user, so the data
    directory is handed to that user."""

    NAME = "faultrabbit@localhost"

    def __init__(self, name=NAME, port=None, dist_port=None, join=None):
        """`join`: the name of a running node whose cluster this one joins as it boots."""
        self.NAME = name
        self.port = port or free_port()
        self.base = Path(tempfile.mkdtemp(prefix=f"{name.split('@')[0]}-"))
        (self.base / "enabled_plugins").write_text("[].\n")
        joining = (f"cluster_formation.peer_discovery_backend = classic_config\n"
                   f"cluster_formation.classic_config.nodes.1 = {join}\n") if join else ""
        (self.base / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n{joining}")
        self.env = {
            **os.environ,
            "RABBITMQ_NODENAME": self.NAME,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(dist_port or free_port()),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_PID_FILE": str(self.base / "node.pid"),
        }
        if os.geteuid() == 0:
            for path in [self.base, *self.base.iterdir()]:
                shutil.chown(path, "rabbitmq", "rabbitmq")
        self.amqp_uri = f"pyamqp://guest:guest@127.0.0.1:{self.port}/"

    def ctl(self, *argv, input=None):
        subprocess.run(["rabbitmqctl", "-n", self.NAME, *argv], env=self.env, timeout=60, check=True, text=True,
                       input=input, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def answers(self):
        return connects(self.amqp_uri)

    def launch(self):
        """Starting, not yet answering (several nodes boot side by side)."""
        subprocess.run(["rabbitmq-server", "-detached"], env=self.env, check=True, timeout=30,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait_started(self):
        wait_until(self.answers, timeout=90, interval=0.2, message=f"RabbitMQ node {self.NAME} to start")

    def start(self):
        self.launch()
        self.wait_started()

    def stop(self):
        subprocess.run(["rabbitmqctl", "-n", self.NAME, "stop"], env=self.env, timeout=60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: not self.answers(), timeout=30, message=f"RabbitMQ node {self.NAME} to stop")

    def kill(self):
        """The node's machine lost: SIGKILL, no goodbye to the cluster."""
        os.kill(int((self.base / "node.pid").read_text().strip()), signal.SIGKILL)
        wait_until(lambda: not self.answers(), timeout=30, message=f"RabbitMQ node {self.NAME} to die")

    def kill_leftover(self):
        """End the node by the pid it wrote if it still runs (a stop that failed, a boot cut short)."""
        try:
            os.kill(int((self.base / "node.pid").read_text().strip()), signal.SIGKILL)
        except (FileNotFoundError, ValueError, ProcessLookupError):
            return
        wait_until(lambda: not self.answers(), timeout=30, message=f"RabbitMQ node {self.NAME} to die")

    def remove(self):
        shutil.rmtree(self.base, ignore_errors=True)


class NodeUsers:
    """Broker users on the tests' own node, which runs no management API: made with rabbitmqctl
    (they go with the node)."""

    def __init__(self, node, prefix, keys_dir):
        self.node = node
        self.prefix = prefix
        self.keys_dir = keys_dir

    def uris(self, amqp_uri, grants):
        """{name: URI} of users made with their grants ({name: Grant}) in one `rabbitmqctl
        import_definitions` (each rabbitmqctl call starts a VM of its own: seconds)."""
        vhost = broker_users.vhost(amqp_uri)
        users = {name: self.prefix + name for name in grants}
        definitions = {
            "users": [{"name": users[name], "password": provision.password(name, self.keys_dir), "tags": ""}
                      for name in grants],
            "permissions": [{"user": users[name], "vhost": vhost, "configure": grant.configure,
                             "write": grant.write, "read": grant.read} for name, grant in grants.items()],
            "topic_permissions": [{"user": users[name], "vhost": vhost, "exchange": exchange, "write": write,
                                   "read": read}
                                  for name, grant in grants.items() for exchange, (write, read) in grant.topics.items()],
        }
        self.node.ctl("import_definitions", "--format", "json", input=json.dumps(definitions))
        uris = {name: provision.uri_for(amqp_uri, name, self.prefix, self.keys_dir) for name in grants}
        # The import is said to be asynchronous: the users are there once they can log in.
        for name, uri in uris.items():
            wait_until(lambda: connects(uri), timeout=10, interval=0.1, message=f"broker user {users[name]}")
        return uris


def connects(amqp_uri):
    try:
        with Connection(amqp_uri, connect_timeout=1) as connection:
            connection.connect()
        return True
    except (OSError, AMQPError):  # refused, or the user is not there yet
        return False


def ops(amqp_uri, *argv):
    """`python -m services.ops ...` as an operator runs it, against this broker."""
    env = {**os.environ, "AMQP_URI": amqp_uri, "EVENT_RETRY_DELAYS": str(RETRY_DELAYS)}
    return subprocess.run([sys.executable, "-m", "services.ops", *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
