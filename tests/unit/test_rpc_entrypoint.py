"""The one RPC entrypoint on a cluster: its queue is a quorum queue and a write no Redis replica
confirmed is `Unavailable` (issue 14 with the guard of services.common.rpc); how replies are encoded."""
import json
from types import SimpleNamespace

import pytest
from kombu.exceptions import EncodeError

from services.common.amqp_names import quorum
from services.common.errors import NotFound, Unavailable, ValidationError
from services.common.redis_ha import NotReplicated
from services.common.rpc import GuardedRpcConsumer, Replies, answer_for, check_unicode

CONFIG = {"AMQP_URI": "pyamqp://guest:guest@127.0.0.1:5672/"}


def test_the_guarded_consumer_declares_rpc_service_as_a_quorum_queue():
    registered = []
    consumer = GuardedRpcConsumer()
    consumer.container = SimpleNamespace(service_name="pairing", config=CONFIG)
    consumer.queue_consumer = SimpleNamespace(register_provider=registered.append)
    consumer.setup()
    assert (consumer.queue.name, consumer.queue.routing_key) == ("rpc-pairing", "pairing.*")
    assert consumer.queue.queue_arguments == quorum()
    assert registered == [consumer]


def test_a_write_no_replica_confirmed_is_unavailable_not_internal():
    assert isinstance(answer_for(NotReplicated("0 of 1 replicas in 1000 ms"), "pairing.create_campaign"), Unavailable)


class SentReplies(Replies):
    """`Replies` with what it would publish kept, not sent."""

    def __init__(self):
        super().__init__(CONFIG)
        self.sent = []

    def publish(self, message, body, content_type, encoding):
        self.sent.append((json.loads(body), content_type, encoding))


def request(content_type="application/json"):
    return SimpleNamespace(properties={"content_type": content_type, "reply_to": "r", "correlation_id": "c"})


def test_a_reply_carries_the_result_or_the_error_encoded_as_the_request_was():
    replies = SentReplies()
    assert replies.answer(request(), {"id": "a1"}, None) == ({"id": "a1"}, None)
    failure = (NotFound, NotFound("活动不存在(Not found)."), None)
    assert replies.answer(request(), None, failure) == (None, failure)
    (ok, content_type, encoding), (failed, _, _) = replies.sent
    assert ok == {"result": {"id": "a1"}, "error": None} and (content_type, encoding) == ("application/json", "utf-8")
    assert failed["result"] is None and failed["error"]["exc_type"] == "NotFound"


def test_a_result_that_cannot_be_encoded_is_an_internal_error_that_does_not_quote_it():
    replies = SentReplies()
    result, exc_info = replies.answer(request(), {"phone": b"13800000000"}, None)
    (reply, _, _), = replies.sent
    assert result is None and exc_info[0] is EncodeError
    assert reply["result"] is None and reply["error"]["exc_type"] == "InternalError"
    assert "13800000000" not in json.dumps(reply)


def test_a_refusal_is_always_json_and_names_the_whole_request():
    replies = SentReplies()
    replies.refuse(request("application/x-whatever"))
    (reply, content_type, _), = replies.sent
    assert content_type == "application/json" and reply["error"]["exc_type"] == "ValidationError"
    assert "_schema" in reply["error"]["value"]


@pytest.mark.parametrize("named, path", [
    ({"report": {"volunteers": [{"name": "张三", "hours": 2}], "notes": None}}, None),
    ({"report": {"volunteers": [{"name": "张\ud800"}]}}, "report.volunteers.0.name"),
    ({"report": {"extra": {"\udfff": 1}}}, "report.extra"),
    ({"ok": "fine", "codes": ["U1", "\ud83d"]}, "codes.1"),
])
def test_check_unicode_names_the_path_of_a_lone_surrogate_and_passes_clean_arguments(named, path):
    if path is None:
        check_unicode(named)
        return
    with pytest.raises(ValidationError) as raised:
        check_unicode(named)
    assert list(raised.value.messages) == [path]
