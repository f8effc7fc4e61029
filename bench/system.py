"""The system under bench, started exactly as `make run` starts it (scripts/run.sh) but on a vhost
of its own and the bench's Redis database, plus the baseline pair (bench/baseline.py) on the same
vhost; the resident memory of each of their processes read from /proc."""
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import redis
import requests

from services.common import auth

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("pairing", "activity", "summary", "notification", "gateway")
BASELINE = ("BaselineCaller", "BaselineHandler")
MANAGEMENT = os.environ.get("RABBIT_MANAGEMENT_URL", "http://guest:guest@127.0.0.1:15672")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def until(condition, timeout, what):
    limit = time.time() + timeout
    while not condition():
        if time.time() > limit:
            raise TimeoutError(f"waited {timeout}s for {what}")
        time.sleep(0.2)


class Vhost:
    def __init__(self):
        self.name = f"bench_{uuid.uuid4().hex[:10]}"
        requests.put(f"{MANAGEMENT}/api/vhosts/{self.name}", timeout=10).raise_for_status()
        requests.put(f"{MANAGEMENT}/api/permissions/{self.name}/guest", timeout=10,
                     json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()

    def delete(self):
        requests.delete(f"{MANAGEMENT}/api/vhosts/{self.name}", timeout=30)


class System:
    """`with System(redis_url, workdir, settings) as system:` the services and the baseline pair up."""

    def __init__(self, redis_url, workdir, settings):
        self.redis_url, self.workdir, self.settings = redis_url, Path(workdir), settings
        self.redis = redis.Redis.from_url(redis_url, decode_responses=True)
        self.processes = {}

    def __enter__(self):
        self.redis.flushdb()
        self.vhost = Vhost()
        self.amqp_uri = f"pyamqp://guest:guest@127.0.0.1:5672/{self.vhost.name}"
        private, public = auth.keygen(self.workdir / "keys")
        self.private_key = private.read_text()
        self.ports = {service: free_port() for service in SERVICES}
        env = {**os.environ, "AMQP_URI": self.amqp_uri, "REDIS_URL": self.redis_url,
               "JWT_PUBLIC_KEY_FILE": str(public), "PYTHONWARNINGS": "ignore", "LOG_LEVEL": "WARNING",
               **{f"{service.upper()}_PORT": str(port) for service, port in self.ports.items()}, **self.settings}
        self.log = open(self.workdir / "system.log", "wb")
        try:
            self._start(env)
        except BaseException:
            self.__exit__()
            raise
        return self

    def _start(self, env):
        self.run = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=self.log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        until(self.healthy, 90, "the four services and the gateway to answer /health")
        nameko = str(ROOT / ".venv" / "bin" / "nameko")
        for name in BASELINE:
            self.processes[name] = subprocess.Popen(
                [nameko, "run", "--config", "config.yml", f"bench.baseline:{name}"], cwd=ROOT,
                env={**env, "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}"}, stdout=self.log,
                stderr=subprocess.STDOUT, start_new_session=True)
        until(self._baseline_consuming, 60, "the baseline pair to consume")

    def healthy(self):
        if self.run.poll() is not None:
            raise RuntimeError(f"make run exited; see {self.workdir / 'system.log'}")
        try:
            return all(requests.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200
                       for port in self.ports.values())
        except requests.RequestException:
            return False

    def _baseline_consuming(self):
        queues = requests.get(f"{MANAGEMENT}/api/queues/{self.vhost.name}", timeout=10).json()
        consumed = {q["name"] for q in queues if q.get("consumers")}
        return "rpc-bench_baseline" in consumed and any("bench_baseline_handler" in q for q in consumed)

    def token(self, role="committee", unit=None, department=None):
        return auth.mint(self.private_key, role, unit=unit, department=department, ttl=3600)

    def resident_mb(self):
        """{process: resident MB} of every service and baseline process (VmRSS)."""
        found = {}
        for name, pid in self.own_processes().items():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            rss = next(line for line in status.splitlines() if line.startswith("VmRSS"))
            found[name] = round(int(rss.split()[1]) / 1024, 1)
        return dict(sorted(found.items()))

    def own_processes(self):
        """{name: pid} of the services and the baseline pair (`process_name`)."""
        named = {process_name(cmdline(pid)): pid
                 for pid in descendants({self.run.pid, *(p.pid for p in self.processes.values())})}
        named.pop(None, None)
        return named

    def cpu_seconds(self):
        """{process: CPU seconds used so far} of every service and baseline process, of the broker and
        Redis (the machine's own, shared with whatever else runs) and of this bench process."""
        pids = self.own_processes()
        port = self.redis.connection_pool.connection_kwargs.get("port", 6379)
        for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
            shared = shared_process(cmdline(pid), port)
            if shared:
                pids[shared] = int(pid)
        pids["bench"] = os.getpid()
        used = {name: cpu_used(pid) for name, pid in sorted(pids.items())}
        return {name: seconds for name, seconds in used.items() if seconds is not None}

    def __exit__(self, *exc):
        for process in [*self.processes.values(), getattr(self, "run", None)]:
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
        for process in [*self.processes.values(), getattr(self, "run", None)]:
            if process is not None:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        self.vhost.delete()
        self.log.close()
        self.redis.flushdb()


def process_name(args):
    """`pairing` for `nameko run ... services.pairing.service`, `BaselineCaller` for the baseline."""
    if not any(a.endswith("nameko") for a in args[:2]):
        return None
    target = args[-1] if args[-1] else args[-2]
    if target.startswith("services."):
        return target.split(".")[1]
    return target.split(":")[-1] if target.startswith("bench.baseline:") else None


def shared_process(args, redis_port):
    """"rabbitmq" for the broker node (`beam.smp ... -s rabbit boot`, not a rabbitmqctl beside it),
    "redis" for the Redis server on `redis_port` (its title: `redis-server 127.0.0.1:6379`)."""
    if not args:
        return None
    program = Path(args[0].split(" ")[0]).name
    if program == "beam.smp" and any(args[i:i + 2] == ["rabbit", "boot"] for i in range(len(args))):
        return "rabbitmq"
    if program == "redis-server" and args[0].endswith(f":{redis_port}"):
        return "redis"
    return None


def cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def cpu_used(pid):
    """User plus system CPU seconds of `pid` (fields 14 and 15 of /proc/<pid>/stat), None once gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(roots):
    """The process ids under `roots` (themselves included), from each process's parent in /proc."""
    parents = {}
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        try:
            parents[int(pid)] = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    found, grown = set(roots), True
    while grown:
        more = {pid for pid, parent in parents.items() if parent in found} - found
        found |= more
        grown = bool(more)
    return found
