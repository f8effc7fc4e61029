"""Store.change / Store.create / Store.once and the request protocol, on an in-memory Redis."""
import json
from datetime import datetime, timezone

import pytest
from marshmallow import fields

from services.common import clock, events, ids, records
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.handled import AlreadyHandled
from services.common.requests import Request
from services.common.schemas import LenientSchema
from services.common.store import Store

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=clock.CAMPAIGN_TZ)
LATER = datetime(2026, 3, 2, 9, 0, tzinfo=clock.CAMPAIGN_TZ)


class ThingData(LenientSchema):
    id = fields.String(required=True)
    owner = fields.String(required=True)


for _event_type in ("thing_made", "thing_renamed"):
    events.register("unitprobe", _event_type, ThingData)


class ThingStore(Store):
    clock_reads = []

    def now(self):
        self.clock_reads.append(NOW)
        return NOW

    @staticmethod
    def published(record):
        return {key: value for key, value in record.items() if key != "secret"}


@pytest.fixture
def store(fake_redis, fake_outbox):
    ThingStore.clock_reads = []
    return ThingStore(fake_redis, "unitprobe:", "unitprobe", fake_outbox, correlation_id="corr-1")


def thing_key(store, thing_id="t1"):
    return store.key("thing", thing_id)


@pytest.fixture
def thing(store, fake_redis):
    record = records.created("t1", NOW, name="旧名", owner="U1", secret="x")
    fake_redis.set(thing_key(store), json.dumps(record))
    return record


def rename(name):
    def change(tx, record, now):
        return records.revised(record, now, name=name), "thing_renamed"
    return change


def stored(fake_redis, key):
    return json.loads(fake_redis.get(key))


def refuse(record):
    raise Forbidden("无权操作其他单位或司局的记录(Not your record).")


def test_change_saves_the_changed_record_and_emits_its_event(store, thing, fake_redis, fake_outbox):
    result = store.change(thing_key(store), "事物", rename("新名"))
    assert result == stored(fake_redis, thing_key(store))
    assert (result["name"], result["revision"]) == ("新名", 2)
    [event] = fake_outbox.committed(fake_redis)
    assert (event["event_type"], event["subject"], event["seq"]) == ("thing_renamed", "t1", 2)
    assert "secret" not in event["data"] and event["data"]["name"] == "新名"
    assert event["correlation_id"] == "corr-1"
    assert fake_outbox.published == [event]


def test_change_takes_the_time_from_store_now(store, thing):
    seen = []
    store.change(thing_key(store), "事物", lambda tx, record, now: (seen.append(now), (record, None))[1])
    assert seen == [NOW] and store.clock_reads == [NOW]


def test_a_missing_record_is_not_found_naming_what_and_nothing_is_written(store, fake_redis, fake_outbox):
    with pytest.raises(NotFound) as raised:
        store.change(thing_key(store, "t9"), "事物", rename("新名"))
    assert "事物" in str(raised.value)
    assert fake_redis.data == {} and fake_outbox.published == []


def test_ownership_is_checked_before_the_change_runs(store, thing, fake_redis):
    ran = []
    with pytest.raises(Forbidden):
        store.change(thing_key(store), "事物", lambda tx, record, now: ran.append(1), owner=refuse)
    assert ran == [] and stored(fake_redis, thing_key(store)) == thing


def test_a_domain_refusal_writes_nothing(store, thing, fake_redis, fake_outbox):
    def refuse_change(tx, record, now):
        raise Conflict("不可更改(Not now).")
    with pytest.raises(Conflict):
        store.change(thing_key(store), "事物", refuse_change)
    assert stored(fake_redis, thing_key(store)) == thing and fake_outbox.committed(fake_redis) == []


def test_a_change_that_returns_the_record_itself_saves_and_emits_nothing(store, thing, fake_redis, fake_outbox):
    assert store.change(thing_key(store), "事物", lambda tx, record, now: (record, None)) == thing
    assert fake_redis.versions[thing_key(store)] == 1 and fake_outbox.published == []


def test_a_custom_save_gets_the_new_and_the_old_record(store, thing, fake_redis):
    saves = []

    def save(tx, record, before):
        saves.append((record["name"], before["name"]))
        tx.put(store.key("elsewhere"), record)
    store.change(thing_key(store), "事物", rename("新名"), save=save)
    assert saves == [("新名", "旧名")]
    assert stored(fake_redis, store.key("elsewhere"))["name"] == "新名"
    assert stored(fake_redis, thing_key(store)) == thing


def test_a_change_without_an_event_type_saves_without_emitting(store, thing, fake_redis, fake_outbox):
    store.change(thing_key(store), "事物", lambda tx, record, now: (records.revised(record, now, name="静"), None))
    assert stored(fake_redis, thing_key(store))["name"] == "静" and fake_outbox.published == []


def test_a_write_conflict_reruns_the_whole_change_and_commits_one_event(store, thing, fake_redis, fake_outbox):
    runs = []

    def concurrent_writer():
        fake_redis.before_exec = None
        fake_redis.set(thing_key(store), json.dumps({**thing, "name": "别人改的"}))
    fake_redis.before_exec = concurrent_writer

    def change(tx, record, now):
        runs.append(record["name"])
        return records.revised(record, now, name=record["name"] + "+"), "thing_renamed"
    assert store.change(thing_key(store), "事物", change)["name"] == "别人改的+"
    assert runs == ["旧名", "别人改的"]
    assert len(fake_outbox.committed(fake_redis)) == 1 and len(fake_outbox.published) == 1


def test_a_repeated_request_returns_the_first_result_even_after_later_changes(store, thing, fake_redis, fake_outbox):
    request = Request("rename_thing", "unit:U1", "r-1", {"name": "新名"})
    first = store.change(thing_key(store), "事物", rename("新名"), request=request)
    store.change(thing_key(store), "事物", rename("又一名"))
    again = store.change(thing_key(store), "事物", rename("新名"), request=request)
    assert first["revision"] == 2 and again == first and again["name"] == "新名"
    assert stored(fake_redis, thing_key(store))["name"] == "又一名" and len(fake_outbox.published) == 2


def test_a_request_stored_with_its_record_id_only_returns_the_record_as_it_is_now(store, thing, fake_redis):
    # How first calls were kept until 2026-12-03 (until their REQUEST_TTL is over).
    request = Request("rename_thing", "unit:U1", "r-1", {"name": "新名"})
    store.change(thing_key(store), "事物", rename("新名"), request=request)
    store.change(thing_key(store), "事物", rename("又一名"))
    key = store.key(*request.key_parts())
    fake_redis.data[key] = request.encode(id=stored(fake_redis, thing_key(store))["id"])
    assert store.change(thing_key(store), "事物", rename("新名"), request=request)["name"] == "又一名"


def test_a_request_id_reused_with_other_arguments_is_a_conflict(store, thing, fake_redis):
    store.change(thing_key(store), "事物", rename("新名"), request=Request("rename_thing", "unit:U1", "r-1",
                                                                          {"name": "新名"}))
    before = dict(fake_redis.data)
    with pytest.raises(Conflict) as raised:
        store.change(thing_key(store), "事物", rename("别名"),
                     request=Request("rename_thing", "unit:U1", "r-1", {"name": "别名"}))
    assert "request_id 已用于另一请求" in str(raised.value)
    assert fake_redis.data == before


def test_request_ids_are_scoped_to_the_caller_and_the_method(store, thing):
    store.change(thing_key(store), "事物", rename("一"), request=Request("rename_thing", "unit:U1", "r-1", {"n": 1}))
    second = store.change(thing_key(store), "事物", rename("二"),
                          request=Request("rename_thing", "committee", "r-1", {"n": 2}))
    third = store.change(thing_key(store), "事物", rename("三"),
                         request=Request("retitle_thing", "unit:U1", "r-1", {"n": 3}))
    assert (second["name"], third["name"]) == ("二", "三")


def test_without_a_request_id_every_call_changes(store, thing):
    request = Request("rename_thing", "unit:U1", None, {"name": "新名"})
    store.change(thing_key(store), "事物", rename("新名"), request=request)
    assert store.change(thing_key(store), "事物", rename("新名"), request=request)["revision"] == 3


def test_the_request_binding_expires_and_holds_a_digest_of_the_arguments(store, thing, fake_redis):
    request = Request("rename_thing", "unit:U1", "r-1", {"name": "新名 13912345678"})
    store.change(thing_key(store), "事物", rename("新名"), request=request)
    key = store.key("request", "rename_thing", "unit:U1", "r-1")
    assert fake_redis.ttls[key] == 30 * 24 * 3600
    assert "13912345678" not in fake_redis.get(key) and json.loads(fake_redis.get(key))["id"] == "t1"


def make_thing(tx, now):
    return records.created(f"t{len(tx.store.client.data) + 1}", now, owner="U1", secret="x"), "thing_made"


def test_create_saves_emits_and_answers_a_repeat_with_the_first_result(store, fake_redis, fake_outbox):
    request = Request("make_thing", "committee", "r-1", {"owner": "U1"})
    first = store.create(lambda thing_id: thing_key(store, thing_id), make_thing, request=request)
    store.change(thing_key(store, first["id"]), "事物", rename("后来"))
    again = store.create(lambda thing_id: thing_key(store, thing_id), make_thing, request=request)
    assert again == first and stored(fake_redis, thing_key(store, first["id"]))["name"] == "后来"
    assert [event["event_type"] for event in fake_outbox.published] == ["thing_made", "thing_renamed"]
    with pytest.raises(Conflict):
        store.create(lambda thing_id: thing_key(store, thing_id), make_thing,
                     request=Request("make_thing", "committee", "r-1", {"owner": "U2"}))


def test_the_args_digest_does_not_depend_on_key_order_and_reads_datetimes():
    one = Request("m", "committee", "r", {"a": 1, "b": [NOW, {"x": "一", "y": None}]})
    two = Request("m", "committee", "r", {"b": [NOW, {"y": None, "x": "一"}], "a": 1})
    other = Request("m", "committee", "r", {"a": 1, "b": [LATER, {"x": "一", "y": None}]})
    assert one.fingerprint == two.fingerprint != other.fingerprint


def fingerprint(args):
    return Request("m", "committee", "r", args).fingerprint


def test_arguments_equal_after_validation_have_one_fingerprint():
    # Contract §3 v2: the same instant in another offset, and 2.0 for 2, are the same arguments.
    in_utc = NOW.astimezone(timezone.utc)
    assert fingerprint({"at": NOW, "items": [{"hours": 2}]}) == fingerprint({"at": in_utc, "items": [{"hours": 2.0}]})
    assert fingerprint({"at": NOW}) != fingerprint({"at": LATER.astimezone(timezone.utc)})
    assert fingerprint({"hours": 2}) != fingerprint({"hours": 2.5}) != fingerprint({"hours": 2.25})
    assert fingerprint({"flag": True}) != fingerprint({"flag": 1.0})


def test_the_fingerprints_of_arguments_sent_in_08_00_and_integers_are_those_already_stored():
    args = {"at": NOW, "day": NOW.date(), "n": 3, "hours": 1.5, "names": ["一"]}
    assert fingerprint(args) == ids.digest(args, 32)


def test_a_first_call_fingerprinted_as_given_before_the_normalising_is_still_the_same_request():
    args = {"at": NOW.astimezone(timezone.utc), "hours": 2.0}
    stored_before = json.dumps({"id": "t1", "args": ids.digest(args, 32)})
    assert Request("m", "committee", "r", args).decode(stored_before)["id"] == "t1"
    with pytest.raises(Conflict):
        Request("m", "committee", "r", {**args, "hours": 3.0}).decode(stored_before)


def test_once_runs_idempotent_work_once_per_request(store, fake_redis):
    runs = []

    def run():
        runs.append(1)
        return {"sent": len(runs)}
    request = Request("check_deadlines", "committee", "r-1", {"now": None})
    assert store.once(request, run) == store.once(request, run) == {"sent": 1}
    assert store.once(Request("check_deadlines", "committee", None, {"now": None}), run) == {"sent": 2}
    with pytest.raises(Conflict):
        store.once(Request("check_deadlines", "committee", "r-1", {"now": NOW}), run)
    assert runs == [1, 1]


def test_inside_an_event_handler_the_mark_commits_with_the_change(fake_redis, fake_outbox, thing):
    handler_store = ThingStore(fake_redis, "unitprobe:", "unitprobe", fake_outbox, handled_key="unitprobe:handled:m:e1")
    handler_store.change(thing_key(handler_store), "事物", rename("新名"))
    assert fake_redis.exists("unitprobe:handled:m:e1")
    with pytest.raises(AlreadyHandled):
        handler_store.change(thing_key(handler_store), "事物", rename("再改"))
    assert stored(fake_redis, thing_key(handler_store))["name"] == "新名"


def test_publishing_after_commit_is_a_hook_a_store_can_replace(fake_redis, fake_outbox, thing):
    class Crashing(ThingStore):
        def publish(self, staged):
            raise SystemExit("killed after EXEC")
    crashing = Crashing(fake_redis, "unitprobe:", "unitprobe", fake_outbox)
    with pytest.raises(SystemExit):
        crashing.change(thing_key(crashing), "事物", rename("新名"))
    assert len(fake_outbox.committed(fake_redis)) == 1 and fake_outbox.published == []


def test_a_store_outside_a_worker_gives_all_its_events_one_correlation_id(fake_redis, fake_outbox, thing):
    script_store = ThingStore(fake_redis, "unitprobe:", "unitprobe", fake_outbox)
    script_store.change(thing_key(script_store), "事物", rename("一"))
    script_store.change(thing_key(script_store), "事物", rename("二"))
    assert len({event["correlation_id"] for event in fake_outbox.published}) == 1


def test_a_change_reads_its_record_and_request_with_its_watch_in_one_round_trip(store, thing, fake_redis):
    fake_redis.round_trips.clear()
    store.change(thing_key(store), "事物", rename("新名"), request=Request("unit:U1", "rename", {"name": "新名"}, "r-1"))
    assert fake_redis.round_trips == [["WATCH", "MGET"]]


def test_a_handler_checks_its_mark_in_the_first_round_trip(fake_redis, fake_outbox, thing):
    handler_store = ThingStore(fake_redis, "unitprobe:", "unitprobe", fake_outbox, handled_key="unitprobe:handled:m:e2")
    fake_redis.round_trips.clear()
    handler_store.change(thing_key(handler_store), "事物", rename("新名"))
    assert fake_redis.round_trips == [["WATCH", "EXISTS", "MGET"]]


def test_a_read_named_up_front_is_answered_from_the_first_round_trip(store, thing, fake_redis):
    """`transact(reads=...)` sends the read with the first WATCH; `tx.read` of it later costs nothing,
    and tells what the store held before the transaction (its writes wait for EXEC)."""
    key = thing_key(store)
    seen = []

    def work(tx):
        tx.put(key, {"id": "t1", "name": "改了"})
        seen.extend(tx.read([key], ("GET", key)))
        seen.extend(tx.read([key], ("GET", key)))

    fake_redis.round_trips.clear()
    store.transact(work, key, reads=[("GET", key)])
    assert fake_redis.round_trips == [["WATCH", "GET"]]
    assert [json.loads(raw)["name"] for raw in seen] == ["旧名", "旧名"]
    assert stored(fake_redis, key)["name"] == "改了"
