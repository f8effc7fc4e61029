"""Gauges computed when /metrics is scraped, each from a few counts kept by the stores (ZCOUNT,
SCARD, a passive queue declare), never from a scan of records: every service's dead-letter depth,
and the business gauges of a service whose store defines them (`ScrapeGauges(StoreClass)`, the
store's `gauges(now)` -> [(name, help, labels, value)]).

One process-wide collector holds one source per service name (a second container of a service in
the same process, as in tests, replaces the first's), so the registry never sees a name twice."""
import logging

from kombu import Connection
from nameko.extensions import DependencyProvider
from prometheus_client.core import REGISTRY, GaugeMetricFamily

from . import amqp_names, clock
from .settings import require_setting
from .storage import resources

log = logging.getLogger(__name__)

DEAD_LETTERS = ("leifeng_dead_letters", "Messages waiting in <service>.dead-letter (-1: the broker did not answer).")


class Collector:
    def __init__(self):
        self.sources = {}

    def collect(self):
        families = {}
        for service, source in list(self.sources.items()):
            try:
                samples = source()
            except Exception as exc:  # one source down must not blank the whole scrape
                log.warning("%s gauges not computed (%s)", service, type(exc).__name__)
                continue
            for name, text, labels, value in samples:
                labels = {"service": service, **labels}
                family = families.setdefault(name, GaugeMetricFamily(name, text, labels=list(labels)))
                family.add_metric(list(labels.values()), value)
        return list(families.values())


COLLECTOR = Collector()
REGISTRY.register(COLLECTOR)


def dead_letter_depth(amqp_uri, service):
    try:
        with Connection(amqp_uri, connect_timeout=2) as connection:
            _, ready, _ = connection.default_channel.queue_declare(
                amqp_names.dead_letter_queue(service).name, passive=True)
            return ready
    except Exception:  # no dead-letter queue yet, or no broker: the alert on -1 says which
        return -1


class ScrapeGauges(DependencyProvider):
    def __init__(self, store_cls=None):
        self.store_cls = store_cls

    def setup(self):
        self.service = self.container.service_name
        self.amqp_uri = require_setting(self.container.config, "AMQP_URI")
        self.store = None
        if self.store_cls is not None:
            shared = resources(self.container)
            self.store = self.store_cls(shared.client, f"{self.service}:", self.service, shared.outbox)

    def start(self):
        COLLECTOR.sources[self.service] = self.samples

    def stop(self):
        if COLLECTOR.sources.get(self.service) == self.samples:
            del COLLECTOR.sources[self.service]

    kill = stop

    def samples(self):
        found = [(*DEAD_LETTERS, {}, dead_letter_depth(self.amqp_uri, self.service))]
        if self.store is not None:
            found.extend(self.store.gauges(clock.now()))
        return found
