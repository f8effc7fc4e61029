"""A tiny producer and consumer built only from services/common, to test the plumbing itself."""
from marshmallow import fields
from services.common.rpc import rpc

from services.common import events, web
from services.common.auth import COMMITTEE, Auth, allow
from services.common.consumer import reliable_event_handler
from services.common.errors import NotFound
from services.common.schemas import BaseSchema, LenientSchema, load, name, unit_code
from services.common.storage import Storage
from services.common.store import Store
from services.common import clock


class ThingData(LenientSchema):
    id = fields.String(required=True)
    unit_code = fields.String(required=True)


events.register("probe", "thing_made", ThingData)


class Thing(BaseSchema):
    unit_code = unit_code(required=True)
    title = name(required=True)
    poison = fields.Boolean(load_default=False)


class MakeThingArgs(BaseSchema):
    thing = fields.Nested(Thing, required=True)


class ProbeService(web.Observable):
    name = "probe"
    auth = Auth()
    store = Storage(Store)

    @rpc
    @allow(COMMITTEE, unit="own")
    def make_thing(self, thing, request_id=None):
        data = load(MakeThingArgs, {"thing": thing})["thing"]
        self.auth.caller.require_owner(unit=data["unit_code"])

        def work(tx):
            earlier = tx.remembered("make_thing", request_id)
            if earlier:
                return tx.get(self.store.key("thing", earlier))
            stamp = clock.iso(clock.now())
            record = {"id": f"t{tx.reader.incr(self.store.key('seq'))}", "created_at": stamp,
                      "updated_at": stamp, **data}
            tx.put(self.store.key("thing", record["id"]), record)
            tx.remember("make_thing", request_id, record["id"])
            tx.emit("thing_made", record["id"], 1, record)
            return record

        return self.store.transact(work)

    @rpc
    @allow(COMMITTEE)
    def get_thing(self, thing_id):
        record = self.store.load(self.store.key("thing", thing_id))
        if record is None:
            raise NotFound(thing_id)
        return record

    @rpc
    @allow(COMMITTEE, unit="own")
    def forgetful(self):
        """Admits units for their own records but never checks which records are theirs."""
        return "secret"

    @rpc
    @allow(COMMITTEE)
    def boom(self):
        raise RuntimeError("secret 13912345678")


class ProbeConsumer:
    name = "probeconsumer"
    store = Storage(Store)

    @reliable_event_handler("probe", "thing_made")
    def on_thing_made(self, event):
        if event["data"].get("poison"):
            raise RuntimeError("cannot digest this")
        self.store.transact(lambda tx: tx.write(
            lambda pipe: pipe.hincrby(self.store.key("effects"), event["event_id"], 1)))
