"""`CallAudit`: an accepted call's audit entry commits in the transaction of its change (so no
committed change goes unaudited); a call that commits nothing has it written after, best effort."""
import json
from datetime import datetime

import pytest

from services.common import clock, records
from services.common.audit import CallAudit
from services.common.errors import NotFound
from services.common.store import Store

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=clock.CAMPAIGN_TZ)


class FakeTrail:
    """Stages an entry as `audit:<n>` on the transaction's pipeline; `write` is the call-after path."""

    def __init__(self):
        self.staged = 0
        self.written = []

    def stage(self, pipe, entry):
        self.staged += 1
        pipe.set(f"audit:{self.staged}", json.dumps(entry))

    def write(self, entry):
        self.written.append(entry)


def entry_of(result, outcome):
    return {"record": result["id"] if result else "-", "outcome": outcome}


@pytest.fixture
def trail():
    return FakeTrail()


@pytest.fixture
def call_audit(trail):
    audit = CallAudit()
    audit.begin(trail, entry_of)
    return audit


@pytest.fixture
def store(fake_redis, fake_outbox, call_audit):
    fake_redis.set("probe:thing:t1", json.dumps(records.created("t1", NOW, name="旧名")))
    return Store(fake_redis, "probe:", "probe", fake_outbox, audit=call_audit)


def rename(tx, record, now):
    return records.revised(record, now, name="新名"), None


def committed_entries(fake_redis):
    return [json.loads(value) for key, value in sorted(fake_redis.data.items()) if key.startswith("audit:")]


def test_an_accepted_change_commits_its_entry_with_it_and_nothing_is_written_after(store, fake_redis, trail,
                                                                                   call_audit):
    store.change("probe:thing:t1", "东西", rename)
    call_audit.finish({"id": "t1"}, "ok")
    assert committed_entries(fake_redis) == [{"record": "t1", "outcome": "ok"}]
    assert trail.written == []


def test_a_rerun_after_a_conflict_commits_one_entry(store, fake_redis, trail):
    fake_redis.before_exec = lambda: (fake_redis._write("probe:thing:t1", fake_redis.get("probe:thing:t1")),
                                      setattr(fake_redis, "before_exec", None))
    store.change("probe:thing:t1", "东西", rename)
    assert trail.staged == 2
    assert committed_entries(fake_redis) == [{"record": "t1", "outcome": "ok"}]


def test_only_the_first_transaction_of_a_call_carries_its_entry(store, fake_redis, call_audit):
    store.change("probe:thing:t1", "东西", rename)
    store.change("probe:thing:t1", "东西", rename)
    assert len(committed_entries(fake_redis)) == 1


def test_a_refused_call_commits_nothing_and_is_written_after_with_its_outcome(store, fake_redis, trail,
                                                                                 call_audit):
    with pytest.raises(NotFound):
        store.change("probe:thing:nope", "东西", rename)
    call_audit.finish(None, "NotFound")
    assert committed_entries(fake_redis) == []
    assert trail.written == [{"record": "-", "outcome": "NotFound"}]


def test_a_worker_that_is_not_a_state_changing_call_audits_nothing(fake_redis, fake_outbox, trail):
    audit = CallAudit()
    Store(fake_redis, "probe:", "probe", fake_outbox, audit=audit).transact(lambda tx: None)
    audit.finish(None, "ok")
    assert committed_entries(fake_redis) == [] and trail.written == []
