"""How `summary.campaign_report` costs at 100 and at 10,000 completed activities:

    python -m bench.campaign_report [--config config.yml] [--calls 50]

It starts a service with only the report's RPC (name `report_bench`, keys under `report_bench:` in
the configured Redis, a throwaway JWT key pair), seeds the counters through the report store's
bulk path, and prints per size the median and 95th percentile of the RPC round trip and of the
store read alone, and the Redis commands one report sends (by MONITOR). Everything it made is
removed at the end."""
import eventlet

eventlet.monkey_patch()  # noqa: E402

import argparse  # noqa: E402
from functools import partial  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

from kombu import Connection, Queue  # noqa: E402
from nameko.containers import ServiceContainer  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from services.common import auth, clock  # noqa: E402
from services.common.events import make_event, validate_event  # noqa: E402
from services.common.ids import new_id  # noqa: E402
from services.common.redis_ha import redis_client  # noqa: E402
from services.common.storage import Storage  # noqa: E402
from services.common.settings import load_config  # noqa: E402
from services.common.vocabulary import SERVICE_TYPES  # noqa: E402
from services.summary.report import service as report_service  # noqa: E402
from services.summary.report.store import ReportStore  # noqa: E402

SIZES = (100, 10_000)
BATCH = 2_000
UNITS = 20
STARTED = clock.parse("2024-03-12T09:00:00+08:00")
# Connection upkeep that redis-py may add before any command; not the report's own work.
UPKEEP = {"PING", "HELLO", "SELECT", "CLIENT", "AUTH"}


class ReportBench:
    """The report's RPC alone: no event handlers, so no queue bound to the system's events."""

    name = "report_bench"
    auth = auth.Auth()
    report_store = Storage(ReportStore)
    campaign_report = report_service.ReportEndpoints.campaign_report


def campaign_created(campaign_id):
    stamp = clock.iso(STARTED)
    data = {"id": campaign_id, "name": "压力测试", "year": 2024, "report_deadline": "2024-03-09",
            "participants": [f"B{unit:02d}" for unit in range(UNITS)], "created_at": stamp,
            "updated_at": stamp, "revision": 1}
    return make_event("pairing", "campaign_created", campaign_id, 1, data)


def completed_activities(campaign_id, first, count):
    """`count` activity_completed events of a campaign, numbered from `first`, varied by number."""
    services = list(SERVICE_TYPES)
    stamp = clock.iso(STARTED)
    template = {"event_type": "activity_completed", "occurred_at": stamp, "source": "activity", "version": 1,
                "seq": 2}
    for number in range(first, first + count):
        volunteers = [{"name": f"志愿者{v}", "party_member": v % 2 == 0, "youth": v == 2, "hours": 1.5}
                      for v in range(1 + number % 3)]
        problems = [{"description": "困难", "category": "elderly_care", "business_related": number % 4 == 0,
                     "resolved_on_site": number % 5 == 0}] if number % 2 else []
        report = {"started_at": stamp, "ended_at": stamp, "volunteers": volunteers,
                  "services_delivered": [services[number % len(services)]], "beneficiaries": number % 7,
                  "description": "服务", "problems": problems, "opinions": ["满意"] * (number % 2)}
        activity = {"id": f"{campaign_id}-A{number}", "campaign_id": campaign_id,
                    "unit_code": f"B{number % UNITS:02d}", "pairing_id": f"{campaign_id}-P{number % UNITS}",
                    "status": "completed", "report": report, "completed_at": stamp, "created_at": stamp,
                    "updated_at": stamp, "revision": 2}
        # Checking one envelope against the event schemas is enough; the rest are the same shape.
        envelope = {**template, "event_id": uuid.uuid4().hex, "subject": activity["id"], "data": activity}
        yield validate_event(envelope) if number == first else envelope


def seed(store, campaign_id, first, count):
    """Count `count` completed activities through the store's bulk path, `BATCH` per transaction."""
    events = list(completed_activities(campaign_id, first, count))
    for start in range(0, len(events), BATCH):
        store.count(events[start:start + BATCH])


def redis_commands(monitor_client, marker_client, call, db, touching):
    """The Redis commands `call()` makes from the connections that read a key containing `touching`
    (connection upkeep aside), seen by MONITOR between two markers."""
    marker = uuid.uuid4().hex
    with monitor_client.monitor() as monitor:
        marker_client.echo(f"start-{marker}")
        call()
        marker_client.echo(f"end-{marker}")
        seen = []
        for command in monitor.listen():
            if command["command"] == f"ECHO end-{marker}":
                break
            seen.append(command)
    window = seen[next(i for i, c in enumerate(seen) if c["command"] == f"ECHO start-{marker}") + 1:]
    window = [c for c in window if c["db"] == db]
    readers = {c["client_port"] for c in window if touching in c["command"]}
    return [c["command"] for c in window
            if c["client_port"] in readers and c["command"].split()[0].upper() not in UPKEEP]


def timings_side_by_side(calls_by_key, calls, warm_up=5):
    """{key: (median ms, p95 ms)} of each call, taken in turn call after call: this machine's speed
    drifts over minutes, and figures taken one size after the other compared its moments."""
    for call in calls_by_key.values():
        for _ in range(warm_up):
            call()
    spent = {key: [] for key in calls_by_key}
    for _ in range(calls):
        for key, call in calls_by_key.items():
            start = time.perf_counter()
            call()
            spent[key].append((time.perf_counter() - start) * 1000)
    return {key: (statistics.median(values), sorted(values)[max(0, round(len(values) * 0.95) - 1)])
            for key, values in spent.items()}


def run(config, calls, sizes=SIZES):
    with tempfile.TemporaryDirectory() as keys:
        private, public = auth.keygen(keys)
        container = ServiceContainer(ReportBench, {**config, "JWT_PUBLIC_KEY_FILE": str(public)})
        container.start()
        client = redis_client(config)
        try:
            storage = next(d for d in container.dependencies if d.attr_name == "report_store")
            store = storage.make_store()
            token = auth.mint(private.read_text(), auth.COMMITTEE, ttl=600)
            with ClusterRpcProxy(config, context_data={"auth_token": token}) as proxy:
                campaigns, first = {}, 0
                for size in sizes:  # a campaign per size, so that the sizes are timed in turn
                    campaign_id = campaigns[size] = new_id("campaign")  # of the shape the RPC accepts
                    store.count([campaign_created(campaign_id)])
                    seed(store, campaign_id, first, size)
                    first += size
                    counted = proxy.report_bench.campaign_report(campaign_id)["activities"]["completed"]
                    if counted != size:
                        raise RuntimeError(f"seeded {size} completed activities, the report counts {counted}")
                rpc = timings_side_by_side({size: partial(proxy.report_bench.campaign_report, campaign_id)
                                            for size, campaign_id in campaigns.items()}, calls)
                read = timings_side_by_side({size: partial(store.report, campaign_id)
                                             for size, campaign_id in campaigns.items()}, calls)
                db = client.connection_pool.connection_kwargs.get("db", 0)
                rows = [(size, rpc[size], read[size],
                         len(redis_commands(redis_client(config), client,
                                            partial(proxy.report_bench.campaign_report, campaign_id),
                                            db, f"report:{campaign_id}:")))
                        for size, campaign_id in campaigns.items()]
        finally:
            container.stop()
            for key in client.scan_iter(match="report_bench:*", count=1000):
                client.delete(key)
            with Connection(config["AMQP_URI"]) as connection:
                Queue("rpc-report_bench", channel=connection.default_channel).delete()
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.campaign_report")
    parser.add_argument("--config", default="config.yml")
    parser.add_argument("--calls", type=int, default=50, help="calls timed per size")
    args = parser.parse_args(argv)
    rows = run(load_config(args.config), args.calls)
    print(f"summary.campaign_report, {args.calls} calls per size")
    print(f"{'completed activities':>22} {'RPC median ms':>14} {'RPC p95 ms':>11} "
          f"{'store median ms':>16} {'store p95 ms':>13} {'Redis commands':>15}")
    for size, (rpc_median, rpc_p95), (read_median, read_p95), commands in rows:
        print(f"{size:>22,} {rpc_median:>14.2f} {rpc_p95:>11.2f} {read_median:>16.2f} {read_p95:>13.2f} "
              f"{commands:>15}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
