import json

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
