"""The pairing rules as pure functions: each rule of contract §1/§3 with its own test."""
from datetime import date, datetime, timedelta, timezone

import pytest

from services.common.clock import CAMPAIGN_TZ
from services.common.errors import Conflict, NotFound, ValidationError
from services.common.masking import mask_email, mask_phone
from services.pairing import domain, pairings

NOW = datetime(2026, 3, 1, 10, 0, tzinfo=CAMPAIGN_TZ)
CAMPAIGN_INPUT = {"name": "2026年学雷锋", "year": 2026, "region": "北京市", "report_deadline": date(2026, 3, 9),
                  "remind_days": 3, "summary_due_days": 7, "issue_ack_days": 2, "issue_answer_days": 15,
                  "unit_codes": None}
CAMPAIGN = domain.new_campaign("c1", CAMPAIGN_INPUT, ["U1", "U2", "U3"], NOW)
UNIT = domain.new_unit({"code": "U1", "name": "办公厅", "party_org": "办公厅党支部", "contact_name": "王芳",
                        "contact_phone": "13912345678", "contact_email": "wang@example.org"}, NOW)
TARGET = {"name": "张大爷家", "category": "group_in_difficulty", "kind": "household", "district": "东城区",
          "address": "东城区和平里街道1号", "contact_name": "张建国", "contact_phone": "13812349876",
          "needs": ["visit_condolence"], "notes": "独居老人"}


def at(text):
    return datetime.fromisoformat(text)


def pairing(status="reported", late=False, **target):
    record = pairings.new_pairing("p1", CAMPAIGN, "U1", {**TARGET, **target}, NOW)
    return dict(record, status=status, late=late)


# -- campaigns -------------------------------------------------------------------------------------

def test_a_new_campaign_carries_its_participants_and_windows():
    assert CAMPAIGN["participants"] == ["U1", "U2", "U3"]
    assert CAMPAIGN["carried_over_from"] is None
    assert (CAMPAIGN["report_deadline"], CAMPAIGN["revision"]) == ("2026-03-09", 1)
    assert CAMPAIGN["reminders_from"] == "2026-03-06T00:00:00+08:00"
    assert CAMPAIGN["on_time_until"] == "2026-03-10T00:00:00+08:00"
    assert CAMPAIGN["created_at"] == CAMPAIGN["updated_at"] == "2026-03-01T10:00:00+08:00"


def test_without_unit_codes_every_active_unit_takes_part():
    assert domain.participants(None, {"U2", "U1"}, "campaign.unit_codes") == ["U1", "U2"]


def test_listed_unit_codes_must_all_be_active():
    assert domain.participants(["U2"], {"U1", "U2"}, "campaign.unit_codes") == ["U2"]
    with pytest.raises(ValidationError) as exc:
        domain.participants(["U2", "U9", "U3"], {"U1", "U2"}, "campaign.unit_codes")
    assert exc.value.messages.keys() == {"campaign.unit_codes.1", "campaign.unit_codes.2"}


def test_moving_the_deadline_moves_the_windows_and_bumps_the_revision():
    later = NOW + timedelta(days=1)
    moved = domain.changed_campaign(CAMPAIGN, {"report_deadline": date(2026, 3, 20)}, None, later)
    assert (moved["report_deadline"], moved["on_time_until"], moved["revision"]) == (
        "2026-03-20", "2026-03-21T00:00:00+08:00", 2)
    assert moved["updated_at"] == "2026-03-02T10:00:00+08:00" and moved["created_at"] == CAMPAIGN["created_at"]


@pytest.mark.parametrize("changes, field", [
    ({"report_deadline": date(2027, 1, 5)}, "changes.report_deadline"),
    ({"year": 2027}, "changes.year"),
])
def test_the_year_stays_the_year_of_the_deadline(changes, field):
    with pytest.raises(ValidationError) as exc:
        domain.changed_campaign(CAMPAIGN, changes, None, NOW)
    assert list(exc.value.messages) == [field]


def test_a_change_to_the_same_values_is_no_change():
    assert domain.changed_campaign(CAMPAIGN, {"name": CAMPAIGN["name"], "remind_days": 3}, None, NOW) is None


def test_new_participants_replace_the_old():
    assert domain.changed_campaign(CAMPAIGN, {"unit_codes": ["U3"]}, ["U3"], NOW)["participants"] == ["U3"]


def test_units_join_and_leave_a_campaign_once():
    joined = domain.join(CAMPAIGN, "U4", NOW)
    assert (joined["participants"], joined["revision"]) == (["U1", "U2", "U3", "U4"], 2)
    assert domain.join(joined, "U4", NOW) is None
    left = domain.leave(joined, "U1", NOW)
    assert (left["participants"], left["revision"]) == (["U2", "U3", "U4"], 3)
    assert domain.leave(left, "U1", NOW) is None


# -- units -----------------------------------------------------------------------------------------

def test_a_registered_code_is_a_conflict():
    domain.ensure_new_unit(None)
    with pytest.raises(Conflict):
        domain.ensure_new_unit(UNIT)


def test_a_unit_is_deactivated_once():
    inactive = domain.deactivated(UNIT, NOW)
    assert (inactive["active"], inactive["revision"], inactive["deactivated_at"]) == (False, 2, NOW.isoformat())
    with pytest.raises(Conflict):
        domain.deactivated(inactive, NOW)


def test_a_unit_event_never_carries_its_contact_person_or_phone():
    assert domain.unit_event(UNIT) == {"code": "U1", "name": "办公厅", "party_org": "办公厅党支部",
                                       "contact_email": "wang@example.org", "active": True,
                                       "created_at": UNIT["created_at"], "updated_at": UNIT["updated_at"]}


def test_a_unit_is_masked_for_those_who_may_not_see_personal_data():
    assert domain.unit_view(UNIT, True) == UNIT
    masked = domain.unit_view(UNIT, False)
    assert (masked["contact_phone"], masked["contact_name"], masked["name"]) == ("139****5678", "王*", "办公厅")
    assert masked["contact_email"] == "w***@example.org"


def test_same_unit_compares_every_registered_field():
    data = {k: UNIT[k] for k in domain.UNIT_FIELDS}
    assert domain.same_unit(UNIT, data)
    assert not domain.same_unit(UNIT, {**data, "contact_email": "other@example.org"})


# -- reporting -------------------------------------------------------------------------------------

@pytest.mark.parametrize("moment, late", [
    ("2026-03-09T23:59:59.999999+08:00", False),
    ("2026-03-10T00:00:00+08:00", True),
    ("2026-03-09T15:59:59+00:00", False),
    ("2026-03-09T16:00:00+00:00", True),
    ("2026-01-01T00:00:00+08:00", False),
    ("2026-04-01T00:00:00+08:00", True),
])
def test_a_report_is_on_time_iff_before_the_day_after_the_deadline_in_beijing(moment, late):
    assert domain.is_late(CAMPAIGN, at(moment)) is late
    assert pairings.new_pairing("p1", CAMPAIGN, "U1", TARGET, at(moment))["late"] is late


def test_a_new_pairing_is_reported():
    record = pairings.new_pairing("p1", CAMPAIGN, "U1", TARGET, NOW)
    assert {k: record[k] for k in ("id", "campaign_id", "unit_code", "status", "late", "reported_at")} == {
        "id": "p1", "campaign_id": "c1", "unit_code": "U1", "status": "reported", "late": False,
        "reported_at": "2026-03-01T10:00:00+08:00"}


@pytest.mark.parametrize("status", ["reported", "approved"])
def test_one_reported_or_approved_pairing_per_unit_and_campaign(status):
    with pytest.raises(Conflict):
        pairings.check_may_report(CAMPAIGN, UNIT, pairing(status))


@pytest.mark.parametrize("status", ["rejected", "withdrawn"])
def test_a_rejected_or_withdrawn_unit_may_report_again(status):
    pairings.check_may_report(CAMPAIGN, UNIT, pairing(status))
    pairings.check_may_report(CAMPAIGN, UNIT, None)


def test_a_deactivated_unit_cannot_report():
    with pytest.raises(Conflict):
        pairings.check_may_report(CAMPAIGN, domain.deactivated(UNIT, NOW), None)


def test_a_unit_not_taking_part_cannot_report():
    with pytest.raises(Conflict):
        pairings.check_may_report(dict(CAMPAIGN, participants=["U2"]), UNIT, None)


def test_an_unknown_unit_is_not_found():
    with pytest.raises(NotFound):
        pairings.check_may_report(CAMPAIGN, None, None)


@pytest.mark.parametrize("status", ["approved", "rejected", "withdrawn"])
def test_only_a_reported_pairing_can_be_reviewed_or_withdrawn(status):
    for change in (lambda p: pairings.withdrawn(p, NOW), lambda p: pairings.reviewed(p, "approve", "", NOW),
                   lambda p: pairings.reviewed(p, "reject", "", NOW)):
        with pytest.raises(Conflict):
            change(pairing(status))


def test_a_review_records_the_decision_time_and_comment():
    approved = pairings.reviewed(pairing(), "approve", None, NOW)
    assert (approved["status"], approved["reviewed_at"], approved["review_comment"], approved["revision"]) == (
        "approved", NOW.isoformat(), "", 2)
    assert pairings.reviewed(pairing(), "reject", "材料不全", NOW)["review_comment"] == "材料不全"
    assert pairings.withdrawn(pairing(), NOW)["withdrawn_at"] == NOW.isoformat()


@pytest.mark.parametrize("status, late, marks", [
    ("reported", True, ("reported", True)),
    ("approved", False, ("approved", False)),
    ("rejected", True, ("rejected", False)),
    ("withdrawn", True, (None, False)),
])
def test_progress_marks_follow_the_latest_pairing(status, late, marks):
    assert pairings.progress_marks(pairing(status, late)) == marks


# -- personal data ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["household", "person"])
def test_events_carry_no_contact_address_notes_nor_a_private_targets_name(kind):
    data = pairings.event_data(pairing(kind=kind))
    assert data["target"] == {"category": "group_in_difficulty", "kind": kind, "district": "东城区",
                              "needs": ["visit_condolence"]}


def test_an_organisations_name_is_on_the_bus():
    assert pairings.event_data(pairing(kind="organization"))["target"]["name"] == "张大爷家"


def test_the_target_is_shown_in_full_or_masked():
    assert pairings.view(pairing(), True)["target"] == TARGET
    masked = pairings.view(pairing(), False)["target"]
    assert {k: masked[k] for k in ("contact_phone", "address", "contact_name", "name", "district")} == {
        "contact_phone": "138****9876", "address": "东城区", "contact_name": "张**", "name": "张***",
        "district": "东城区"}
    assert "notes" not in masked and "独居老人" not in str(masked)
    assert pairings.view(pairing(kind="organization"), False)["target"]["name"] == "张大爷家"


@pytest.mark.parametrize("number, masked", [("13912345678", "139****5678"), ("010-64212345", "010****2345")])
def test_phones_keep_only_their_first_three_and_last_four_digits(number, masked):
    assert mask_phone(number) == masked


@pytest.mark.parametrize("address, masked", [("wang.li@example.org", "w***@example.org"),
                                             ("a@mca.gov.cn", "a***@mca.gov.cn")])
def test_email_addresses_keep_only_their_first_letter_and_domain(address, masked):
    assert mask_email(address) == masked


# -- progress -----------------------------------------------------------------

def test_progress_counts_each_taking_part_unit_once():
    campaign = dict(CAMPAIGN, participants=["U1", "U2", "U3", "U4", "U5"])
    progress = domain.progress(campaign, reported={"U2", "U9"}, approved={"U3"}, rejected={"U4"}, late={"U3", "U9"})
    assert progress == {"campaign_id": "c1", "deadline": "2026-03-09", "total_units": 5, "not_reported": 2,
                        "pending_review": 1, "approved": 1, "rejected": 1, "late": ["U3"],
                        "missing": ["U1", "U4", "U5"]}


def test_times_are_compared_as_instants():
    utc = datetime(2026, 3, 9, 16, 0, tzinfo=timezone.utc)
    assert domain.deadline_passed(CAMPAIGN, utc)


# -- carrying a campaign over (issue 17) -----------------------------------------------------------

def test_units_approved_before_and_taking_part_now_are_carried_over():
    assert pairings.carried_over_units({"U3", "U1", "U9"}, CAMPAIGN) == ["U1", "U3"]
    assert pairings.carried_over_units(set(), CAMPAIGN) == []


def test_a_carried_over_pairing_is_reported_on_time_with_its_origin():
    later = domain.new_campaign("c2", {**CAMPAIGN_INPUT, "year": 2027, "report_deadline": date(2027, 3, 9)},
                                ["U1"], NOW, carried_over_from="c1")
    earlier = pairing("approved", late=True)
    carried = pairings.carried_over("p2", later, earlier, NOW + timedelta(days=400))
    assert later["carried_over_from"] == "c1"
    assert (carried["id"], carried["campaign_id"], carried["unit_code"], carried["target"]) == (
        "p2", "c2", "U1", earlier["target"])
    assert (carried["status"], carried["late"], carried["carried_over_from"], carried["revision"]) == (
        "reported", False, "p1", 1)
    assert carried["reported_at"] == carried["created_at"]
    assert earlier["carried_over_from"] is None
