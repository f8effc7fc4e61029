"""An HTTP request's arguments for an RPC (contract §7): the JSON body of a POST, checked in the
contract's order (411, 413, 415, 400), or the query parameters of a GET, each converted to the type
the method's schema expects. Nothing here judges a value: the service validates every argument."""
from marshmallow import fields

from services.common.raw_messages import MAX_BODY, loads

from . import problems

JSON_TYPE = "application/json"


def _length(request):
    """The declared body length; 411 for a body without one (eventlet hands werkzeug no chunked body)."""
    if request.content_length is None:
        if request.headers.get("Transfer-Encoding"):
            raise problems.Problem(411, "LengthRequired", "请求体须带 Content-Length(Length required).")
        return 0
    if request.content_length > MAX_BODY:
        raise problems.Problem(413, "PayloadTooLarge", "请求体超过 4 MiB(Payload too large).")
    return request.content_length


def _not_json(constant):
    """Python's json reads NaN, Infinity and -Infinity; JSON (RFC 8259) has no such values."""
    raise ValueError(constant)


class DuplicateName(ValueError):
    pass


def _unique(pairs):
    """An object's members, each name once (RFC 8259 §4 says SHOULD): a proxy or firewall in front
    that keeps the first of two would judge other arguments than the service gets."""
    members = dict(pairs)
    if len(members) != len(pairs):
        raise DuplicateName()
    return members


def _object(body):
    """The body's JSON value, or None for one that is not JSON; 400 naming what else is wrong."""
    try:
        # UTF-8 only (RFC 8259 §8.1; a leading byte order mark is let go, as §8.1 allows):
        # Python's json would also take UTF-16 and UTF-32 bytes.
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise problems.Problem(400, "BadRequest", "请求体须为 UTF-8 编码(Body must be UTF-8).") from None
    try:
        return loads(text, parse_constant=_not_json, object_pairs_hook=_unique)
    except DuplicateName:
        raise problems.Problem(400, "BadRequest", "同一对象中成员名重复(A member name given twice).") from None
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        return None


def body_arguments(request):
    """The JSON object of a POST body; an empty body is `{}`."""
    if _length(request) == 0:
        return {}
    if request.mimetype != JSON_TYPE:
        raise problems.Problem(415, "UnsupportedMediaType", "请求体须为 application/json(Unsupported media type).")
    if request.headers.get("Content-Encoding", "identity").strip().lower() != "identity":
        # RFC 9110 §8.4: a coding the server does not apply is refused, not read as plain JSON.
        raise problems.Problem(415, "UnsupportedMediaType", "请求体不得压缩或编码(Content-Encoding not supported).")
    data = _object(request.get_data(cache=False))
    if not isinstance(data, dict):
        raise problems.Problem(400, "BadRequest", "请求体须为 JSON 对象(Body must be a JSON object).")
    return data


def _integer(text):
    if not (text.isascii() and text.lstrip("-").isdigit()):
        raise ValueError(text)
    return int(text)


def _boolean(text):
    if text not in ("true", "false"):
        raise ValueError(text)
    return text == "true"


# No read-only method takes a fractional number; such a field's values would go on as text.
CONVERTERS = ((fields.Boolean, _boolean), (fields.Integer, _integer))


def _converter(field):
    """How a query value becomes the type `field` expects; text stays text."""
    inner = field.inner if isinstance(field, fields.List) else field
    return next((convert for kind, convert in CONVERTERS if isinstance(inner, kind)), str)


def _converted(convert, text):
    """Text that cannot be converted goes on as text: the service's schema, whose integers and
    booleans take no text (tests/unit/test_gateway_inputs.py), refuses it naming the parameter, and
    only after the service's role check (contract §7: 403 before 422, as for the same call's POST)."""
    try:
        return convert(text)
    except ValueError:
        return text


def query_arguments(request, schema):
    """{name: value} of the query string, converted by `schema`'s fields. Nothing is refused here:
    a value that cannot be converted, a parameter given twice where one value is expected (it goes
    on as a list) and a name the schema does not know all go on for the RPC to refuse."""
    declared = schema._declared_fields
    arguments = {}
    for name in request.args:
        field = declared.get(name)
        convert = str if field is None else _converter(field)
        values = [_converted(convert, value) for value in request.args.getlist(name)]
        arguments[name] = values if isinstance(field, fields.List) or len(values) > 1 else values[0]
    return arguments
