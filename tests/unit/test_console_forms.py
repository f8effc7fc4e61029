"""The console's pure parts: a posted form as the RPC's arguments (dotted names, typed suffixes,
numbered rows), the API's error map as field paths, overdue marks and chart bars."""
from datetime import datetime

from werkzeug.datastructures import MultiDict

from services.common import events, vocabulary
from services.common.clock import CAMPAIGN_TZ
from services.gateway import problems
from services.gateway.console import forms, marks
from services.gateway.console.views import Failed


def test_dotted_names_typed_by_suffix_become_the_nested_arguments():
    form = MultiDict([
        ("_csrf", "x"), ("_action", "complete_activity"), ("activity_id", "a1"),
        ("report.beneficiaries:int", "3"), ("report.volunteers.0.name", "李雷"),
        ("report.volunteers.0.party_member:bool", "true"), ("report.volunteers.0.hours:float", "2.5"),
        ("report.volunteers.1.name", ""), ("report.volunteers.1.party_member:bool", "false"),
        ("report.services_delivered:list", "visit_condolence"), ("report.services_delivered:list", "health_care"),
        ("report.opinions:list", "希望常来\n多陪聊天"), ("report.started_at:moment", "2026-03-05T09:30"),
        ("report.description", "  "), ("department:null", "")])
    assert forms.arguments(form) == {
        "activity_id": "a1", "department": None,
        "report": {"beneficiaries": 3, "volunteers": [{"name": "李雷", "party_member": True, "hours": 2.5}],
                   "services_delivered": ["visit_condolence", "health_care"], "opinions": ["希望常来", "多陪聊天"],
                   "started_at": "2026-03-05T09:30:00+08:00"}}


def test_text_that_is_not_its_type_goes_on_for_the_api_to_name():
    form = MultiDict([("activity.planned_volunteers:int", "three"), ("answer.resolved:bool", "maybe"),
                      ("report.ended_at:moment", "2026-03-05T09:30:00+08:00")])
    assert forms.arguments(form) == {"activity": {"planned_volunteers": "three"}, "answer": {"resolved": "maybe"},
                                     "report": {"ended_at": "2026-03-05T09:30:00+08:00"}}


def test_errors_and_values_by_field_path():
    assert forms.flat_errors({"target.district": ["无效"], "report": {"volunteers": {"0": {"hours": ["太长"]}}}}) == {
        "target.district": ["无效"], "report.volunteers.0.hours": ["太长"]}
    assert forms.values(MultiDict([("_csrf", "x"), ("campaign.year:int", "20x6")])) == {"campaign.year": "20x6"}


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=CAMPAIGN_TZ)


def test_an_issue_is_overdue_for_what_its_department_still_owes():
    issue = {"status": "forwarded", "ack_due_at": "2026-03-02T10:00:00+08:00",
             "answer_due_at": "2026-03-15T10:00:00+08:00"}
    assert marks.overdue(issue, at("2026-03-01T10:00:00")) is None
    assert marks.overdue(issue, at("2026-03-03T10:00:00")) == "ack"
    assert marks.overdue({**issue, "status": "acknowledged"}, at("2026-03-03T10:00:00")) is None
    assert marks.overdue({**issue, "status": "acknowledged"}, at("2026-03-16T10:00:00")) == "answer"
    assert marks.overdue({**issue, "status": "answered"}, at("2026-03-16T10:00:00")) is None
    assert marks.overdue({"status": "triage", "ack_due_at": None}, at("2026-03-16T10:00:00")) is None
    ordered = marks.overdue_first([{**issue, "id": "on-time", "status": "answered"}, {**issue, "id": "late"}],
                                  at("2026-03-03T10:00:00"))
    assert [i["id"] for i in ordered] == ["late", "on-time"]


def test_bars_scale_to_the_largest_or_to_one_for_rates():
    rows = [{"d": "a", "n": 2}, {"d": "b", "n": 4}, {"d": "c", "n": None}]
    assert [b["percent"] for b in marks.bars(rows, "d", "n")] == [50, 100, 0]
    assert [b["percent"] for b in marks.bars([{"d": "a", "r": 0.25}], "d", "r", scale=1)] == [25]
    assert marks.bars([{"d": "a", "n": 0}], "d", "n")[0]["percent"] == 0


def test_an_error_in_a_list_item_names_the_form_row_it_came_from():
    # Rows 1-3 left empty are not sent: the API's item 1 is the form's row 4.
    form = MultiDict([("report.volunteers.0.name", "李雷"), ("report.volunteers.0.hours:float", "2"),
                      ("report.volunteers.2.name", ""), ("report.volunteers.4.name", "第五位"),
                      ("report.problems.0.description", "漏水")])
    kept = {}
    assert forms.arguments(form, kept)["report"]["volunteers"] == [{"name": "李雷", "hours": 2.0}, {"name": "第五位"}]
    assert kept == {"report.volunteers": ["0", "4"], "report.problems": ["0"]}
    assert forms.form_paths({"report.volunteers.1.hours": ["必填"], "report.volunteers": ["至少一人"],
                             "report.problems.0": ["无效"], "campaign.unit_codes.1": ["未注册"]}, kept) == {
        "report.volunteers.4.hours": ["必填"], "report.volunteers": ["至少一人"], "report.problems.0": ["无效"],
        "campaign.unit_codes.1": ["未注册"]}


def test_what_was_ticked_comes_back_as_a_list_whether_one_or_several():
    typed = forms.values(MultiDict([("needs:list", "a"), ("needs:list", "b"), ("one:list", "c"), ("name", "x")]))
    assert typed == {"needs": ["a", "b"], "one": "c", "name": "x"}
    assert [forms.ticked(typed[name]) for name in ("needs", "one")] == [["a", "b"], ["c"]]
    assert forms.ticked("") == [] and forms.ticked(None) == []


def test_reports_are_missing_only_from_the_day_after_the_deadline():
    campaign = {"report_deadline": "2026-03-09"}
    assert not marks.deadline_passed(campaign, at("2026-03-09T23:59:59"))
    assert marks.deadline_passed(campaign, at("2026-03-10T00:00:00"))


def test_bars_are_labelled_by_name_when_a_row_has_one():
    rows = [{"department": "elderly-care", "name": "养老服务司", "n": 1}, {"department": "x", "name": None, "n": 2}]
    assert [b["label"] for b in marks.bars(rows, "department", "n")] == ["养老服务司", "x"]


def test_every_event_of_the_contract_has_a_name_to_show():
    # SCHEMAS as the services define them (other tests register events of their own).
    contract = {event_type for source, event_type in events.SCHEMAS if source in ("pairing", "activity", "summary")}
    assert set(vocabulary.EVENT_NAMES) == contract


def test_errors_land_on_the_fields_the_form_shows():
    shown = {"campaign.unit_codes": "U1, X9", "changes.report_deadline": "", "activity.service_types": ""}
    assert forms.at_fields({"campaign.unit_codes.1": ["未注册"], "changes": ["缺少必填参数"],
                            "activity.service_types": ["至少一项"], "elsewhere": ["无效"]}, shown) == {
        "campaign.unit_codes": ["第 2 项: 未注册"], "changes.report_deadline": ["缺少必填参数"],
        "activity.service_types": ["至少一项"], "elsewhere": ["无效"]}


def test_a_whole_list_error_is_shown_once_at_its_rows():
    form = MultiDict([("_action", "complete_activity"), ("_shown", "report.volunteers"),
                      ("report.volunteers.0.name", "")])
    failed = Failed.of(form, problems.invalid({"report": {"volunteers": ["至少一人"]}}), {})
    assert failed.errors == {"report.volunteers": ["至少一人"]} and failed.stray() == {}
