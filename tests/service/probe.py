"""Tiny services built only from services/common, to test the plumbing itself: a producer, a
consumer that announces what it noted, and a service with deadline checks."""
import json

from marshmallow import fields

from services.common import correlation, events, records, web
from services.common.auth import COMMITTEE, OPS, Auth, allow
from services.common.consumer import handles
from services.common.rpc import rpc
from services.common.rpc_proxy import RpcProxy
from services.common.deadlines import DeadlineEntrypoints
from services.common.errors import NotFound
from services.common.idfields import request_id_field
from services.common.ids import new_id
from services.common.requests import Request
from services.common.schemas import BaseSchema, LenientSchema, load, name, unit_code
from services.common.storage import Storage
from services.common.store import Store


class ThingData(LenientSchema):
    id = fields.String(required=True)
    unit_code = fields.String(required=True)


events.register("probe", "thing_made", ThingData)
events.register("probe", "thing_renamed", ThingData)
events.register("probeconsumer", "thing_noted", ThingData)


class Thing(BaseSchema):
    unit_code = unit_code(required=True)
    title = name(required=True)
    poison = fields.Boolean(load_default=False)


class MakeThingArgs(BaseSchema):
    thing = fields.Nested(Thing, required=True)
    request_id = request_id_field(load_default=None, allow_none=True)


class RenameThingArgs(BaseSchema):
    thing_id = fields.String(required=True)
    title = name(required=True)
    request_id = request_id_field(load_default=None, allow_none=True)


def split_request(method, caller, args):
    """The validated arguments without request_id, and the Request they make."""
    request_id = args.pop("request_id")
    return args, Request(method, caller.scope_key, request_id, args)


class ProbeService(web.Observable):
    name = "probe"
    auth = Auth()
    store = Storage(Store)
    itself = RpcProxy("probe")

    @rpc
    @allow(COMMITTEE, unit="own")
    def make_thing(self, thing, request_id=None):
        args, request = split_request("make_thing", self.auth.caller,
                                      load(MakeThingArgs, {"thing": thing, "request_id": request_id}))
        self.auth.caller.require_owner(unit=args["thing"]["unit_code"])

        def make(tx, now):
            # Any kind's id shape will do for a probe.
            return records.created(new_id("activity"), now, **args["thing"]), "thing_made"
        return self.store.create(self._thing_key, make, request=request)

    @rpc
    @allow(COMMITTEE, unit="own")
    def rename_thing(self, thing_id, title, request_id=None):
        args, request = split_request("rename_thing", self.auth.caller, load(
            RenameThingArgs, {"thing_id": thing_id, "title": title, "request_id": request_id}))

        def rename(tx, thing, now):
            return records.revised(thing, now, title=args["title"]), "thing_renamed"
        return self.store.change(self._thing_key(args["thing_id"]), "事物", rename, request=request,
                                 owner=lambda thing: self.auth.caller.require_owner(unit=thing["unit_code"]))

    def _thing_key(self, thing_id):
        return self.store.key("thing", thing_id)

    @rpc
    @allow(COMMITTEE)
    def get_thing(self, thing_id):
        record = self.store.load(self._thing_key(thing_id))
        if record is None:
            raise NotFound(thing_id)
        return record

    @rpc
    @allow(COMMITTEE)
    def whoami(self):
        """The correlation id this worker runs with: in its context, and bound for its log lines."""
        return {"context": self.correlation, "logging": correlation.current()}

    @rpc
    @allow(COMMITTEE)
    def ask_myself(self):
        """Mine and the one a nested RPC runs with."""
        return {"mine": self.correlation, "nested": self.itself.whoami()["context"]}

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

    @handles("probe", "thing_made", "thing_renamed")
    def on_thing(self, event):
        if event["data"].get("poison"):
            raise RuntimeError("cannot digest this")

        def note(tx):
            tx.write(lambda pipe: pipe.hincrby(self.store.key("effects"), event["event_id"], 1))
            tx.emit("thing_noted", event["subject"], event["seq"], event["data"])
        self.store.transact(note)


class DeadlineProbe(web.Observable, DeadlineEntrypoints):
    """Lists its deadline checks in Redis: `probedeadline:checks`, [now, correlation id] each."""
    name = "probedeadline"
    auth = Auth()
    store = Storage(Store)

    def run_deadline_checks(self, now):
        checks = self.store.client.rpush(self.store.key("checks"), json.dumps([now.isoformat(), self.correlation]))
        return {"checks": checks, "now": now.isoformat()}
