"""Which processes the bench reads its memory and CPU figures from, by their command lines."""
import pytest

from bench.system import process_name, shared_process

BROKER = ["/usr/lib/erlang/erts-13.1.5/bin/beam.smp", "-W", "w", "--", "-noinput", "-s", "rabbit", "boot", "--"]


@pytest.mark.parametrize("args, name", [
    ([".venv/bin/nameko", "run", "--config", "config.yml", "services.summary.service", ""], "summary"),
    ([".venv/bin/nameko", "run", "--config", "config.yml", "bench.baseline:BaselineHandler"], "BaselineHandler"),
    (["python", "-m", "bench"], None),
    ([], None),
])
def test_a_service_or_baseline_process_is_named_by_what_nameko_runs(args, name):
    assert process_name(args) == name


@pytest.mark.parametrize("args, name", [
    (BROKER, "rabbitmq"),
    (["/usr/lib/erlang/erts-13.1.5/bin/beam.smp", "--", "-s", "rabbitmqctl", "main"], None),  # a CLI tool's node
    (["redis-server 127.0.0.1:6379"], "redis"),
    (["redis-server 127.0.0.1:26379"], None),  # another Redis on the machine (a fault test's)
    ([], None),
])
def test_the_broker_node_and_the_benchs_redis_are_told_from_other_processes(args, name):
    assert shared_process(args, 6379) == name
