"""A three-node RabbitMQ cluster and a Redis primary + replica + three sentinels, of the fault
tier's own (names, ports and data directories of this tier's cluster tests: 5700-5799 for AMQP
and Erlang distribution, 6400-6499 for Redis, 26400-26499 for the sentinels)."""
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import redis

from tests.fault.support import RabbitNode
from tests.helpers import wait_until

RABBIT_PORTS = (5701, 5702, 5703)
REDIS_PORTS = (6401, 6402)
SENTINEL_PORTS = (26401, 26402, 26403)
SENTINEL_SERVICE = "faultredis"


class RabbitCluster:
    """Three nodes joined into one cluster; `amqp_uri` names all three (kombu's failover list)."""

    def __init__(self):
        first = "faultcluster1@localhost"
        self.nodes = [RabbitNode(f"faultcluster{n}@localhost", port, port + 50, join=None if n == 1 else first)
                      for n, port in enumerate(RABBIT_PORTS, 1)]
        self.amqp_uri = ";".join(node.amqp_uri for node in self.nodes)

    def start(self):
        """The first node, then the others side by side, each joining it as it boots."""
        self.nodes[0].start()
        for node in self.nodes[1:]:
            node.launch()
        for node in self.nodes[1:]:
            node.wait_started()
        self.nodes[0].ctl("await_online_nodes", str(len(self.nodes)), "--timeout", "60")

    def close(self):
        for node in self.nodes:
            try:
                node.kill_leftover()
            finally:
                node.remove()


class RedisProcess:
    def __init__(self, port, base, *argv):
        self.port = port
        self.process = None
        # No retries: redis-py's default backoff makes each "not up yet" take seconds.
        self.client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1, socket_timeout=2,
                                  decode_responses=True, retry=None)
        assert not self.answers(), f"port {port} is taken (a Redis left over by an interrupted run?)"
        self.process = subprocess.Popen(["redis-server", *argv], cwd=base, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        wait_until(self.answers, timeout=20, interval=0.05, message=f"redis on {port}")

    def answers(self):
        try:
            return self.client.ping() and (self.process is None or self.process.poll() is None)
        except redis.RedisError:
            return False

    def kill(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait()


class SentinelRedis:
    """A primary, its replica and three sentinels (quorum 2) that fail over after 1 s of silence."""

    def __init__(self):
        self.base = Path(tempfile.mkdtemp(prefix="faultsentinel-"))
        primary, replica = REDIS_PORTS
        common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.primary = RedisProcess(primary, self.base, "--port", str(primary), *common)
        self.replica = RedisProcess(replica, self.base, "--port", str(replica), *common,
                                    "--replicaof", "127.0.0.1", str(primary))
        self.sentinels = [self._sentinel(port, primary) for port in SENTINEL_PORTS]
        self.setting = ",".join(f"127.0.0.1:{port}" for port in SENTINEL_PORTS)
        wait_until(self.ready, timeout=30, interval=0.2, message="the replica in sync, seen by every sentinel")

    def ready(self):
        """A failover can happen: the replica is online and the sentinels know it and each other."""
        online = self.primary.client.info("replication").get("slave0", {}).get("state") == "online"
        return online and all(len(sentinel.client.sentinel_slaves(SENTINEL_SERVICE)) == 1
                              and sentinel.client.sentinel_master(SENTINEL_SERVICE)["num-other-sentinels"] == 2
                              for sentinel in self.sentinels)

    def _sentinel(self, port, primary):
        conf = self.base / f"sentinel-{port}.conf"
        conf.write_text(f"port {port}\nbind 127.0.0.1\nlogfile {self.base / f'sentinel-{port}.log'}\n"
                        f"sentinel monitor {SENTINEL_SERVICE} 127.0.0.1 {primary} 2\n"
                        f"sentinel down-after-milliseconds {SENTINEL_SERVICE} 1000\n"
                        f"sentinel failover-timeout {SENTINEL_SERVICE} 5000\n")
        return RedisProcess(port, self.base, str(conf), "--sentinel")

    def primary_port(self):
        return self.sentinels[0].client.sentinel_get_master_addr_by_name(SENTINEL_SERVICE)[1]

    def await_promotion(self):
        """Wait until the sentinels name the replica primary. A sentinel whose timer was held up
        over 2 s (a starved machine) enters TILT and acts on nothing for 30 s, hence the minute; a
        failure quotes what each sentinel logged of its failover."""
        try:
            wait_until(lambda: self.primary_port() == self.replica.port, timeout=60,
                       message="the sentinels to promote the replica")
        except AssertionError as timeout:
            raise AssertionError(f"{timeout}; the sentinels logged: {self.failover_log()}") from None

    def failover_log(self):
        steps = re.compile(r"[+-](tilt|sdown|odown|try-failover|elected-leader|failover-|selected-slave|switch-master)")
        return {path.name: [line for line in path.read_text().splitlines() if steps.search(line)]
                for path in sorted(self.base.glob("sentinel-*.log"))}

    def close(self):
        for process in (self.primary, self.replica, *self.sentinels):
            process.kill()
        shutil.rmtree(self.base, ignore_errors=True)
