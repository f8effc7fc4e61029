"""Every input rule of the pairing RPCs: bad input names its field and echoes no personal value."""
import json
from datetime import date

import pytest

from services.common.errors import Forbidden, ValidationError
from services.common.schemas import load
from services.common.timers import effective_now
from services.pairing import pairings, schemas

CAMPAIGN = {"name": "2026年学雷锋结对帮扶", "year": 2026, "report_deadline": "2026-03-09"}
UNIT = {"code": "U-01_a", "name": "办公厅", "party_org": "办公厅机关党支部", "contact_name": "王芳",
        "contact_phone": "13912345678", "contact_email": "wang@example.org"}
TARGET = {"name": "张大爷家", "category": "group_in_difficulty", "kind": "household", "district": "东城区",
          "address": "东城区和平里街道1号", "contact_name": "张建国", "contact_phone": "010-64212345",
          "needs": ["visit_condolence"], "notes": ""}

# Ids of the shapes the server issues (services.common.ids).
CAMPAIGN_ID, PAIRING_ID, ACTIVITY_ID = "c" + "0" * 16, "p" + "0" * 16, "0" * 32


def refused(schema, data):
    with pytest.raises(ValidationError) as exc:
        load(schema, data)
    return exc.value


def fields_of(error):
    return set(json.loads(str(error)))


def create(**changes):
    return {"campaign": {**CAMPAIGN, **changes}}


def report(**changes):
    return {"campaign_id": CAMPAIGN_ID, "unit_code": "U1", "target": {**TARGET, **changes}}


def test_a_campaign_gets_the_contract_defaults():
    campaign = load(schemas.CreateCampaignArgs, create())["campaign"]
    assert campaign == {**CAMPAIGN, "report_deadline": date(2026, 3, 9), "region": "北京市", "remind_days": 3,
                        "summary_due_days": 7, "issue_ack_days": 2, "issue_answer_days": 15, "unit_codes": None}


@pytest.mark.parametrize("changes, field", [
    ({"year": 2025}, "campaign.year"),
    ({"year": "2026"}, "campaign.year"),
    ({"year": 2026.0}, "campaign.year"),
    ({"report_deadline": "2026-02-30"}, "campaign.report_deadline"),
    ({"report_deadline": "2026-03-09T00:00:00+08:00"}, "campaign.report_deadline"),
    ({"report_deadline": "9 March"}, "campaign.report_deadline"),
    ({"report_deadline": 20260309}, "campaign.report_deadline"),
    ({"name": ""}, "campaign.name"),
    ({"name": "   "}, "campaign.name"),
    ({"name": "活" * 101}, "campaign.name"),
    ({"name": ["活动"]}, "campaign.name"),
    ({"region": ""}, "campaign.region"),
    ({"remind_days": -1}, "campaign.remind_days"),
    ({"remind_days": True}, "campaign.remind_days"),
    ({"summary_due_days": 0}, "campaign.summary_due_days"),
    ({"issue_ack_days": "2"}, "campaign.issue_ack_days"),
    ({"issue_answer_days": None}, "campaign.issue_answer_days"),
    ({"unit_codes": []}, "campaign.unit_codes"),
    ({"unit_codes": "U1"}, "campaign.unit_codes"),
    ({"unit_codes": ["U1", "U1"]}, "campaign.unit_codes"),
    ({"unit_codes": ["U 1"]}, "campaign.unit_codes.0"),
    ({"unit_codes": ["U"] * 101}, "campaign.unit_codes"),
    ({"surprise": 1}, "campaign.surprise"),
])
def test_bad_campaigns_are_refused_naming_the_field(changes, field):
    assert fields_of(refused(schemas.CreateCampaignArgs, create(**changes))) == {field}


@pytest.mark.parametrize("data", [None, [], "campaign", 7])
def test_a_campaign_that_is_not_an_object_is_refused(data):
    assert fields_of(refused(schemas.CreateCampaignArgs, {"campaign": data})) == {"campaign"}


@pytest.mark.parametrize("changes, field", [
    ({}, "changes"),
    ({"region": "天津市"}, "changes.region"),
    ({"report_deadline": "2026-04-31"}, "changes.report_deadline"),
    ({"remind_days": 61}, "changes.remind_days"),
    ({"unit_codes": []}, "changes.unit_codes"),
    ({"name": None}, "changes.name"),
])
def test_bad_campaign_changes_are_refused(changes, field):
    error = refused(schemas.UpdateCampaignArgs, {"campaign_id": CAMPAIGN_ID, "changes": changes})
    assert fields_of(error) == {field}


def test_unit_codes_null_is_a_valid_change():
    args = {"campaign_id": CAMPAIGN_ID, "changes": {"unit_codes": None}}
    assert load(schemas.UpdateCampaignArgs, args)["changes"] == {"unit_codes": None}


@pytest.mark.parametrize("code", ["U1", "a" * 32, "dept_01-x", "0"])
def test_unit_codes_of_the_contract_are_accepted(code):
    assert load(schemas.RegisterUnitArgs, {"unit": {**UNIT, "code": code}})["unit"]["code"] == code


@pytest.mark.parametrize("changes, field", [
    ({"code": ""}, "unit.code"),
    ({"code": "a" * 33}, "unit.code"),
    ({"code": "U 1"}, "unit.code"),
    ({"code": "单位1"}, "unit.code"),
    ({"code": "U1/2"}, "unit.code"),
    ({"code": 1}, "unit.code"),
    ({"name": ""}, "unit.name"),
    ({"name": "名" * 101}, "unit.name"),
    ({"party_org": None}, "unit.party_org"),
    ({"contact_name": "  "}, "unit.contact_name"),
    ({"contact_phone": "12912345678"}, "unit.contact_phone"),
    ({"contact_phone": "1391234567"}, "unit.contact_phone"),
    ({"contact_phone": "+8613912345678"}, "unit.contact_phone"),
    ({"contact_phone": 13912345678}, "unit.contact_phone"),
    ({"contact_email": "wang@"}, "unit.contact_email"),
    ({"contact_email": "wang example.org"}, "unit.contact_email"),
    ({"contact_email": "a" * 250 + "@x.org"}, "unit.contact_email"),
    ({"active": True}, "unit.active"),
])
def test_bad_units_are_refused_naming_the_field_without_the_value(changes, field):
    error = refused(schemas.RegisterUnitArgs, {"unit": {**UNIT, **changes}})
    assert fields_of(error) == {field}
    assert "1391234567" not in str(error) and "王芳" not in str(error)


@pytest.mark.parametrize("missing", sorted(UNIT))
def test_every_unit_field_is_required(missing):
    unit = {k: v for k, v in UNIT.items() if k != missing}
    assert fields_of(refused(schemas.RegisterUnitArgs, {"unit": unit})) == {f"unit.{missing}"}


@pytest.mark.parametrize("changes, field", [
    ({"category": "neighbour"}, "target.category"),
    ({"category": None}, "target.category"),
    ({"kind": "family"}, "target.kind"),
    ({"kind": "Organization"}, "target.kind"),
    ({"district": ""}, "target.district"),
    ({"district": 7}, "target.district"),
    ({"name": ""}, "target.name"),
    ({"name": "名" * 101}, "target.name"),
    ({"address": ""}, "target.address"),
    ({"address": "址" * 2001}, "target.address"),
    ({"contact_name": " "}, "target.contact_name"),
    ({"contact_phone": "64212345"}, "target.contact_phone"),
    ({"contact_phone": "010-642"}, "target.contact_phone"),
    ({"needs": []}, "target.needs"),
    ({"needs": "visit_condolence"}, "target.needs"),
    ({"needs": ["cooking"]}, "target.needs.0"),
    ({"needs": ["visit_condolence", "visit_condolence"]}, "target.needs"),
    ({"notes": "注" * 2001}, "target.notes"),
    ({"notes": 5}, "target.notes"),
    ({"id_number": "110101190001011234"}, "target.id_number"),
])
def test_bad_targets_are_refused_naming_the_field(changes, field):
    error = refused(schemas.ReportPairingArgs, report(**changes))
    assert fields_of(error) == {field}
    assert "64212345" not in str(error) and "张建国" not in str(error)


@pytest.mark.parametrize("args, field", [
    ({"campaign_id": "", "unit_code": "U1", "target": TARGET}, "campaign_id"),
    ({"campaign_id": CAMPAIGN_ID, "unit_code": "U 1", "target": TARGET}, "unit_code"),
    ({"campaign_id": CAMPAIGN_ID, "unit_code": "U1", "target": [TARGET]}, "target"),
    ({"campaign_id": CAMPAIGN_ID, "unit_code": "U1", "target": TARGET, "request_id": ""}, "request_id"),
    ({"campaign_id": 5, "unit_code": "U1", "target": TARGET}, "campaign_id"),
])
def test_bad_report_arguments_are_refused(args, field):
    assert fields_of(refused(schemas.ReportPairingArgs, args)) == {field}


def test_notes_are_optional_and_default_to_empty():
    target = {k: v for k, v in TARGET.items() if k != "notes"}
    assert load(schemas.ReportPairingArgs, report() | {"target": target})["target"]["notes"] == ""


@pytest.mark.parametrize("district", ["东城区", "西城区", "朝阳区", "丰台区", "石景山区", "海淀区", "门头沟区", "房山区",
                                      "通州区", "顺义区", "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区"])
def test_beijings_sixteen_districts_are_accepted(district):
    pairings.check_district({"region": "北京市"}, {"district": district})


@pytest.mark.parametrize("district", ["浦东新区", "东城", "崇文区", "北京市", "和平区"])
def test_other_districts_are_refused_while_the_region_is_beijing(district):
    with pytest.raises(ValidationError) as exc:
        pairings.check_district({"region": "北京市"}, {"district": district})
    assert fields_of(exc.value) == {"target.district"}


def test_another_region_takes_its_own_districts():
    pairings.check_district({"region": "天津市"}, {"district": "和平区"})


@pytest.mark.parametrize("args, field", [
    ({"pairing_id": PAIRING_ID, "decision": "approved"}, "decision"),
    ({"pairing_id": PAIRING_ID, "decision": None}, "decision"),
    ({"pairing_id": PAIRING_ID, "decision": "approve", "comment": "意" * 2001}, "comment"),
    ({"pairing_id": "", "decision": "approve"}, "pairing_id"),
])
def test_bad_reviews_are_refused(args, field):
    assert fields_of(refused(schemas.ReviewPairingArgs, args)) == {field}


@pytest.mark.parametrize("args, field", [
    ({"campaign_id": CAMPAIGN_ID, "status": "lost"}, "status"),
    ({"campaign_id": CAMPAIGN_ID, "unit_code": "U 1"}, "unit_code"),
    ({"campaign_id": CAMPAIGN_ID, "limit": 0}, "limit"),
    ({"campaign_id": CAMPAIGN_ID, "limit": "10"}, "limit"),
    ({"campaign_id": None}, "campaign_id"),
])
def test_bad_list_arguments_are_refused(args, field):
    assert fields_of(refused(schemas.ListPairingsArgs, args)) == {field}


@pytest.mark.parametrize("active", ["yes", 1, "true"])
def test_list_units_takes_a_real_boolean(active):
    assert fields_of(refused(schemas.ListUnitsArgs, {"active": active})) == {"active"}


@pytest.mark.parametrize("now", ["2026-03-01T10:00:00", "2026-03-01", "2026-02-30T10:00:00+08:00", "soon", 1772330400])
def test_check_deadlines_now_must_be_a_real_moment_with_an_offset(now):
    with pytest.raises(ValidationError) as exc:
        effective_now({"ALLOW_CLOCK_OVERRIDE": True}, now)
    assert fields_of(exc.value) == {"now"}


def test_check_deadlines_now_is_forbidden_without_the_override():
    with pytest.raises(Forbidden):
        effective_now({"ALLOW_CLOCK_OVERRIDE": False}, "2026-03-01T10:00:00+08:00")
    assert effective_now({"ALLOW_CLOCK_OVERRIDE": True}, "2026-03-01T02:00:00Z").isoformat() == (
        "2026-03-01T10:00:00+08:00")


@pytest.mark.parametrize("schema, args, path", [
    (schemas.CampaignArgs, {"campaign_id": CAMPAIGN_ID + ":unit:U001"}, "campaign_id"),
    (schemas.CampaignArgs, {"campaign_id": PAIRING_ID}, "campaign_id"),
    (schemas.PairingArgs, {"pairing_id": "p1"}, "pairing_id"),
    (schemas.WithdrawPairingArgs, {"pairing_id": PAIRING_ID + "\n"}, "pairing_id"),
    (schemas.CarryOverCampaignArgs, {"campaign_id": "*", "campaign": {"name": "x", "year": 2027,
                                                                      "report_deadline": "2027-03-09"}}, "campaign_id"),
    (schemas.ListPairingsArgs, {"campaign_id": "c1"}, "campaign_id"),
])
def test_an_id_of_the_wrong_shape_is_named_by_its_argument(schema, args, path):
    assert fields_of(refused(schema, args)) == {path}


def test_carry_over_takes_the_new_campaign_like_create_campaign():
    args = {"campaign_id": CAMPAIGN_ID, "campaign": {"name": "2027年", "year": 2026, "report_deadline": "2027-03-09"}}
    assert fields_of(refused(schemas.CarryOverCampaignArgs, args)) == {"campaign.year"}
    args["campaign"]["year"] = 2027
    loaded = load(schemas.CarryOverCampaignArgs, args)
    assert (loaded["campaign"]["remind_days"], loaded["request_id"]) == (3, None)
