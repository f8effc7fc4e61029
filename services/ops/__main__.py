"""python -m services.ops [--config config.yml] queues [--service-class MODULE:CLASS ...]
python -m services.ops [--config config.yml] dead-letters list SERVICE [--limit N]
python -m services.ops [--config config.yml] dead-letters show SERVICE EVENT_ID
python -m services.ops [--config config.yml] dead-letters replay SERVICE (EVENT_ID | --all)
python -m services.ops [--config config.yml] dead-letters drop SERVICE (EVENT_ID | --all)
python -m services.ops [--config config.yml] rescale-due-scores [--key KEY ...]
python -m services.ops [--config config.yml] backfill-indexes
python -m services.ops [--config config.yml] audit [--service S] [--who SUB] [--record ID] [--since T]
python -m services.ops [--config config.yml] migrate-queues [--service-class MODULE:CLASS ...]
python -m services.ops [--config config.yml] trace CORRELATION_ID [--log FILE ...] [--since T]"""
import argparse
import importlib
import sys
import warnings

from amqp.exceptions import AMQPError
from redis.exceptions import RedisError

# eventlet and pkg_resources announce their deprecation on import: noise in an operator's terminal.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

from services.activity.store import ActivityStore  # noqa: E402
from services.common import topology  # noqa: E402
from services.common.deadlines import rescale_ms_scores  # noqa: E402
from services.common.amqp_names import DEFAULT_DELAYS  # noqa: E402
from services.common.redis_ha import redis_client  # noqa: E402
from services.common.settings import delays, load_config  # noqa: E402
from services.notification.store import NotificationStore  # noqa: E402
from services.pairing.store import PairingStore  # noqa: E402
from services.summary.store import SummaryStore  # noqa: E402

from . import audit, migrate_queues, queues, trace  # noqa: E402
from .broker import Broker, OpsError  # noqa: E402
from .dead_letters import DeadLetterQueue  # noqa: E402
from .provision import uri_for  # noqa: E402


def service_classes(specs):
    """The four services, or the classes named as `module:Class` (a service outside services/)."""
    if not specs:
        return [topology.service_class(name) for name in topology.SERVICES]
    classes = []
    for spec in specs:
        module, _, name = spec.partition(":")
        try:
            classes.append(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError):
            raise OpsError(f"没有这个服务类(No such service class): {spec}") from None
    return classes


def parser():
    main = argparse.ArgumentParser(prog="python -m services.ops", description="Event bus operations.")
    main.add_argument("--config", default="config.yml",
                      help="the services' config.yml (AMQP_URI from the environment applies)")
    commands = main.add_subparsers(dest="command", required=True)

    listing = commands.add_parser("queues", help="every project queue: ready, unacked, consumers")
    listing.add_argument("--service-class", action="append", metavar="MODULE:CLASS",
                         help="list the queues of this service class instead of the four services")

    dead = commands.add_parser("dead-letters", help="inspect, replay or drop dead-lettered events")
    actions = dead.add_subparsers(dest="action", required=True)
    shown = actions.add_parser("list", help="the dead-lettered events, oldest first, left in place")
    shown.add_argument("service")
    shown.add_argument("--limit", type=int, default=100)
    one = actions.add_parser("show", help="one dead-lettered envelope as JSON")
    one.add_argument("service")
    one.add_argument("event_id")
    for action, text in (("replay", "republish to the original queue, then remove"),
                         ("drop", "remove for good")):
        chosen = actions.add_parser(action, help=text)
        chosen.add_argument("service")
        chosen.add_argument("event_id", nargs="?")
        chosen.add_argument("--all", action="store_true", help="every message in the dead-letter queue")

    rescale = commands.add_parser("rescale-due-scores",
                                  help="one-shot v2 migration: due sets scored in milliseconds to seconds")
    rescale.add_argument("--key", action="append", metavar="KEY", help=f"a due set (default: {' '.join(MS_DUE_SETS)})")
    migration = commands.add_parser("migrate-queues", help="classic queues of an earlier deployment to quorum "
                                    "queues, messages kept (services stopped first)")
    migration.add_argument("--service-class", action="append", metavar="MODULE:CLASS",
                           help="the queues of this service class instead of the four services'")
    commands.add_parser("backfill-indexes",
                        help="one-shot v2 migration: list every record in the index of each filter combination")
    audit.add_parser(commands)
    trace.add_parser(commands)
    return main


def service_uri(amqp_uri, service):
    """Dead letters are read and replayed as the consuming service's own broker user (contract §6)."""
    try:
        return uri_for(amqp_uri, service, create=False)
    except FileNotFoundError:
        raise OpsError(f"没有 {service} 的代理密码(No broker password for {service}): "
                       "AMQP_KEYS_DIR (default .keys/amqp) must hold it") from None


# The due sets that were scored in epoch milliseconds before v2 (summary's).
MS_DUE_SETS = ("summary:due:summary", "summary:due:ack", "summary:due:answer")


def rescale_due_scores(config, keys):
    client = redis_client(config)
    return [f"{key}: {rescale_ms_scores(client, key)} rescaled" for key in keys or MS_DUE_SETS]


# Every store whose lists are served by one index per combination of filters.
INDEXED_STORES = ((PairingStore, "pairing"), (ActivityStore, "activity"), (SummaryStore, "summary"),
                  (NotificationStore, "notification"))


def backfill_indexes(config):
    client = redis_client(config)
    stores = [store_class(client, f"{service}:", service, None) for store_class, service in INDEXED_STORES]
    return [f"{kind}: {count} indexed" for store in stores for kind, count in store.backfill_indexes().items()]


def run(args):
    config = load_config(args.config)
    if args.command == "rescale-due-scores":
        print("\n".join(rescale_due_scores(config, args.key)))
        return 0
    if args.command == "migrate-queues":
        retry_delays = delays(config, "EVENT_RETRY_DELAYS", DEFAULT_DELAYS)
        print("\n".join(migrate_queues.migrate_all(config["AMQP_URI"], service_classes(args.service_class),
                                                   retry_delays)))
        return 0
    if args.command == "backfill-indexes":
        print("\n".join(backfill_indexes(config)))
        return 0
    if args.command == "audit":
        return audit.run(config, args)
    if args.command == "trace":
        return trace.run(config, args)
    broker = Broker(config["AMQP_URI"])
    if args.command == "queues":
        names = queues.project_queues(config, service_classes(args.service_class))
        print(queues.render(*queues.queue_counts(broker, names)))
        return 0
    dead_letters = DeadLetterQueue(Broker(service_uri(config["AMQP_URI"], args.service)), args.service)
    if args.action == "list":
        print(dead_letters.list(args.limit))
    elif args.action == "show":
        print(dead_letters.show(args.event_id))
    elif args.action == "drop":
        print("\n".join(dead_letters.drop(args.event_id)))
    else:
        lines, all_replayed = dead_letters.replay(args.event_id)
        print("\n".join(lines))
        return 0 if all_replayed else 1
    return 0


def main(argv=None):
    command_line = parser()
    args = command_line.parse_args(argv)
    if getattr(args, "action", None) in ("replay", "drop") and (args.event_id is None) == (not args.all):
        command_line.error(f"{args.action}: give one EVENT_ID or --all")
    try:
        return run(args)
    except (OpsError, OSError, RedisError, AMQPError) as exc:
        print(f"ops: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
