"""An HTTP request's arguments (services/gateway/inputs.py, calls.py): a POST body that is not a JSON
object is 400 whatever breaks the parser; a GET's query values are converted where they can be and
otherwise go on as given, which is safe only because every service schema refuses such text; and an
argument named `self`, which no RPC takes, is 422 naming it rather than a TypeError (a 500)."""
import pytest
from marshmallow import fields
from nameko.rpc import MethodProxy
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.gateway import catalogue, inputs, problems
from services.gateway.calls import call
from services.gateway.console.views import Api

DEEP = pytest.param(b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", id="nested 100000 deep")


def posted(body):
    return Request(EnvironBuilder(method="POST", data=body, content_type="application/json").get_environ())


def queried(query):
    return Request(EnvironBuilder(method="GET", query_string=query).get_environ())


@pytest.mark.parametrize("body", [b'{"limit": NaN}', b'{"limit": Infinity}', b'{"limit": [-Infinity]}', DEEP])
def test_a_body_python_reads_but_json_has_no_such_thing_or_too_deep_to_read_is_400(body):
    with pytest.raises(problems.Problem) as refused:
        inputs.body_arguments(posted(body))
    assert (refused.value.status, refused.value.code) == (400, "BadRequest")


def test_a_json_object_body_is_the_arguments():
    assert inputs.body_arguments(posted(b'{"limit": 1.5, "cursor": "NaN"}')) == {"limit": 1.5, "cursor": "NaN"}


def test_query_values_are_converted_by_the_methods_schema():
    schema = catalogue.operation("pairing", "list_units").schema
    assert inputs.query_arguments(queried("limit=10&active=false&cursor=1"), schema) == {
        "limit": 10, "active": False, "cursor": "1"}


@pytest.mark.parametrize("query, arguments", [
    ("limit=ten", {"limit": "ten"}), ("limit=%EF%BC%91%EF%BC%90", {"limit": "１０"}), ("limit=1.5", {"limit": "1.5"}),
    ("active=yes", {"active": "yes"}), ("limit=1&limit=2", {"limit": [1, 2]}), ("limti=1", {"limti": "1"}),
])
def test_what_cannot_be_converted_goes_on_for_the_service_to_refuse_after_its_role_check(query, arguments):
    assert inputs.query_arguments(queried(query), catalogue.operation("pairing", "list_units").schema) == arguments


def converted_fields():
    """(operation, argument, field) of every query parameter the gateway converts from text."""
    return [(op, name, field) for op in catalogue.OPERATIONS.values() if op.read_only
            for name, field in op.schema._declared_fields.items() if inputs._converter(field) is not str]


@pytest.mark.parametrize("op, name, field", converted_fields(), ids=lambda value: getattr(value, "method", None))
@pytest.mark.parametrize("text", ["10", "-1", "１０", "ten", "true", "yes", "1", "on", ""])
def test_every_service_schema_refuses_the_text_of_a_value_the_gateway_converts(op, name, field, text):
    """The gateway passes a value it cannot convert on as text: no service may take text for it."""
    for value in ([text] if isinstance(field, fields.List) else text, [text, text]):
        assert name in op.schema().validate({name: value}, partial=True), (op, name, value)


def test_the_gateway_converts_some_query_parameters():
    assert {(op.method, name) for op, name, _ in converted_fields()} >= {("list_units", "limit"),
                                                                          ("list_units", "active")}


class Reply:
    def __init__(self, kwargs):
        self.kwargs = kwargs

    def result(self):
        return self.kwargs


class EchoMethod(MethodProxy):
    """nameko's MethodProxy, with its `__call__(self, *args, **kwargs)`, answering with its arguments."""

    def __init__(self):  # no publisher: nothing is sent
        pass

    def _call(self, *args, **kwargs):
        return Reply(kwargs)


class EchoService:
    def __getattr__(self, method):
        return EchoMethod()


def test_arguments_nested_deeper_than_any_call_are_422_before_any_call():
    deep = {"limit": [[[]]]}
    for _ in range(900):
        deep = {"limit": [deep]}
    with pytest.raises(problems.Problem) as refused:
        call(EchoService(), "get_campaign", deep, 5)
    assert (refused.value.status, list(refused.value.members["errors"])) == (422, ["_schema"])


def test_an_argument_named_self_is_422_naming_it_as_no_rpc_takes_one():
    assert call(EchoService(), "get_campaign", {"campaign_id": "c1"}, 5) == {"campaign_id": "c1"}
    with pytest.raises(problems.Problem) as refused:
        call(EchoService(), "get_campaign", {"campaign_id": "c1", "self": 1}, 5)
    assert (refused.value.status, refused.value.members) == (422, {"errors": {"self": ["未知参数(Unknown argument)."]}})


def test_a_console_form_field_named_like_the_api_wrappers_own_parameters_is_an_argument():
    api = Api({"pairing": EchoService()}, 5)
    assert api("pairing", "get_campaign", service="s", method="m") == {"service": "s", "method": "m"}
    with pytest.raises(problems.Problem) as refused:
        api("pairing", "get_campaign", self="1")
    assert refused.value.status == 422 and set(refused.value.members["errors"]) == {"self"}
