"""The probe service of tests/service/test_common_rules.py, built only from services/common, and a
raw AMQP caller that sends request bodies no nameko client would."""
import json
import uuid

from kombu import Connection, Producer, Queue
from marshmallow import fields
from nameko.rpc import get_rpc_exchange

from services.common.auth import COMMITTEE, OPS, Auth, allow
from services.common.outbox import Bus
from services.common.rpc import rpc
from services.common.schemas import BaseSchema, load, name, record_id, unit_code
from services.common.storage import Storage
from services.common.store import Store
from services.common.units import UnitStatus
from tests.helpers import wait_until

# Put in hostile bodies and arguments: it must never show up in a log line or the audit trail.
MARKER = "BODY-MARKER-7d1e"

class TouchArgs(BaseSchema):
    thing_id = record_id(required=True)
    unit_code = unit_code(required=True)
    note = name(load_default="-")


class EchoArgs(BaseSchema):
    value = fields.Raw(required=True)


class RulesProbe(UnitStatus):
    name = "rulesprobe"
    auth = Auth()
    store = Storage(Store)

    @rpc
    @allow(COMMITTEE, unit="own", deferred_unit_check=True)
    def touch(self, thing_id, unit_code, note="-", request_id=None):
        data = load(TouchArgs, {"thing_id": thing_id, "unit_code": unit_code, "note": note})
        self.auth.caller.require_owner(unit=data["unit_code"])
        key = self.store.key("touched", data["thing_id"])
        self.store.transact(lambda tx: tx.write(lambda pipe: pipe.incr(key)))
        return {"id": data["thing_id"], "unit_code": data["unit_code"]}

    @rpc
    @allow(COMMITTEE, unit="own", deferred_unit_check=True)
    def remark(self, unit_code):
        """A state-changing method that ends without a transaction."""
        self.auth.caller.require_owner(unit=unit_code)
        return {"unit_code": unit_code}

    @rpc
    @allow(COMMITTEE, unit="own")
    def look_outside(self, unit_code):
        """A state-changing method whose work starts outside Redis: its unit is checked at once."""
        self.auth.caller.require_owner(unit=unit_code)
        self.store.client.incr(self.store.key("looked", unit_code))
        return {"unit_code": unit_code}

    @rpc
    @allow(COMMITTEE, OPS, unit="own")
    def get_touch(self, thing_id):
        self.auth.caller.ownership_checked = True
        return {"id": thing_id, "count": int(self.store.client.get(self.store.key("touched", thing_id)) or 0)}

    @rpc
    @allow(COMMITTEE)
    def echo(self, value):
        return load(EchoArgs, {"value": value})["value"]

    @rpc
    @allow(COMMITTEE)
    def publish_elsewhere(self, port):
        """Reaches a broker that is not there: a broker connection error inside an RPC."""
        envelope = {"source": "rulesprobe", "event_type": "nothing_happened", "event_id": "e-1"}
        Bus(f"pyamqp://guest:guest@127.0.0.1:{port}//").publish(envelope)


class RawCaller:
    """Publishes raw request bodies to `rulesprobe.<method>` and collects the replies."""

    def __init__(self, amqp_uri):
        self.connection = Connection(amqp_uri)
        channel = self.connection.default_channel
        self.reply_key = str(uuid.uuid4())
        self.replies = Queue(f"rpc.reply-test-{self.reply_key}", exchange=get_rpc_exchange({}),
                             routing_key=self.reply_key, auto_delete=True)(channel)
        self.replies.declare()
        self.producer = Producer(channel)

    def send(self, body, method="get_touch", content_type="application/json", reply=True, token=None):
        correlation_id = uuid.uuid4().hex
        headers = {"nameko.auth_token": token} if token else {}
        options = {"reply_to": self.reply_key} if reply else {}
        self.producer.publish(body, exchange=get_rpc_exchange({}), routing_key=f"rulesprobe.{method}",
                              content_type=content_type, content_encoding="binary", headers=headers,
                              correlation_id=correlation_id, **options)
        return correlation_id

    def reply(self, correlation_id, timeout=5):
        def arrived():
            message = self.replies.get(no_ack=True)
            if message is not None and message.properties.get("correlation_id") == correlation_id:
                return json.loads(message.body)
            return None
        return wait_until(arrived, timeout=timeout, message="a reply")

    def close(self):
        self.connection.release()
