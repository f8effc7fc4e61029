"""Departments and routing (services/summary/departments.py): registration, update, deactivation."""
from datetime import datetime, timedelta

import pytest

from services.common import clock, events
from services.common.errors import Conflict
from services.summary import departments
from services.summary.records import Department

NOW = datetime(2026, 3, 20, 10, 0, tzinfo=clock.CAMPAIGN_TZ)
LATER = NOW + timedelta(hours=1)
ROUTES = {"elderly_care": "elderly-care", "child_welfare": "child-welfare"}
ELDERLY = {"code": "elderly-care", "name": "养老服务司", "categories": ["elderly_care"],
           "contact_email": "elderly-care@example.org"}


def registered():
    return departments.new_department(ELDERLY, None, {}, NOW)


def test_a_new_department_is_an_active_record_with_every_field_named():
    record = registered()
    assert {k: record[k] for k in ELDERLY} == ELDERLY
    assert (record["code"], record["revision"], record["created_at"]) == ("elderly-care", 1, clock.iso(NOW))
    assert (record["active"], record["deactivated_at"]) == (True, None)
    assert set(record) == set(Department.__annotations__)
    events.Department().load(record)


def test_a_department_code_registered_twice_is_a_conflict():
    with pytest.raises(Conflict):
        departments.new_department(ELDERLY, registered(), ROUTES, NOW)


def test_a_category_handled_by_another_department_is_a_conflict():
    other = {**ELDERLY, "code": "elderly-two", "categories": ["social_assistance", "elderly_care"]}
    with pytest.raises(Conflict) as exc:
        departments.new_department(other, None, ROUTES, NOW)
    # The caller's categories are not echoed back.
    assert "elderly_care" not in str(exc.value) and "social_assistance" not in str(exc.value)


@pytest.mark.parametrize("category, department", [
    ("elderly_care", "elderly-care"), ("child_welfare", "child-welfare"), ("other", None),
    ("social_assistance", None)])
def test_a_category_is_routed_to_its_department_or_to_triage(category, department):
    assert departments.route(category, ROUTES) == department


def test_an_update_changes_the_given_fields_and_the_revision():
    updated = departments.update(registered(), {"name": "养老服务司(新)", "contact_email": "yl@mca.example"},
                                 ROUTES, LATER)
    assert (updated["name"], updated["contact_email"], updated["categories"]) == (
        "养老服务司(新)", "yl@mca.example", ["elderly_care"])
    assert (updated["revision"], updated["updated_at"], updated["created_at"]) == (2, clock.iso(LATER), clock.iso(NOW))


def test_an_update_may_not_take_another_departments_category():
    with pytest.raises(Conflict):
        departments.update(registered(), {"categories": ["elderly_care", "child_welfare"]}, ROUTES, LATER)


def test_new_categories_are_routed_and_dropped_ones_stop_routing():
    before = registered()
    after = departments.update(before, {"categories": ["social_assistance"]}, ROUTES, LATER)
    assert departments.rerouted(before, after) == (["elderly_care"], ["social_assistance"])
    assert departments.rerouted(None, before) == ([], ["elderly_care"])


def test_a_deactivated_department_routes_nothing_and_cannot_change_again():
    before = registered()
    gone = departments.deactivate(before, LATER)
    assert (gone["active"], gone["deactivated_at"], gone["categories"]) == (False, clock.iso(LATER), ["elderly_care"])
    assert departments.rerouted(before, gone) == (["elderly_care"], [])
    for step in (lambda: departments.deactivate(gone, LATER),
                 lambda: departments.update(gone, {"name": "新"}, {}, LATER),
                 lambda: departments.require_receiving(gone)):
        with pytest.raises(Conflict):
            step()


def test_a_department_stored_before_deactivation_existed_is_active():
    old = {k: v for k, v in registered().items() if k not in ("active", "deactivated_at")}
    assert departments.is_active(old)
    assert departments.require_receiving(old) is old
