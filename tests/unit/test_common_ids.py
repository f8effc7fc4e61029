"""One id maker, and a shape check that still accepts every id shape ever issued."""
import hashlib
import json

import pytest

from services.common import ids
from services.common.errors import ValidationError
from services.common.idfields import record_id, request_id_field
from services.common.schemas import BaseSchema, load

ISSUED_BEFORE = {
    "summary": ["S0000001", "S0012345", "S12345678"],
    "issue": ["I0000001", "I9999999"],
    "activity": ["0f" * 16],
    "notification": ["a1b2c3d4e5f6a7b8c9d0e1f2"],
    "campaign": ["c0123456789abcdef"],
    "pairing": ["p0123456789abcdef"],
}
NOT_IDS = ["", "c0123456789abcde", "c0123456789abcdef\n", "c0123456789ABCDEF", "p0123456789abcdef",
           "C0123456789abcdef", "c0123456789abcdeg", "c٠١٢٣٤٥٦٧٨٩abcdef", "../c0123456789abcd", "c:1"]


@pytest.mark.parametrize("kind", sorted(ids.SHAPES))
def test_every_new_id_has_its_kinds_shape_and_is_fresh(kind):
    made = {ids.new_id(kind) for _ in range(50)}
    assert len(made) == 50 and all(ids.is_id(kind, value) for value in made)


@pytest.mark.parametrize("kind,value", [(kind, value) for kind, values in ISSUED_BEFORE.items() for value in values])
def test_ids_issued_before_stay_reachable(kind, value):
    assert ids.is_id(kind, value)


@pytest.mark.parametrize("value", NOT_IDS)
def test_other_shapes_are_not_campaign_ids(value):
    assert not ids.is_id("campaign", value)


def test_summary_counter_ids_need_ascii_digits_and_their_own_letter():
    assert not ids.is_id("summary", "S００００００１")
    assert not ids.is_id("summary", "I0000001") and not ids.is_id("issue", "S0000001")


def test_a_derived_id_is_the_sha256_of_the_facts_json_as_notification_made_it():
    fact = ["pairing_approved", "p0123456789abcdef", 3, "unit:U1"]
    made_before = hashlib.sha256(json.dumps(fact, ensure_ascii=False).encode()).hexdigest()[:24]
    assert ids.derived_id("notification", fact) == made_before


def test_the_digest_is_canonical():
    assert ids.digest({"a": 1, "b": {"c": [1, 2]}}) == ids.digest({"b": {"c": [1, 2]}, "a": 1})
    assert ids.digest({"a": 1}) != ids.digest({"a": 2})
    with pytest.raises(TypeError):
        ids.canonical_json({"a": object()})


class PairingArgs(BaseSchema):
    pairing_id = record_id("pairing", required=True)
    request_id = request_id_field(load_default=None, allow_none=True)


@pytest.mark.parametrize("value", ["p123", "c0123456789abcdef", "p0123456789abcdef\n", "\ud800"])
def test_a_wrong_id_shape_is_a_validation_error_naming_the_argument(value):
    with pytest.raises(ValidationError) as raised:
        load(PairingArgs, {"pairing_id": value})
    assert list(json.loads(str(raised.value))) == ["pairing_id"]


@pytest.mark.parametrize("value", ["", "a\x00b", "x" * 101, "\ud800", "a\nb"])
def test_a_bad_request_id_is_a_validation_error(value):
    with pytest.raises(ValidationError) as raised:
        load(PairingArgs, {"pairing_id": ids.new_id("pairing"), "request_id": value})
    assert list(json.loads(str(raised.value))) == ["request_id"]


def test_client_request_ids_may_be_any_printable_text():
    for value in ("retry-1", "7f0c1d2e-uuid", "导入:2026", "x" * 100):
        assert load(PairingArgs, {"pairing_id": ids.new_id("pairing"), "request_id": value})["request_id"] == value
