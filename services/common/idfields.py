"""The marshmallow field for an argument naming a record by id: a wrong shape is a ValidationError
naming the argument (contract §1 v2), checked before any Redis key is built."""
import re

from marshmallow import fields, validate
from marshmallow.exceptions import ValidationError

from .ids import ID_PATTERNS

INVALID_ID = "编号格式不正确(Invalid id)."
# The whole value is made of these (no control characters, no lone surrogates, which no Redis key
# can hold). Written so that it means the same in Python and in ECMA-262 (with the `u` flag), as the
# OpenAPI document's `pattern` (JSON Schema: unanchored search): `^` and `(?![\s\S])` for the end,
# since ECMA has no `\Z` and Python's `$` also matches before a final newline.
REQUEST_ID = re.compile(r"^[^\x00-\x1f\x7f-\x9f\ud800-\udfff]{1,100}(?![\s\S])")


def whole_value(pattern):
    """`pattern` (Python, matched whole) as the OpenAPI document's `pattern`, written as above:
    the same values match it searched for in Python and in ECMA-262."""
    body = pattern.removeprefix("^").removesuffix("$")
    return re.compile(rf"^(?:{body})(?![\s\S])")


class IdShape(validate.Validator):
    """The whole value is one of `kind`'s id shapes."""

    def __init__(self, kind):
        self.regex = whole_value(ID_PATTERNS[kind].pattern)  # the document's `pattern` (apispec reads it)

    def __call__(self, value):
        if self.regex.fullmatch(value) is None:
            raise ValidationError(INVALID_ID)
        return value


def record_id(kind, **kw):
    """A field accepting every id shape ever issued for `kind` (see services.common.ids)."""
    return fields.String(validate=IdShape(kind), **kw)


def request_id_field(**kw):
    """A client's `request_id` (contract §3): 1-100 characters, no control characters."""
    return fields.String(validate=validate.Regexp(
        REQUEST_ID, error="request_id 格式不正确(Invalid request_id)."), **kw)
