"""An HTTP request's arguments for an RPC (contract §7): the JSON body of a POST, checked in the
contract's order (411, 413, 415, 400), or the query parameters of a GET, each converted to the type
the method's schema expects. Nothing here judges a value: the service validates every argument."""
import json

from marshmallow import fields

from services.common.raw_messages import MAX_BODY

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


def body_arguments(request):
    """The JSON object of a POST body; an empty body is `{}`."""
    if _length(request) == 0:
        return {}
    if request.mimetype != JSON_TYPE:
        raise problems.Problem(415, "UnsupportedMediaType", "请求体须为 application/json(Unsupported media type).")
    try:
        data = json.loads(request.get_data(cache=False))
    except ValueError:
        data = None
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
MESSAGES = {_boolean: "应为 true 或 false(Not a boolean).", _integer: "应为整数(Not an integer)."}


def _converter(field):
    """How a query value becomes the type `field` expects; text stays text."""
    inner = field.inner if isinstance(field, fields.List) else field
    return next((convert for kind, convert in CONVERTERS if isinstance(inner, kind)), str)


def query_arguments(request, schema):
    """{name: value} of the query string, converted by `schema`'s fields; 422 naming a parameter
    that cannot be converted or that is given twice where one value is expected. A name the schema
    does not know goes on as text, and the RPC's own signature check refuses it."""
    declared = schema._declared_fields
    arguments, errors = {}, {}
    for name in request.args:
        values, field = request.args.getlist(name), declared.get(name)
        convert = str if field is None else _converter(field)
        try:
            converted = [convert(value) for value in values]
        except ValueError:
            errors[name] = [MESSAGES[convert]]
            continue
        if isinstance(field, fields.List):
            arguments[name] = converted
        elif len(converted) > 1:
            errors[name] = ["只能给一个值(Only one value allowed)."]
        else:
            arguments[name] = converted[0]
    if errors:
        raise problems.invalid(errors)
    return arguments
