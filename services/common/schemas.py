"""marshmallow building blocks and the one place where load failures become `ValidationError`."""
from datetime import timedelta

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate
from marshmallow import ValidationError as MarshmallowError

from .clock import CAMPAIGN_TZ
from .errors import ValidationError

NAME_MAX = 100
TEXT_MAX = 2000
LIST_MAX = 100
UNIT_CODE = r"^[A-Za-z0-9_-]{1,32}$"
DEPARTMENT_CODE = r"^[a-z0-9-]{1,32}$"
PHONE = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$"


class BaseSchema(Schema):
    class Meta:
        unknown = RAISE


class LenientSchema(Schema):
    """For events: newer producers may add fields that an older consumer ignores."""

    class Meta:
        unknown = EXCLUDE


def flatten(messages, prefix=""):
    """marshmallow's nested messages -> {"target.district": [...], "volunteers.0.hours": [...]}."""
    if isinstance(messages, (list, tuple)) and all(isinstance(m, str) for m in messages):
        return {prefix or "_schema": list(messages)}
    if not isinstance(messages, dict):
        return {prefix or "_schema": [str(messages)]}
    flat = {}
    for key, value in messages.items():
        path = str(key) if not prefix else (prefix if key == "_schema" else f"{prefix}.{key}")
        flat.update(flatten(value, path))
    return flat


def load(schema, data, partial=False):
    """Load `data` with `schema` (a class or instance); any failure is our `ValidationError`."""
    schema = schema() if isinstance(schema, type) else schema
    if not isinstance(data, dict):
        raise ValidationError.field("_schema", "应为对象(Invalid input type).")
    try:
        return schema.load(data, partial=partial)
    except MarshmallowError as err:
        raise ValidationError(flatten(err.messages)) from None


def not_blank(value):
    if not value.strip():
        raise MarshmallowError("不能为空(Must not be blank).")


def name(**kw):
    """Names, titles and codes: non-empty, at most 100 characters."""
    return fields.String(validate=[validate.Length(max=NAME_MAX), not_blank], **kw)


def text(required=False, **kw):
    checks = [validate.Length(max=TEXT_MAX)] + ([not_blank] if required else [])
    if not required:
        kw.setdefault("load_default", "")
    return fields.String(required=required, validate=checks, **kw)


def many(inner, minimum=0, **kw):
    return fields.List(inner, validate=validate.Length(min=minimum, max=LIST_MAX), **kw)


def choice(options, **kw):
    return fields.String(validate=validate.OneOf(list(options)), **kw)


def unit_code(**kw):
    return fields.String(validate=validate.Regexp(UNIT_CODE, error="单位代码格式不正确(Invalid unit code)."), **kw)


def department_code(**kw):
    return fields.String(
        validate=validate.Regexp(DEPARTMENT_CODE, error="司局代码格式不正确(Invalid department code)."), **kw
    )


def record_id(**kw):
    return fields.String(validate=validate.Length(min=1, max=NAME_MAX), **kw)


def phone(**kw):
    return fields.String(validate=validate.Regexp(PHONE, error="电话号码格式不正确(Invalid phone number)."), **kw)


def email(**kw):
    return fields.Email(validate=validate.Length(max=254), **kw)


class Moment(fields.AwareDateTime):
    """ISO 8601 with an offset, that can be shown in the campaign's zone (years 1 to 9999 there)."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            moment.astimezone(CAMPAIGN_TZ) + timedelta(days=400)
            moment.astimezone(CAMPAIGN_TZ) - timedelta(days=400)
        except OverflowError:
            raise self.make_error("invalid", input=value, obj_type="datetime") from None
        return moment


def moment(**kw):
    """A point in time: ISO 8601 with an offset; one without is refused."""
    return Moment(format="iso", **kw)


def count(**kw):
    return fields.Integer(strict=True, validate=validate.Range(min=0), **kw)


class StrictBoolean(fields.Boolean):
    """JSON true / false only: marshmallow's truthy sets let 1 and 0 through, as 1 == True."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def flag(**kw):
    return StrictBoolean(**kw)


def distinct(values):
    """A list validator: no item twice."""
    if values is not None and len(set(values)) != len(values):
        raise MarshmallowError("不能有重复项(Duplicate items).")


class PageArgs(BaseSchema):
    limit = fields.Integer(strict=True, validate=validate.Range(min=1, max=200), load_default=50)
    cursor = fields.String(validate=validate.Length(max=400), load_default=None, allow_none=True)
