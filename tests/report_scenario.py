"""A scripted campaign for the campaign report's tests: the records are made by the services' own
domain functions, so the events carry exactly what pairing, activity and summary publish, in the
order they would publish them.

Four units take part. U1 reports on time and is approved; U2 is rejected, then reports again late;
U3 reports late and is approved; U4 withdraws. U1 completes two activities and cancels one, U3
completes one and has one planned. Summaries: U1's first on time, U3's overdue then submitted
late, U1's second overdue and never submitted. Issues: I1 (elderly-care) acknowledged on time,
answered unresolved, rated unsatisfied (重办), answered resolved, closed satisfied; I2 forwarded to
social-assistance, transferred to child-welfare, acknowledged there after its first ack due time,
answered resolved; I3 in the committee's triage; I4 (from U1's summary) overdue at child-welfare.
Deadline notices: U2 reminded before the deadline; U2, U3 and U4 told they are overdue after it."""
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from services.activity import domain as activity_domain
from services.common import clock
from services.common.events import make_event
from services.pairing import domain as pairing_domain
from services.pairing import pairings
from services.summary import departments, issues
from services.summary import domain as summary_domain

CAMPAIGN = "c2024000000000000"
UNITS = {"U1": "办公厅", "U2": "规划财务司", "U3": "机关服务局", "U4": "中国社会报社"}
DEPARTMENTS = {"elderly-care": ("养老服务司", ["elderly_care"]),
               "social-assistance": ("社会救助司", ["social_assistance"]),
               "child-welfare": ("儿童福利司", ["child_welfare"])}
TERMS = {"summary_due_days": 7, "issue_ack_days": 2, "issue_answer_days": 15}


def at(text):
    return clock.parse(f"2024-{text}+08:00")


@dataclass
class Emitted:
    source: str
    event_type: str
    subject: str
    seq: int
    data: dict
    occurred_at: str

    def envelope(self):
        return make_event(self.source, self.event_type, self.subject, self.seq, self.data,
                          occurred_at=clock.parse(self.occurred_at))


class Script:
    def __init__(self):
        self.emitted = []

    def emit(self, source, event_type, data, seq=None, subject=None, occurred_at=None):
        """An event as its source publishes it, at the time of the change it announces."""
        self.emitted.append(Emitted(source, event_type, subject or data["id"],
                                    data["revision"] if seq is None else seq, data,
                                    occurred_at or data["updated_at"]))


REMIND, OVERDUE = "pairing_deadline_approaching", "pairing_overdue"
# pairing's notices of one unit in one campaign share a subject; the reminder is its seq 1, the
# overdue notice its seq 2 (each is sent at most once per unit and campaign).
NOTICE_SEQ = {REMIND: 1, OVERDUE: 2}


def deadline_notice(script, record, event_type, unit_code, when):
    """pairing's `check_deadlines` telling a missing unit, with contract §4's data."""
    data = {"campaign_id": record["id"], "unit_code": unit_code, "deadline": record["report_deadline"]}
    script.emit("pairing", event_type, data, seq=NOTICE_SEQ[event_type], subject=f"{record['id']}:{unit_code}",
                occurred_at=clock.iso(at(when)))


def campaign(script):
    data = {"name": "2024年学雷锋结对帮扶志愿服务活动", "year": 2024, "region": "北京市",
            "report_deadline": date(2024, 3, 9), "remind_days": 3, **TERMS}
    record = pairing_domain.new_campaign(CAMPAIGN, data, UNITS, at("02-20T09:00:00"))
    script.emit("pairing", "campaign_created", record)
    return record


def target(kind="organization"):
    return {"name": "朝阳区八里庄街道敬老院", "category": "public_welfare_org", "kind": kind,
            "district": "朝阳区", "address": "八里庄北里1号", "contact_name": "王芳",
            "contact_phone": "13912345678", "needs": ["visit_condolence"], "notes": ""}


def report_pairing(script, record, unit_code, pairing_id, when, kind="organization"):
    pairing = pairings.new_pairing(pairing_id, record, unit_code, target(kind), at(when))
    script.emit("pairing", "pairing_reported", pairings.event_data(pairing))
    return pairing


def move_pairing(script, pairing, when, decision=None):
    moved = (pairings.reviewed(pairing, decision, "", at(when)) if decision
             else pairings.withdrawn(pairing, at(when)))
    script.emit("pairing", pairings.EVENT_OF[moved["status"]], pairings.event_data(moved))
    return moved


def plan(script, pairing, activity_id, when, service_types):
    data = {"pairing_id": pairing["id"], "title": "走访慰问", "service_types": service_types,
            "scheduled_start": at(when), "scheduled_end": clock.days_later(at(when), 0.25), "location": "敬老院",
            "planned_volunteers": 3}
    view = {**pairing, "target": {k: pairing["target"].get(k) for k in ("category", "kind", "district")}}
    activity = activity_domain.plan(data, view, activity_id, at(when))
    script.emit("activity", "activity_planned", activity_domain.published(activity))
    return activity


def volunteer(name, hours, party_member=False, youth=False):
    return {"name": name, "party_member": party_member, "youth": youth, "hours": hours}


def problem(category, business_related, resolved_on_site, description="独居老人用餐困难"):
    return {"description": description, "category": category, "business_related": business_related,
            "resolved_on_site": resolved_on_site}


def complete(script, activity, when, started, ended, volunteers, services, beneficiaries, problems, opinions):
    report = {"started_at": at(started), "ended_at": at(ended), "volunteers": volunteers,
              "services_delivered": services, "beneficiaries": beneficiaries, "description": "上门服务",
              "problems": problems, "opinions": opinions}
    done = activity_domain.complete(activity, report, at(when))
    script.emit("activity", "activity_completed", activity_domain.published(done))
    return done


def request_summary(script, activity, summary_id, when):
    summary = summary_domain.request_summary(summary_id, activity, TERMS, at(when))
    script.emit("summary", "summary_requested", summary)
    return summary


def issue_step(script, step):
    issue, event_type = step
    if event_type == "issue_overdue":
        script.emit("summary", event_type, {**issue, "kind": issue["overdue_notices"][-1]["kind"]})
    else:
        script.emit("summary", event_type, issue)
    return issue


def open_issue(script, issue_id, origin, department, when):
    return issue_step(script, issues.open_issue(issue_id, origin, department, TERMS, at(when)))


def submit_summary(summary, when, business_issues=()):
    content = {"experience": "经验", "shortcomings": "不足", "improvements": "改进",
               "business_issues": [{"description": "孤儿助学金发放慢", "category": category,
                                    "countermeasure": "简化审批"} for category in business_issues]}
    return summary_domain.submit_summary(summary, content, at(when))


def golden_campaign():
    """The scripted campaign's events, in the order the services publish them."""
    s = Script()
    for code, (name, categories) in DEPARTMENTS.items():
        s.emit("summary", "department_registered",
               departments.new_department({"code": code, "name": name, "categories": categories,
                                              "contact_email": f"{code}@example.org"}, None, {},
                                             at("02-01T09:00:00")), subject=code)
    for code, name in UNITS.items():
        unit = pairing_domain.new_unit({"code": code, "name": name, "party_org": f"{name}党支部",
                                        "contact_name": "刘洋", "contact_phone": "13800001111",
                                        "contact_email": f"{code.lower()}@example.org"}, at("02-02T09:00:00"))
        s.emit("pairing", "unit_registered", pairing_domain.unit_event(unit), seq=unit["revision"], subject=code)
    c = campaign(s)
    p1 = move_pairing(s, report_pairing(s, c, "U1", "P1", "03-01T10:00:00"), "03-02T10:00:00", "approve")
    move_pairing(s, report_pairing(s, c, "U2", "P2", "03-03T10:00:00", kind="household"), "03-04T10:00:00",
                 "reject")
    p3 = move_pairing(s, report_pairing(s, c, "U3", "P3", "03-10T08:00:00"), "03-11T09:00:00", "approve")
    move_pairing(s, report_pairing(s, c, "U4", "P4", "03-05T10:00:00"), "03-06T10:00:00")
    deadline_notice(s, c, REMIND, "U2", "03-06T08:00:00")
    for code in ("U2", "U3", "U4"):
        deadline_notice(s, c, OVERDUE, code, "03-10T00:00:30")
    report_pairing(s, c, "U2", "P5", "03-11T10:00:00")

    a1 = plan(s, p1, "A1", "03-05T09:00:00", ["visit_condolence", "home_repair"])
    a2 = plan(s, p1, "A2", "03-06T09:00:00", ["health_care"])
    s.emit("activity", "activity_cancelled", activity_domain.published(
        activity_domain.cancel(a2, "天气原因", at("03-07T09:00:00"))))
    a1 = complete(s, a1, "03-12T17:00:00", "03-12T09:00:00", "03-12T12:00:00",
                  [volunteer("张三", 2, party_member=True), volunteer("李四", 2, party_member=True),
                   volunteer("赵五", 1.5, youth=True)],
                  ["visit_condolence", "home_repair"], 5,
                  [problem("elderly_care", True, False), problem("other", False, True, "门锁损坏"),
                   problem("other", False, False, "子女探望少")],
                  ["希望多来看看", "感谢志愿者"])
    s1 = request_summary(s, a1, "S1", "03-12T17:00:01")
    [a1_issue] = summary_domain.activity_issues(a1)
    i1 = open_issue(s, "I1", a1_issue, "elderly-care", "03-12T17:00:02")
    i1 = issue_step(s, issues.acknowledge(i1, "department:elderly-care", at("03-13T10:00:00")))

    a3 = plan(s, p3, "A3", "03-12T09:00:00", ["health_care"])
    a3 = complete(s, a3, "03-15T18:00:00", "03-15T09:00:00", "03-15T12:00:00",
                  [volunteer("钱六", 3, party_member=True, youth=True), volunteer("孙七", 3, youth=True)],
                  ["health_care"], 12,
                  [problem("social_assistance", True, True), problem("other", True, False, "无障碍设施缺失")],
                  ["希望定期体检"])
    s3 = request_summary(s, a3, "S3", "03-15T18:00:01")
    assistance, other = summary_domain.activity_issues(a3)
    i2 = open_issue(s, "I2", assistance, "social-assistance", "03-15T18:00:02")
    open_issue(s, "I3", other, None, "03-15T18:00:03")
    plan(s, p3, "A4", "03-16T09:00:00", ["culture_recreation"])
    i2 = issue_step(s, issues.transfer(i2, "child-welfare", "属儿童福利事项", TERMS, "committee",
                                       at("03-16T10:00:00")))
    i2 = issue_step(s, issues.acknowledge(i2, "department:child-welfare", at("03-18T09:00:00")))

    s1, [welfare] = submit_summary(s1, "03-18T15:00:00", ["child_welfare"])
    s.emit("summary", "summary_submitted", s1)
    i4 = open_issue(s, "I4", welfare, "child-welfare", "03-18T15:00:00")

    a5 = plan(s, p1, "A5", "03-13T09:00:00", ["sanitation_cleaning"])
    a5 = complete(s, a5, "03-20T16:00:00", "03-20T09:00:00", "03-20T11:00:00",
                  [volunteer("周八", 2)], ["sanitation_cleaning"], 1, [], [])
    s5 = request_summary(s, a5, "S5", "03-20T16:00:01")
    i1 = issue_step(s, issues.answer(i1, {"measures": "协调街道助餐点", "resolved": False},
                                     "department:elderly-care", at("03-20T11:00:00")))
    i4 = issue_step(s, issues.mark_overdue(i4, issues.ACK, at("03-20T15:01:00")))
    i1 = issue_step(s, issues.rate(i1, {"satisfied": False, "comment": "仍未解决"}, TERMS, "unit:U1",
                                   at("03-21T10:00:00")))
    issue_step(s, issues.answer(i2, {"measures": "纳入临时救助", "resolved": True},
                                "department:child-welfare", at("03-22T10:00:00")))
    s3 = summary_domain.mark_summary_overdue(s3, at("03-22T18:01:00"))
    s.emit("summary", "summary_overdue", s3)
    s.emit("summary", "summary_submitted", submit_summary(s3, "03-25T09:00:00")[0])
    i1 = issue_step(s, issues.answer(i1, {"measures": "助餐点已开通", "resolved": True},
                                     "department:elderly-care", at("03-25T10:00:00")))
    issue_step(s, issues.rate(i1, {"satisfied": True, "comment": "满意"}, TERMS, "unit:U1",
                              at("03-26T10:00:00")))
    s.emit("summary", "summary_overdue", summary_domain.mark_summary_overdue(s5, at("03-28T00:00:00")))
    return s.emitted


GOLDEN = Path(__file__).parent / "service" / "golden" / "campaign_report.json"


def golden_report():
    return json.loads(GOLDEN.read_text())


def mismatches(actual, expected, path="report"):
    """Every field where `actual` differs from `expected` (rates to four decimals), by dotted path."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = [f"{path}.{key}: missing" for key in expected if key not in actual]
        found += [f"{path}.{key}: unexpected" for key in actual if key not in expected]
        for key in expected.keys() & actual.keys():
            found += mismatches(actual[key], expected[key], f"{path}.{key}")
        return found
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [m for i, (a, e) in enumerate(zip(actual, expected)) for m in mismatches(a, e, f"{path}.{i}")]
    if isinstance(expected, float) and isinstance(actual, (int, float)) and not isinstance(actual, bool):
        return [] if abs(actual - expected) < 5e-5 else [f"{path}: {actual!r} != {expected!r}"]
    return [] if actual == expected and type(actual) is type(expected) else [f"{path}: {actual!r} != {expected!r}"]
