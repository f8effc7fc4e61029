import json
import re

import pytest
from marshmallow import fields

from services.common import schemas
from services.common.errors import ValidationError


class Target(schemas.BaseSchema):
    name = schemas.name(required=True)
    district = fields.String(required=True)
    phone = schemas.phone(required=True)


class Report(schemas.BaseSchema):
    title = schemas.name(required=True)
    target = fields.Nested(Target, required=True)
    volunteers = schemas.many(fields.Nested(Target), minimum=1, required=True)
    when = schemas.moment(required=True)


GOOD_TARGET = {"name": "张大爷", "district": "东城区", "phone": "13912345678"}


def field_map(exc_info):
    return json.loads(str(exc_info.value))


@pytest.mark.parametrize("data", [None, [], "text", 42, [GOOD_TARGET]])
def test_a_wrong_argument_type_is_a_validation_error_for_the_whole_object(data):
    with pytest.raises(ValidationError) as exc:
        schemas.load(Report, data)
    assert list(field_map(exc)) == ["_schema"]


def test_nested_and_listed_fields_are_named_by_dotted_path():
    bad = {"title": "x" * 101, "target": {**GOOD_TARGET, "phone": "12345"},
           "volunteers": [GOOD_TARGET, {**GOOD_TARGET, "name": "  "}], "when": "2026-03-01T10:00:00"}
    with pytest.raises(ValidationError) as exc:
        schemas.load(Report, bad)
    assert set(field_map(exc)) == {"title", "target.phone", "volunteers.1.name", "when"}


def test_a_huge_string_is_refused_without_echoing_it():
    with pytest.raises(ValidationError) as exc:
        schemas.load(Report, {"title": "长" * 10_000_000, "target": GOOD_TARGET, "volunteers": [GOOD_TARGET],
                              "when": "2026-03-01T10:00:00+08:00"})
    assert list(field_map(exc)) == ["title"]
    assert len(str(exc.value)) < 500


class Dated(schemas.BaseSchema):
    day = schemas.Day()
    when = schemas.moment()


@pytest.mark.parametrize("field, value, accepted", [
    ("day", "2027-03-09", True), ("day", "20270309", False), ("day", "2027-W10-2", False), ("day", "2027-3-9", False),
    ("day", "2027-03-09\n", False),
    ("when", "2026-11-01T09:00:00+08:00", True), ("when", "2026-11-01T09:00+08:00", True),
    ("when", "2026-11-01T09:00:00.123456Z", True), ("when", "2026-11-01 09:00:00+08:00", True),
    ("when", "2026-11-01T09:00:00 +08:00", False), ("when", "2026-11-01T09:00:00+08:00:30", False),
    ("when", "2026-W44-7T09:00:00+08:00", False), ("when", "20261101T090000+0800", False),
    ("when", "2026-11-01T09:00:00", False),
])
def test_dates_and_moments_are_iso_8601_calendar_forms(field, value, accepted):
    # Contract §1 Time; Python's fromisoformat alone would read several of the refused forms.
    if accepted:
        assert field in schemas.load(Dated, {field: value})
    else:
        with pytest.raises(ValidationError) as exc:
            schemas.load(Dated, {field: value})
        assert list(field_map(exc)) == [field]


@pytest.mark.parametrize("value", [123, ["a"], {"a": 1}, None])
def test_a_number_or_list_where_a_string_goes_names_the_field(value):
    with pytest.raises(ValidationError) as exc:
        schemas.load(Target, {**GOOD_TARGET, "district": value})
    assert list(field_map(exc)) == ["district"]


def test_unknown_fields_are_refused():
    with pytest.raises(ValidationError) as exc:
        schemas.load(Target, {**GOOD_TARGET, "surprise": 1})
    assert list(field_map(exc)) == ["surprise"]


@pytest.mark.parametrize("phone", ["13912345678", "010-12345678", "01012345678", "0571-1234567"])
def test_mainland_phone_numbers_are_accepted(phone):
    assert schemas.load(Target, {**GOOD_TARGET, "phone": phone})["phone"] == phone


@pytest.mark.parametrize("phone", ["12912345678", "1391234567", "+8613912345678", "1-800-FLOWERS", ""])
def test_other_phone_numbers_are_refused(phone):
    with pytest.raises(ValidationError):
        schemas.load(Target, {**GOOD_TARGET, "phone": phone})


def test_page_args_default_and_bounds():
    assert schemas.load(schemas.PageArgs, {}) == {"limit": 50, "cursor": None}
    for limit in (0, 201, "10", 1.5):
        with pytest.raises(ValidationError) as exc:
            schemas.load(schemas.PageArgs, {"limit": limit})
        assert list(field_map(exc)) == ["limit"]


@pytest.mark.parametrize("when", ["9999-12-31T23:00:00-10:00", "0001-01-01T00:00:00+14:00", "2026-02-30T10:00:00+08:00",
                                  "2026-03-01T10:00:00", "2026-03-01", "yesterday", 20260301])
def test_times_that_cannot_be_placed_in_the_campaign_zone_are_refused(when):
    with pytest.raises(ValidationError) as exc:
        schemas.load(Report, {"title": "t", "target": GOOD_TARGET, "volunteers": [GOOD_TARGET], "when": when})
    assert list(field_map(exc)) == ["when"]


# -- Field rules, v2 (contract §1) -----------------------------------------------------------------

from hypothesis import given, settings, strategies as st  # noqa: E402


class Fields(schemas.BaseSchema):
    name = schemas.name()
    text = schemas.text()
    unit = schemas.unit_code()
    department = schemas.department_code()
    phone = schemas.phone()
    email = schemas.email()
    when = schemas.moment()
    campaign_id = schemas.record_id("campaign")
    pairing_id = schemas.record_id("pairing")
    activity_id = schemas.record_id("activity")
    summary_id = schemas.record_id("summary")
    issue_id = schemas.record_id("issue")
    notification_id = schemas.record_id("notification")
    some_id = schemas.record_id()
    beneficiaries = schemas.bounded(100_000)
    hours = schemas.bounded(24, integer=False)
    count = schemas.count()
    names = schemas.many(schemas.name())


def refused(field, value):
    with pytest.raises(ValidationError) as exc:
        schemas.load(Fields, {field: value})
    return field_map(exc)


@pytest.mark.parametrize("field, value", [
    ("unit", "U001\n"), ("department", "elderly-care\n"), ("phone", "13912345678\n"),
    ("campaign_id", "c0123456789abcdef\n"), ("unit", "\nU001"), ("email", "a@b.cn\n"),
])
def test_a_pattern_must_match_the_whole_value(field, value):
    assert list(refused(field, value)) == [field]


@pytest.mark.parametrize("field, value", [
    ("phone", "１３９１２３４５６７８"), ("phone", "139١٢٣٤٥٦٧٨"), ("phone", "010-１２３４５６７８"),
    ("summary_id", "S١٢٣٤٥٦٧"), ("when", "２０２６-03-01T10:00:00+08:00"),
])
def test_digits_are_ascii_digits_only(field, value):
    assert list(refused(field, value)) == [field]


@pytest.mark.parametrize("field", ["name", "text", "unit", "department", "phone", "email", "when", "campaign_id",
                                   "some_id"])
def test_a_lone_surrogate_is_a_validation_error_naming_the_field(field):
    assert list(refused(field, "ab\ud800cd")) == [field]


def test_a_lone_surrogate_in_a_list_item_or_a_key_is_named_without_echoing_it():
    assert list(refused("names", ["ok", "x\udfff"])) == ["names.1"]
    with pytest.raises(ValidationError) as exc:
        schemas.load(Fields, {"\ud800": 1, "x" * 10_000: 2})
    assert field_map(exc) == {"<invalid>": ["未知字段(Unknown field)."] * 2}
    str(exc.value).encode("utf-8")  # the message itself is valid Unicode


@pytest.mark.parametrize("value", ["a\x00b", "a\x01", "\x7f", "a\x85b", "a\tb", "a\nb", "a\rb",
                                   "abc\u202e", "\u2066x", "x\u2069", "\u202ax"])
def test_names_refuse_control_and_bidi_characters(value):
    assert list(refused("name", value)) == ["name"]


# Whitespace, format characters (category Cf) and the fillers that render as nothing.
INVISIBLE = ["", "   ", "\u200b", "\u200b\u200c\u200d", " \u2060 ", "\ufeff", "\u3000\u200b", "\u200e\u200f",
             "\u061c", "\u2061\u2062\u2063\u2064", "\u180e", "\u00ad", "\u034f", "\u3164", "\u115f\u1160",
             "\uffa0", "\U000e0020\U000e007f", " \u200e\u3164 ", "\ufe0f", "\U000e0100", "\u180b",
             "\u17b4\u17b5", "\u2800"]


@pytest.mark.parametrize("value", INVISIBLE)
def test_names_blank_once_whitespace_and_invisible_characters_go_are_refused(value):
    assert list(refused("name", value)) == ["name"]


@pytest.mark.parametrize("value", ["\u200e张三", "李\u00ad四", "\u3164王五\u034f"])
def test_a_name_with_visible_characters_is_kept_with_its_invisible_ones(value):
    assert schemas.load(Fields, {"name": value})["name"] == value


def test_texts_may_hold_line_breaks_and_tabs_but_no_other_control_characters():
    assert schemas.load(Fields, {"text": "第一行\r\n第二行\t完"})["text"] == "第一行\r\n第二行\t完"
    for value in ("a\x00", "a\x0b", "a\x1b[31m", "a\x7f", "a\x9b"):
        assert list(refused("text", value)) == ["text"]


def test_names_keep_ordinary_chinese_and_punctuation():
    value = "北京市东城区·学雷锋（志愿服务）队 No.1"
    assert schemas.load(Fields, {"name": value})["name"] == value


@pytest.mark.parametrize("field, value", [
    ("campaign_id", "c0123456789abcdef"), ("pairing_id", "p0123456789abcdef"),
    ("activity_id", "0123456789abcdef0123456789abcdef"), ("summary_id", "S0000001"), ("issue_id", "I12345678"),
    ("summary_id", "s0123456789abcdef"), ("issue_id", "i0123456789abcdef"),
    ("notification_id", "0123456789abcdef01234567"), ("some_id", "elderly-care"),
])
def test_every_id_shape_the_server_issues_is_accepted(field, value):
    assert schemas.load(Fields, {field: value})[field] == value


@pytest.mark.parametrize("field, value", [
    ("campaign_id", "c0123456789abcdef:unit:U001"), ("campaign_id", "p0123456789abcdef"),
    ("campaign_id", "C0123456789ABCDEF"), ("pairing_id", "*"), ("activity_id", "0" * 31),
    ("summary_id", "S1"), ("issue_id", "S0000001"), ("notification_id", ""), ("some_id", "a:b"),
    ("some_id", "a*"), ("some_id", "x" * 101), ("some_id", 7), ("some_id", None),
])
def test_an_id_of_the_wrong_shape_is_a_validation_error_naming_the_argument(field, value):
    assert list(refused(field, value)) == [field]


@pytest.mark.parametrize("field, value", [
    ("beneficiaries", 100_001), ("beneficiaries", 2 ** 63 - 1), ("beneficiaries", -1), ("beneficiaries", 1.0),
    ("beneficiaries", True), ("beneficiaries", "5"), ("hours", 24.01), ("hours", -0.5), ("hours", 10 ** 400),
    ("hours", float("nan")), ("hours", float("inf")), ("hours", False), ("hours", "2"), ("count", 10 ** 12),
])
def test_numbers_the_report_adds_up_are_bounded(field, value):
    assert list(refused(field, value)) == [field]


def test_bounded_numbers_accept_their_range():
    loaded = schemas.load(Fields, {"beneficiaries": 100_000, "hours": 24, "count": 0})
    assert loaded == {"beneficiaries": 100_000, "hours": 24, "count": 0, "text": ""}
    assert schemas.load(Fields, {"hours": 1.5})["hours"] == 1.5


@pytest.mark.parametrize("email", ['"\x01"@example.com', "a\u202e@example.com", "a@b\ud800.cn"])
def test_e_mail_addresses_refuse_control_bidi_and_surrogates(email):
    assert list(refused("email", email)) == ["email"]


@pytest.mark.parametrize("cursor", ["1700000000000:c1\n", "١٧٠٠٠٠٠٠٠٠٠٠٠:c1", "1700000000000:c\ud800",
                                    "1700000000000:a b", "x"])
def test_a_cursor_of_the_wrong_shape_is_refused(cursor):
    with pytest.raises(ValidationError) as exc:
        schemas.load(schemas.PageArgs, {"cursor": cursor})
    assert list(field_map(exc)) == ["cursor"]


def test_distinct_compares_objects_too():
    with pytest.raises(Exception) as exc:
        schemas.distinct([{"a": 1}, {"a": 1}])
    assert "重复" in str(exc.value)
    schemas.distinct([{"a": 1}, {"a": 2}])


ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(Fields._declared_fields)) | st.text(max_size=5), ANY_JSON,
                       max_size=6))
def test_any_input_loads_or_is_a_validation_error_whose_text_is_valid_unicode(data):
    try:
        loaded = schemas.load(Fields, data)
    except ValidationError as err:
        str(err).encode("utf-8")
        assert all(path.split(".")[0] in Fields._declared_fields or path.startswith("<invalid>") or
                   path in data for path in err.messages)
        return
    for value in loaded.values():
        if isinstance(value, str):
            value.encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_a_loaded_name_is_never_blank_nor_holds_control_bidi_or_surrogates(value):
    try:
        loaded = schemas.load(Fields, {"name": value})["name"]
    except ValidationError:
        return
    assert loaded.encode("utf-8")
    assert not any(ord(c) < 32 or 0x7f <= ord(c) <= 0x9f or 0x202a <= ord(c) <= 0x202e or 0x2066 <= ord(c) <= 0x2069
                   for c in loaded)
    assert loaded.strip(" \t\n\r\u3000\u200b\u200c\u200d\u2060\ufeff")


@pytest.mark.parametrize("english, chinese", [
    ("Not a valid integer.", "应为整数(Not a valid integer)."),
    ("Missing data for required field.", "缺少必填字段(Missing data for required field)."),
    ("Longer than maximum length 100.", "长度不能超过 100(Longer than maximum length 100)."),
    ("Must be greater than or equal to 2000 and less than or equal to 2100.",
     "须在 2000 到 2100 之间(Must be greater than or equal to 2000 and less than or equal to 2100)."),
    ("Must be one of: draft, submitted.", "须为以下之一: draft, submitted(Must be one of: draft, submitted)."),
    ("不能为空(Must not be blank).", "不能为空(Must not be blank)."),  # ours are written so already
])
def test_marshmallows_messages_reach_the_caller_in_chinese_with_the_english_kept(english, chinese):
    assert schemas.in_chinese(english) == chinese


def test_every_message_of_a_failed_load_is_chinese_first():
    with pytest.raises(ValidationError) as exc:
        schemas.load(Fields, {"name": 7, "when": "soon", "stray": 1})
    assert all(re.match(r"[^\x00-\x7f]", text) for texts in field_map(exc).values() for text in texts)
