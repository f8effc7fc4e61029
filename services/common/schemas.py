"""marshmallow building blocks and the one place where load failures become `ValidationError`.

Contract §1 "Field rules, v2": a pattern matches the whole value (`re.fullmatch`, so a trailing
newline is no match) with ASCII digits (`[0-9]`, never `\\d`); every text is valid Unicode (a lone
surrogate is refused before any other check); names, titles and codes carry no control or bidi
override characters and are not blank once whitespace and invisible characters are gone (every
format character, Unicode category Cf, and the fillers that render as nothing: `invisible`); longer
texts may carry line breaks and tabs but no other control characters; numbers the report adds up
are bounded. Messages never quote the input."""
import re
import unicodedata
from datetime import timedelta
from decimal import Decimal
from functools import cache

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate
from marshmallow import ValidationError as MarshmallowError

from .clock import CAMPAIGN_TZ
from .errors import ValidationError
from .idfields import IdShape, whole_value

NAME_MAX = 100
TEXT_MAX = 2000
LIST_MAX = 100
COUNT_MAX = 1_000_000_000  # far below 2**53: sums of counts stay exact in JSON and in Redis
UNIT_CODE = r"^[A-Za-z0-9_-]{1,32}$"
DEPARTMENT_CODE = r"^[a-z0-9-]{1,32}$"
PHONE = r"^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$"
CURSOR = r"[0-9]{13}:[!-~]{1,200}"
# An id of no named kind: the characters of every id the server makes, and nothing that could
# change the meaning of a Redis key (no `:`, no `*`).
ANY_ID = r"[A-Za-z0-9_-]{1,100}"

SURROGATES = re.compile("[\ud800-\udfff]")
CONTROLS = "\x00-\x1f\x7f-\x9f"
BIDI_OVERRIDES = "\u202a-\u202e\u2066-\u2069"
NAME_FORBIDDEN = re.compile(f"[{CONTROLS}{BIDI_OVERRIDES}]")
TEXT_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # all but \t \n \r
# Shown as nothing, yet neither whitespace nor format characters: Unicode's other default-ignorable
# code points (the combining grapheme joiner, Hangul fillers, Khmer inherent vowels, variation
# selectors, Mongolian free variation selectors, ...) and the braille blank.
IGNORABLE = re.compile("[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2800\u3164\ufe00-\ufe0f\uffa0"
                       "\ufff0-\ufff8\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]")


class BaseSchema(Schema):
    class Meta:
        unknown = RAISE


class LenientSchema(Schema):
    """For events: newer producers may add fields that an older consumer ignores."""

    class Meta:
        unknown = EXCLUDE


SAFE_KEY = re.compile(r"[A-Za-z0-9_]{1,64}")


def safe_key(key):
    """A path segment fit to send back: a field name or list index, never arbitrary input text
    (an unknown key may be megabytes long or hold a lone surrogate)."""
    key = str(key)
    return key if SAFE_KEY.fullmatch(key) else "<invalid>"


def nodes(value):
    """Every value inside `value` (itself included) with where it is: `(value, where)`, `where` a
    chain `(parent's where, key or index)`, None for `value` itself. `dotted` makes the path only
    when one is wanted: making a path for every key cost more than the search it served."""
    stack = [(value, None)]
    while stack:
        value, where = stack.pop()
        yield value, where
        if isinstance(value, dict):
            stack.extend((item, (where, key)) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, (where, index)) for index, item in enumerate(value))


def dotted(where, segment=str):
    """The dotted path of a `nodes` chain, each key or index shown by `segment`."""
    parts = []
    while where is not None:
        where, key = where
        parts.append(segment(key))
    return ".".join(reversed(parts))


# marshmallow's own messages as callers read every other one: Chinese first, the English after it.
# None quotes the input (marshmallow's that do are about dumping, which never reaches a caller).
MARSHMALLOW_CHINESE = {
    "Missing data for required field.": "缺少必填字段", "Field may not be null.": "不能为 null",
    "Unknown field.": "未知字段", "Invalid input type.": "应为对象", "Invalid type.": "类型不正确",
    "Invalid value.": "值不正确", "Invalid input.": "值不正确", "Not a valid string.": "应为文本",
    "Not a valid utf-8 string.": "应为 UTF-8 文本", "Not a valid integer.": "应为整数",
    "Not a valid number.": "应为数字", "Number too large.": "数值过大",
    "Special numeric values (nan or infinity) are not permitted.": "不允许 NaN 或无穷大",
    "Not a valid boolean.": "应为 true 或 false", "Not a valid list.": "应为列表",
    "Not a valid tuple.": "应为列表", "Not a valid mapping type.": "应为对象",
    "Not a valid datetime.": "应为日期时间", "Not a valid aware datetime.": "应为带时区的日期时间",
    "Not a valid naive datetime.": "应为不带时区的日期时间", "Not a valid date.": "应为日期",
    "Not a valid time.": "应为时间", "Not a valid email address.": "电子邮箱格式不正确",
    "Not a valid URL.": "URL 格式不正确", "Not a valid UUID.": "UUID 格式不正确",
    "String does not match expected pattern.": "格式不正确",
}
MARSHMALLOW_PATTERNS = tuple((re.compile(pattern), chinese) for pattern, chinese in (
    (r"Shorter than minimum length (\S+)\.", "长度不能少于 {0}"),
    (r"Longer than maximum length (\S+)\.", "长度不能超过 {0}"),
    (r"Length must be between (\S+) and (\S+)\.", "长度须在 {0} 到 {1} 之间"),
    (r"Length must be (\S+)\.", "长度须为 {0}"),
    (r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\.", "须在 {0} 到 {1} 之间"),
    (r"Must be greater than or equal to (\S+)\.", "不能小于 {0}"),
    (r"Must be less than or equal to (\S+)\.", "不能大于 {0}"),
    (r"Must be greater than (\S+)\.", "须大于 {0}"),
    (r"Must be less than (\S+)\.", "须小于 {0}"),
    (r"Must be equal to (.+)\.", "须为 {0}"),
    (r"Must be one of: (.+)\.", "须为以下之一: {0}"),
))


def in_chinese(message):
    """A marshmallow message as `中文(English).`; any other message (ours are written so) as it is."""
    chinese = MARSHMALLOW_CHINESE.get(message)
    if chinese is None:
        for pattern, template in MARSHMALLOW_PATTERNS:
            matched = pattern.fullmatch(message)
            if matched:
                chinese = template.format(*matched.groups())
                break
        else:
            return message
    return f"{chinese}({message.removesuffix('.')})."


def flatten(messages, prefix=""):
    """marshmallow's nested messages -> {"target.district": [...], "volunteers.0.hours": [...]},
    each message `in_chinese`."""
    if isinstance(messages, (list, tuple)) and all(isinstance(m, str) for m in messages):
        return {prefix or "_schema": [in_chinese(message) for message in messages]}
    if not isinstance(messages, dict):
        return {prefix or "_schema": [in_chinese(str(messages))]}
    flat = {}
    for key, value in messages.items():
        segment = safe_key(key)
        path = segment if not prefix else (prefix if key == "_schema" else f"{prefix}.{segment}")
        for field_path, texts in flatten(value, path).items():
            flat.setdefault(field_path, []).extend(texts)
    return flat


@cache
def instance(schema_cls):
    """One instance per schema class: building one costs more than most loads, and a load keeps no
    state in it (eventlet never switches inside a load, which does no I/O)."""
    return schema_cls()


def load(schema, data, partial=False):
    """Load `data` with `schema` (a class or instance); any failure is our `ValidationError`."""
    schema = instance(schema) if isinstance(schema, type) else schema
    if not isinstance(data, dict):
        raise ValidationError.field("_schema", "应为对象(Invalid input type).")
    try:
        return schema.load(data, partial=partial)
    except MarshmallowError as err:
        raise refusal(err) from None


def refusal(err, prefix=""):
    """Our `ValidationError` for marshmallow's `err`, which lets go of its traceback: marshmallow's
    load keeps the error it raises in a local, so error, traceback and frames make a reference
    cycle, and the frames' callers up to the worker would wait for the collector's next pass."""
    err.__traceback__ = None
    return ValidationError(flatten(err.messages, prefix))


class ValidUnicode:
    """A string field mixin: a lone surrogate is refused before any validator sees the value
    (it cannot be encoded as UTF-8, so it would fail later in Redis, a log or a reply)."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if isinstance(value, str) and SURROGATES.search(value):
            raise MarshmallowError("含有无效的 Unicode 字符(Invalid Unicode).")
        return value


class String(ValidUnicode, fields.String):
    pass


class Email(ValidUnicode, fields.Email):
    pass


class Matching(validate.Validator):
    """The whole value matches `pattern` (`fullmatch`: no trailing newline slips through `$`). Its
    `regex` is also the field's `pattern` in the OpenAPI document (apispec reads it)."""

    def __init__(self, pattern, error):
        self.regex = whole_value(pattern)
        self.error = error

    def __call__(self, value):
        if not self.regex.fullmatch(value):
            raise MarshmallowError(self.error)
        return value


def invisible(char):
    """Whitespace, a format character (category Cf: zero-width spaces and joiners, LRM/RLM, U+061C,
    U+2061-U+2064, U+180E, the soft hyphen, U+FEFF ...) or another `IGNORABLE` one: a name of only
    these looks blank."""
    return char.isspace() or unicodedata.category(char) == "Cf" or IGNORABLE.match(char) is not None


def not_blank(value):
    """Refuses a value made only of `invisible` characters; a value that passes is kept as given."""
    if all(map(invisible, value)):
        raise MarshmallowError("不能为空(Must not be blank).")


def name_characters(value):
    if NAME_FORBIDDEN.search(value):
        raise MarshmallowError("不能含有控制字符或双向控制字符(Control or bidi characters).")


def text_characters(value):
    if TEXT_FORBIDDEN.search(value):
        raise MarshmallowError("不能含有控制字符(Control characters).")


def name(**kw):
    """Names, titles and codes: non-empty, at most 100 characters, no control or bidi characters."""
    return String(validate=[validate.Length(max=NAME_MAX), name_characters, not_blank], **kw)


def text(required=False, **kw):
    """Longer texts: at most 2,000 characters; line breaks and tabs allowed, other controls not."""
    checks = [validate.Length(max=TEXT_MAX), text_characters] + ([not_blank] if required else [])
    if not required:
        kw.setdefault("load_default", "")
    return String(required=required, validate=checks, **kw)


def many(inner, minimum=0, **kw):
    return fields.List(inner, validate=validate.Length(min=minimum, max=LIST_MAX), **kw)


def choice(options, **kw):
    return String(validate=validate.OneOf(list(options)), **kw)


def code(pattern, error, **kw):
    """A code (unit, department ...): the whole value matches `pattern`."""
    return String(validate=Matching(pattern, error), **kw)


def unit_code(**kw):
    return code(UNIT_CODE, "单位代码格式不正确(Invalid unit code).", **kw)


def department_code(**kw):
    return code(DEPARTMENT_CODE, "司局代码格式不正确(Invalid department code).", **kw)


def record_id(kind=None, **kw):
    """An id the server made, checked for its kind's shape (every shape ever issued for it:
    `services.common.ids.ID_PATTERNS`) before any Redis key is built from it. A well-formed id of no
    record is then the service's `NotFound`. Without a kind (until every caller names one): the
    characters every server id is made of."""
    if kind is None:
        return code(ANY_ID, "编号格式不正确(Invalid id).", **kw)
    return String(validate=IdShape(kind), **kw)


def phone(**kw):
    return code(PHONE, "电话号码格式不正确(Invalid phone number).", **kw)


def email(**kw):
    return Email(validate=[validate.Length(max=254), name_characters], **kw)


# ISO 8601's extended calendar forms (contract §1 Time), and RFC 3339's space for the `T`; Python
# alone would also read `20270309`, a week date (`2027-W10-2`), a space before the offset or an
# offset with seconds. A moment without an offset passes here for the field's own message.
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
ISO_MOMENT = re.compile(ISO_DATE.pattern + r"[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?"
                                           r"(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?")


def iso_shaped(field, shape, value):
    """Refuses text not in `shape` as the field's own "invalid" (other types go on to the field)."""
    if isinstance(value, str) and shape.fullmatch(value) is None:
        raise field.make_error("invalid", input=value, obj_type=field.OBJ_TYPE)


class Day(ValidUnicode, fields.Date):
    """A calendar date, `YYYY-MM-DD`."""

    def _deserialize(self, value, attr, data, **kwargs):
        iso_shaped(self, ISO_DATE, value)
        return super()._deserialize(value, attr, data, **kwargs)


class Moment(ValidUnicode, fields.AwareDateTime):
    """ISO 8601 with an offset, that can be shown in the campaign's zone (years 1 to 9999 there)."""

    def _deserialize(self, value, attr, data, **kwargs):
        iso_shaped(self, ISO_MOMENT, value)
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


class JsonNumber(fields.Float):
    """A JSON number, kept as the caller gave it: 3 stays 3, 1.5 stays 1.5. Text such as "2" is
    refused like any other wrong type, and so are booleans, NaN, infinities and numbers no float holds."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise self.make_error("invalid")
        try:
            checked = super()._deserialize(value, attr, data, **kwargs)
        except OverflowError:
            raise self.make_error("invalid") from None
        return value if isinstance(value, int) else checked


def bounded(maximum, minimum=0, integer=True, decimals=None, **kw):
    """A number in [minimum, maximum]: JSON integers only (no bool, no 1.0) unless `integer=False`,
    then any finite JSON number (`JsonNumber`) of at most `decimals` decimal places. Bounds keep
    every sum the report makes exact: in whole numbers, or in units of 10^-decimals."""
    within = validate.Range(min=minimum, max=maximum)
    if integer:
        return fields.Integer(strict=True, validate=within, **kw)
    if decimals is None:
        return JsonNumber(validate=within, **kw)
    return JsonNumber(validate=[within, decimal_places(decimals)],
                      metadata={"description": f"至多 {decimals} 位小数(at most {decimals} decimal places)"}, **kw)


def decimal_places(most):
    """A validator: the number as written (its shortest form: 0.1 is 0.1) has at most `most` decimals."""
    def check(value):
        if Decimal(repr(value)).as_tuple().exponent < -most:
            raise MarshmallowError(f"最多{most}位小数(At most {most} decimal places).")
    return check


def count(**kw):
    return bounded(COUNT_MAX, **kw)


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
    if values is None:
        return
    try:
        repeated = len(set(values)) != len(values)
    except TypeError:  # objects: compare them pairwise
        repeated = any(value in values[:i] for i, value in enumerate(values))
    if repeated:
        raise MarshmallowError("不能有重复项(Duplicate items).")


class PageArgs(BaseSchema):
    limit = bounded(200, minimum=1, load_default=50)
    cursor = String(validate=Matching(CURSOR, "无效的分页游标(Invalid cursor)."), load_default=None,
                    allow_none=True)
