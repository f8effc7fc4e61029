"""A state-changing call as its entrypoint loads it: the validated arguments and its `Request`."""
from .idfields import request_id_field
from .requests import Request
from .schemas import BaseSchema, load


class ChangeArgs(BaseSchema):
    """The base of a state-changing call's arguments: the optional `request_id` (contract §3 v2)."""

    request_id = request_id_field(load_default=None, allow_none=True)


def load_call(method, schema, caller, arguments):
    """`(args, request)`: `arguments` loaded with `schema` (a `ChangeArgs`), and the call as
    idempotency sees it (contract §3 v2): method, the caller's scope, request_id, the other args."""
    args = load(schema, arguments)
    request = Request(method, caller.scope_key, args["request_id"],
                      {key: value for key, value in args.items() if key != "request_id"})
    return args, request
