"""The seed departments of contract §1, registered at the first start.

The file is departments.json next to this module, or the one the setting `DEPARTMENTS_FILE`
(environment variable of the same name) names: a deployment keeps its real departments and
addresses there, outside the image (docs/summary.md). Each entry is loaded once, whatever the
number of restarts or instances: the `seeded` hash records it in the same transaction that
registers it. Later changes go through `update_department`, never through the file."""
import itertools
import json
import logging
from pathlib import Path

import eventlet

from services.common.errors import ValidationError
from services.common.schemas import load
from services.common.storage import Storage

from . import usecases
from .schemas import Department

log = logging.getLogger(__name__)

SEED_FILE = Path(__file__).with_name("departments.json")
RETRY_SECONDS = (1, 2, 4, 8, 15)


def seed_file(config):
    return Path(config.get("DEPARTMENTS_FILE") or SEED_FILE)


def read_seed(path=None):
    """The seed entries, each checked like a `register_department` argument."""
    text = Path(path or SEED_FILE).read_text(encoding="utf-8")
    return [load(Department, entry) for entry in json.loads(text)]


class SeededStorage(Storage):
    """The service's storage, which also loads the seed departments once the service has started
    (and rescales due indexes kept in milliseconds by an earlier version)."""

    def setup(self):
        super().setup()
        path = seed_file(self.container.config)
        try:
            self.seed = read_seed(path)
        except (OSError, ValueError, ValidationError) as exc:
            raise SystemExit(f"summary: {path} is not a valid list of departments: {exc}") from None

    def start(self):
        super().start()
        self.container.spawn_managed_thread(self.prepare_until_done)

    def prepare_until_done(self):
        store = self.make_store()
        for delay in itertools.chain(RETRY_SECONDS, itertools.repeat(RETRY_SECONDS[-1])):
            try:
                store.migrate_due_scores()
                for department in self.seed:
                    reason = usecases.seed_department(store, department)
                    if reason:
                        log.warning("seed department %s skipped: %s", department["code"], reason)
                return
            except Exception as exc:
                log.warning("seed departments not loaded yet (%s); retry in %ss", type(exc).__name__, delay)
                eventlet.sleep(delay)
