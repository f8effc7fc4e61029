"""The seed departments of contract §1: data in departments.json, registered at the first start.

Each entry is loaded once, whatever the number of restarts or instances: the `seeded` hash records
it in the same transaction that registers it. An entry whose code or categories are already taken
(a committee registered them first) is marked loaded and skipped."""
import itertools
import json
import logging
from pathlib import Path

import eventlet

from services.common import clock
from services.common.errors import ValidationError
from services.common.schemas import load
from services.common.storage import Storage

from . import domain
from .schemas import Department

log = logging.getLogger(__name__)

SEED_FILE = Path(__file__).with_name("departments.json")
RETRY_SECONDS = (1, 2, 4, 8, 15)


def read_seed(path=None):
    """The seed entries, each checked like a `register_department` argument."""
    text = Path(path or SEED_FILE).read_text(encoding="utf-8")
    return [load(Department, entry) for entry in json.loads(text)]


def seed_department(store, department):
    """Register `department` unless its seed entry was loaded before; True when registered now."""
    code = department["code"]

    def work(tx):
        tx.watch(store.seeded)
        if tx.reader.hexists(store.seeded, code):
            return False
        existing = tx.get(store.department(code))
        routes = store.read_routes(tx)
        at = clock.now()
        tx.write(lambda pipe: pipe.hset(store.seeded, code, clock.iso(at)))
        reason = domain.department_conflict(department, existing, routes)
        if reason:
            log.warning("seed department %s skipped: %s", code, reason)
            return False
        store.add_department(tx, domain.new_department(department, existing, routes, at))
        return True

    return store.transact(work)


class SeededStorage(Storage):
    """The service's storage, which also loads the seed departments once the service has started."""

    def setup(self):
        super().setup()
        try:
            self.seed = read_seed()
        except (OSError, ValueError, ValidationError) as exc:
            raise SystemExit(f"summary: {SEED_FILE.name} is not a valid list of departments: {exc}") from None

    def start(self):
        super().start()
        self.container.spawn_managed_thread(self.seed_until_done)

    def seed_until_done(self):
        store = self.make_store()
        for delay in itertools.chain(RETRY_SECONDS, itertools.repeat(RETRY_SECONDS[-1])):
            try:
                for department in self.seed:
                    seed_department(store, department)
                return
            except Exception as exc:
                log.warning("seed departments not loaded yet (%s); retry in %ss", type(exc).__name__, delay)
                eventlet.sleep(delay)
