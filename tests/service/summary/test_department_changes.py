"""update_department and deactivate_department on real RabbitMQ and Redis (issue 17): the committee
keeps the departments current; a deactivated department's categories go to triage."""
import json

import pytest

from services.common.events import validate_event
from tests.helpers import outcome, remote_error, wait_until
from tests.service.summary.helpers import WHO, allowed, issues_of, problem, routed_issue

pytestmark = pytest.mark.usefixtures("summary_service")

OFFICE = {"code": "pension-reform", "name": "养老保险改革办", "categories": [], "contact_email": "pension@example.org"}


def departments(rpc):
    return {d["code"]: d for d in rpc().summary.list_departments(limit=200)["items"]}


def test_who_may_update_or_deactivate_a_department(rpc):
    def update(who):
        return outcome(lambda: rpc(**WHO[who]).summary.update_department("elderly-care", {"name": f"养老服务司{who}"}))

    def deactivate(index, who):
        code = f"office-{index}"
        rpc().summary.register_department({**OFFICE, "code": code})
        return outcome(lambda: rpc(**WHO[who]).summary.deactivate_department(code))

    assert {who: update(who) for who in WHO} == allowed("committee")
    assert {who: deactivate(i, who) for i, who in enumerate(WHO)} == allowed("committee")


def test_the_committee_sets_a_departments_real_name_address_and_categories(rpc, listen, redis_client):
    listener = listen("summary")
    changes = {"name": "养老服务司(老龄工作)", "contact_email": "laoling@mca.gov.example",
               "categories": ["elderly_care", "social_affairs"]}
    rpc().summary.update_department("social-affairs", {"categories": []})
    updated = rpc().summary.update_department("elderly-care", changes)
    assert {k: updated[k] for k in changes} == changes
    assert (updated["revision"], updated["active"]) == (2, True)
    assert departments(rpc)["elderly-care"] == updated
    assert redis_client.hget("summary:routes", "social_affairs") == "elderly-care"
    events = listener.wait_for("department_updated", count=2)
    [event] = [e for e in events if e["subject"] == "elderly-care"]
    assert (event["seq"], event["data"]) == (2, updated)
    validate_event(event)


def test_a_category_dropped_by_an_update_goes_to_triage(rpc, complete, redis_client):
    rpc().summary.update_department("elderly-care", {"categories": []})
    assert redis_client.hget("summary:routes", "elderly_care") is None
    [issue] = issues_of(rpc, complete([problem("elderly_care")])["subject"])
    assert (issue["status"], issue["department"]) == ("triage", None)


@pytest.mark.parametrize("code, changes, exc_type", [
    ("elderly-care", {"categories": ["elderly_care", "child_welfare"]}, "Conflict"),
    ("no-such-office", {"name": "新司局"}, "NotFound"),
    ("elderly-care", {}, "ValidationError"),
    ("elderly-care", {"categories": ["other"]}, "ValidationError"),
    ("Elderly", {"name": "新司局"}, "ValidationError"),
])
def test_a_refused_update_changes_nothing(rpc, listen, redis_client, code, changes, exc_type):
    before, routes = departments(rpc), redis_client.hgetall("summary:routes")
    listener = listen("summary")
    assert remote_error(lambda: rpc().summary.update_department(code, changes)).exc_type == exc_type
    assert (departments(rpc), redis_client.hgetall("summary:routes")) == (before, routes)
    assert listener.events() == []


def test_a_bad_change_is_named_by_its_field(rpc):
    error = remote_error(lambda: rpc().summary.update_department("elderly-care", {"contact_email": "x", "code": "y"}))
    assert set(json.loads(error.value)) == {"changes.contact_email", "changes.code"}


def test_a_deactivated_department_routes_nothing_and_keeps_its_issues(rpc, complete, listen, redis_client):
    kept = routed_issue(rpc, complete)
    listener = listen("summary")
    gone = rpc().summary.deactivate_department("elderly-care")
    assert (gone["active"], gone["revision"], gone["categories"]) == (False, 2, ["elderly_care"])
    assert gone["deactivated_at"]
    [event] = listener.wait_for("department_deactivated")
    assert (event["subject"], event["seq"], event["data"]) == ("elderly-care", 2, gone)
    assert redis_client.hget("summary:routes", "elderly_care") is None
    [fresh] = issues_of(rpc, complete([problem("elderly_care")])["subject"])
    assert (fresh["status"], fresh["department"]) == ("triage", None)
    # Its existing issue stays with it, and it may still answer it.
    assert rpc().summary.get_issue(kept["id"])["department"] == "elderly-care"
    answered = rpc(role="department", department="elderly-care").summary.answer_issue(
        kept["id"], {"measures": "已办理", "resolved": True})
    assert answered["status"] == "answered"
    # The category is free for another department.
    taken = rpc().summary.register_department({**OFFICE, "categories": ["elderly_care"]})
    assert redis_client.hget("summary:routes", "elderly_care") == taken["code"]


def test_nothing_is_transferred_to_or_changed_in_a_deactivated_department(rpc, complete, listen):
    issue = routed_issue(rpc, complete, category="child_welfare")
    rpc().summary.deactivate_department("elderly-care")
    listener = listen("summary")
    for step in (lambda: rpc().summary.transfer_issue(issue["id"], "elderly-care", "转养老司"),
                 lambda: rpc().summary.deactivate_department("elderly-care"),
                 lambda: rpc().summary.update_department("elderly-care", {"name": "养老司"})):
        assert remote_error(step).exc_type == "Conflict"
    assert rpc().summary.get_issue(issue["id"]) == issue
    assert listener.events() == []


def test_a_retried_update_or_deactivation_returns_the_first_result(rpc, listen):
    listener = listen("summary")
    first = rpc().summary.update_department("elderly-care", {"name": "养老服务司一"}, request_id="upd-1")
    assert rpc().summary.update_department("elderly-care", {"name": "养老服务司一"}, request_id="upd-1") == first
    error = remote_error(lambda: rpc().summary.update_department("elderly-care", {"name": "二"}, request_id="upd-1"))
    assert error.exc_type == "Conflict"
    gone = rpc().summary.deactivate_department("elderly-care", request_id="off-1")
    assert rpc().summary.deactivate_department("elderly-care", request_id="off-1") == gone
    listener.wait_for("department_deactivated")
    assert [e["event_type"] for e in listener.events()] == ["department_updated", "department_deactivated"]


def test_a_renamed_department_is_shown_by_its_new_name_in_the_report_rows(rpc, redis_client):
    rpc().summary.update_department("elderly-care", {"name": "养老服务司(新)"})
    wait_until(lambda: redis_client.hget("summary:report:names:department", "elderly-care") == "养老服务司(新)",
               message="report names updated")
