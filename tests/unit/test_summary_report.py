"""The campaign report's counter logic (services/summary/report/counters.py and view.py), without
Redis: events folded into subject states, differences applied to in-memory counters, the report
built from them."""
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.vocabulary import SERVICE_TYPES
from services.summary import issues as issue_rules
from services.summary.report import counters as report
from services.summary.report import view as report_view
from tests import report_scenario as scenario
from tests.report_scenario import at


class Counters:
    """What ReportStore keeps, in memory: subject states, the three counter hashes per campaign,
    each campaign's `as_of` and the names."""

    def __init__(self):
        self.states = {}
        self.tables = {}
        self.as_of = {}
        self.names = {"unit": {}, "department": {}}

    def table(self, campaign_id, table):
        return self.tables.setdefault((campaign_id, table), Counter())

    def handle(self, event):
        """One delivery, as the handlers take it; returns the counter changes."""
        named = report.NAMES.get((event["source"], event["event_type"]))
        if named:
            self.names[named][event["data"]["code"]] = event["data"]["name"]
            return {}
        subject = report.subject_of(event)
        changed, changes = report.count({subject: self.states.get(subject)}, [event])
        self.states.update(changed)
        for (campaign_id, table, field), delta in changes.items():
            self.table(campaign_id, table)[field] += delta
        for campaign_id, occurred_at in report.newest([event]).items():
            self.as_of[campaign_id] = report.later(self.as_of.get(campaign_id), occurred_at)
        return changes

    def text(self, campaign_id, table):
        return {field: str(value) for field, value in self.table(campaign_id, table).items()}

    def counted(self, campaign_id):
        return {"campaign_id": campaign_id, "state": self.states.get((campaign_id, "campaign", campaign_id)),
                "totals": self.text(campaign_id, report.TOTALS)}

    def report(self, campaign_id=scenario.CAMPAIGN):
        read = self.counted(campaign_id)
        earlier = read["state"] and read["state"]["carried_over_from"]
        return report_view.build({
            **read, "units": self.text(campaign_id, report.UNITS),
            "departments": self.text(campaign_id, report.DEPARTMENTS), "unit_names": self.names["unit"],
            "department_names": self.names["department"], "as_of": self.as_of.get(campaign_id),
            "earlier": self.counted(earlier) if earlier else None})


def unit_totals(built):
    """`units` without its `by_status` rows."""
    return {name: value for name, value in built["units"].items() if name != "by_status"}


def counted(events):
    counters = Counters()
    for event in events:
        counters.handle(event)
    return counters


@pytest.fixture(scope="module")
def golden_events():
    return [e.envelope() for e in scenario.golden_campaign()]


def test_the_scripted_campaign_gives_the_golden_report(golden_events):
    assert scenario.mismatches(counted(golden_events).report(), scenario.golden_report()) == []


def test_one_batch_and_one_event_at_a_time_give_the_same_counters(golden_events):
    _, changes = report.count({}, [e for e in golden_events if (e["source"], e["event_type"]) in report.KINDS])
    one_by_one = counted(golden_events).tables
    assert changes == {(campaign_id, table, field): value for (campaign_id, table), counter in one_by_one.items()
                       for field, value in counter.items() if value}


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_order_with_repeats_gives_the_same_report(golden_events, data):
    order = data.draw(st.permutations(golden_events))
    repeats = data.draw(st.lists(st.sampled_from(golden_events), max_size=15))
    assert counted(order + repeats).report() == counted(golden_events).report()


def test_a_repeated_or_stale_event_changes_nothing(golden_events):
    counters = counted(golden_events)
    for event in golden_events:
        assert counters.handle(event) == {}


def events_of(*steps):
    return [step.envelope() for step in steps]


def script_until(predicate):
    """The golden script's events up to and including the first one matching `predicate`."""
    emitted = scenario.golden_campaign()
    end = next(i for i, e in enumerate(emitted) if predicate(e))
    return [e.envelope() for e in emitted[:end + 1]]


def test_a_unit_counts_by_its_latest_pairing_whatever_arrives_last():
    counters = Counters()
    script = scenario.Script()
    campaign = scenario.campaign(script)
    first = scenario.report_pairing(script, campaign, "U2", "P2", "03-03T10:00:00")
    scenario.move_pairing(script, first, "03-04T10:00:00", "reject")
    scenario.report_pairing(script, campaign, "U2", "P5", "03-11T10:00:00")
    created, reported, rejected, again = events_of(*script.emitted)
    for event in (created, again, reported, rejected):
        counters.handle(event)
    assert unit_totals(counters.report()) == {"total": 4, "reported": 1, "reported_on_time": 0, "approved": 0}


def test_a_withdrawn_pairing_is_not_reported():
    script = scenario.Script()
    campaign = scenario.campaign(script)
    scenario.move_pairing(script, scenario.report_pairing(script, campaign, "U4", "P4", "03-05T10:00:00"),
                          "03-06T10:00:00")
    assert unit_totals(counted(events_of(*script.emitted)).report()) == {
        "total": 4, "reported": 0, "reported_on_time": 0, "approved": 0}


def test_a_unit_that_leaves_the_campaign_no_longer_counts_its_pairing():
    script = scenario.Script()
    campaign = scenario.campaign(script)
    scenario.report_pairing(script, campaign, "U3", "P3", "03-01T10:00:00")
    left = {**campaign, "participants": ["U1", "U2", "U4"], "revision": 2}
    script.emit("pairing", "campaign_updated", left)
    created, reported, updated = events_of(*script.emitted)
    counters = counted([reported, created])
    assert unit_totals(counters.report()) == {"total": 4, "reported": 1, "reported_on_time": 1, "approved": 0}
    counters.handle(updated)
    assert unit_totals(counters.report()) == {"total": 3, "reported": 0, "reported_on_time": 0, "approved": 0}
    assert [row["unit_code"] for row in counters.report()["by_unit"]] == ["U1", "U2", "U4"]


def test_pairings_that_overtake_their_campaign_count_once_it_arrives():
    script = scenario.Script()
    campaign = scenario.campaign(script)
    scenario.report_pairing(script, campaign, "U1", "P1", "03-01T10:00:00")
    created, reported = events_of(*script.emitted)
    counters = counted([reported])
    assert unit_totals(counters.report()) == {"total": 0, "reported": 0, "reported_on_time": 0, "approved": 0}
    counters.handle(created)
    assert unit_totals(counters.report()) == {"total": 4, "reported": 1, "reported_on_time": 1, "approved": 0}


def test_a_completion_that_overtakes_its_planning_counts_once_as_completed(golden_events):
    planned = next(e for e in golden_events if e["event_type"] == "activity_planned" and e["subject"] == "A5")
    completed = next(e for e in golden_events if e["event_type"] == "activity_completed" and e["subject"] == "A5")
    counters = counted([completed, planned])
    built = counters.report()
    assert built["activities"] == {"planned": 0, "completed": 1, "cancelled": 0}
    assert built["volunteers"] == {"participations": 1, "party_members": 0, "youth": 0, "hours": 2}
    assert built["services"]["sanitation_cleaning"] == 1


def test_a_late_summary_overdue_notice_does_not_make_a_submitted_summary_overdue(golden_events):
    s3 = [e for e in golden_events if e["subject"] == "S3"]
    requested, overdue, submitted = s3
    built = counted([requested, submitted, overdue]).report()
    assert built["summaries"] == {"requested": 1, "submitted": 1, "submitted_on_time": 0, "overdue": 0}


def test_an_overdue_summary_stays_overdue_until_submitted(golden_events):
    requested, overdue, submitted = [e for e in golden_events if e["subject"] == "S3"]
    counters = counted([overdue, requested])
    assert counters.report()["summaries"]["overdue"] == 1
    counters.handle(submitted)
    assert counters.report()["summaries"] == {"requested": 1, "submitted": 1, "submitted_on_time": 0, "overdue": 0}


def department_rows(counters, campaign_id=scenario.CAMPAIGN):
    return {row["department"]: row for row in counters.report(campaign_id)["by_department"]}


def test_a_transfer_moves_the_issue_and_its_figures_to_the_new_department():
    events = script_until(lambda e: e.event_type == "issue_acknowledged" and e.subject == "I2")
    i2 = [e for e in events if e["subject"] == "I2"]
    before = counted([e for e in events if e not in i2[1:]])
    assert department_rows(before)["social-assistance"]["issues"] == 1
    after = counted(events)
    rows = department_rows(after)
    assert rows["social-assistance"]["issues"] == 0
    assert rows["child-welfare"]["issues"] == 1
    # Acknowledged within its new due time, but after its first one.
    assert rows["child-welfare"]["acknowledged_on_time"] == 0


def test_a_transfer_back_to_triage_leaves_every_department():
    script = scenario.Script()
    origin = {"campaign_id": "C1", "unit_code": "U1", "source": {"kind": "activity", "id": "A1"},
              "description": "养老助餐", "category": "elderly_care", "countermeasure": None}
    issue = scenario.open_issue(script, "I9", origin, "elderly-care", "03-12T17:00:00")
    scenario.issue_step(script, issue_rules.transfer(issue, None, "类别有误", scenario.TERMS, "committee",
                                                     at("03-13T09:00:00")))
    built = counted(events_of(*script.emitted)).report("C1")
    assert built["by_department"] == []
    assert built["issues"]["triage"] == 1 and built["issues"]["forwarded"] == 1
    assert built["issues"]["response_rate"] is None


def test_an_overdue_issue_stops_counting_as_overdue_once_acknowledged():
    script = scenario.Script()
    origin = {"campaign_id": "C1", "unit_code": "U1", "source": {"kind": "summary", "id": "S1"},
              "description": "助学金发放慢", "category": "child_welfare", "countermeasure": "简化审批"}
    issue = scenario.open_issue(script, "I9", origin, "child-welfare", "03-18T15:00:00")
    issue = scenario.issue_step(script, issue_rules.mark_overdue(issue, issue_rules.ACK, at("03-20T15:01:00")))
    counters = counted(events_of(*script.emitted))
    assert department_rows(counters, "C1")["child-welfare"]["overdue"] == 1
    scenario.issue_step(script, issue_rules.acknowledge(issue, "department:child-welfare", at("03-21T09:00:00")))
    counters.handle(script.emitted[-1].envelope())
    row = department_rows(counters, "C1")["child-welfare"]
    assert (row["overdue"], row["acknowledged_on_time"]) == (0, 0)


def test_a_reopened_issue_counts_its_last_answer_and_last_rating(golden_events):
    i1 = [e for e in golden_events if e["subject"] == "I1"]
    assert [e["event_type"] for e in i1] == ["issue_forwarded", "issue_acknowledged", "issue_answered",
                                             "issue_reopened", "issue_answered", "issue_closed"]
    reopened = counted(i1[:4]).report()["issues"]
    assert {k: reopened[k] for k in ("answered", "resolved", "reopened", "rated", "satisfied", "closed")} == {
        "answered": 1, "resolved": 0, "reopened": 1, "rated": 1, "satisfied": 0, "closed": 0}
    assert reopened["satisfaction_rate"] == 0.0
    closed = counted(i1).report()["issues"]
    assert {k: closed[k] for k in ("answered", "resolved", "reopened", "rated", "satisfied", "closed")} == {
        "answered": 1, "resolved": 1, "reopened": 1, "rated": 1, "satisfied": 1, "closed": 1}


def test_a_campaign_update_changes_who_takes_part():
    script = scenario.Script()
    campaign = scenario.campaign(script)
    script.emit("pairing", "campaign_updated", {**campaign, "participants": ["U1", "U5"], "revision": 2})
    created, updated = events_of(*script.emitted)
    built = counted([updated, created]).report()
    assert built["units"]["total"] == 2
    assert [row["unit_code"] for row in built["by_unit"]] == ["U1", "U5"]


def test_an_empty_campaign_has_zero_counts_and_null_rates():
    script = scenario.Script()
    scenario.campaign(script)
    built = counted(events_of(*script.emitted)).report()
    assert built["issues"]["response_rate"] is None
    assert built["issues"]["resolution_rate"] is None
    assert built["issues"]["satisfaction_rate"] is None
    assert built["volunteers"]["hours"] == 0
    assert built["services"] == dict.fromkeys(SERVICE_TYPES, 0)
    assert built["by_department"] == [] and len(built["by_unit"]) == 4


def test_as_of_is_the_newest_counted_event_whatever_the_order(golden_events):
    last = scenario.golden_campaign()[-1]
    assert (last.event_type, last.occurred_at) == ("summary_overdue", "2024-03-28T00:00:00+08:00")
    assert counted(golden_events[::-1]).report()["as_of"] == last.occurred_at


def test_a_report_before_any_event_of_its_own_has_no_as_of():
    built = counted([]).report()
    assert built["as_of"] is None and built["units"]["by_status"] == []


def notices(unit_code="U2"):
    script = scenario.Script()
    campaign = scenario.campaign(script)
    scenario.deadline_notice(script, campaign, "pairing_deadline_approaching", unit_code, "03-06T08:00:00")
    scenario.deadline_notice(script, campaign, "pairing_overdue", unit_code, "03-10T00:00:30")
    return events_of(*script.emitted)


def by_status(built):
    return {row["unit_code"]: (row["status"], row["late"], row["reminders"]) for row in built["units"]["by_status"]}


def test_every_taking_part_unit_is_listed_once_never_reported_ones_too():
    created, *_ = notices()
    assert by_status(counted([created]).report()) == dict.fromkeys(("U1", "U2", "U3", "U4"),
                                                                   ("not_reported", False, 0))


def test_each_deadline_notice_counts_once_however_often_it_is_announced():
    created, approaching, overdue = notices()
    # The same notice again under a new event_id (pairing's relay after a crash) is the same fact.
    again = {**overdue, "event_id": "another"}
    counters = counted([approaching, overdue, again, approaching, created])
    assert by_status(counters.report())["U2"] == ("not_reported", False, 2)
    assert counters.handle(again) == {}


def test_a_notice_that_overtakes_its_campaign_counts_once_it_arrives():
    created, approaching, _ = notices("U3")
    counters = counted([approaching])
    assert counters.report()["units"]["by_status"] == []
    counters.handle(created)
    assert by_status(counters.report())["U3"] == ("not_reported", False, 1)


def carried_over(earlier_id=scenario.CAMPAIGN, new_id="C-2025"):
    """`campaign_created` of next year's campaign as pairing's carry_over_campaign announces it."""
    script = scenario.Script()
    record = scenario.campaign(script)
    script.emitted[0].data = {**record, "id": new_id, "name": "2025年学雷锋结对帮扶志愿服务活动",
                              "carried_over_from": earlier_id}
    script.emitted[0].subject = new_id
    return script.emitted[0].envelope()


def test_a_carried_over_campaign_is_compared_with_the_earlier_one(golden_events):
    counters = counted(golden_events)
    counters.handle(carried_over())
    built = counters.report("C-2025")
    golden = scenario.golden_report()
    assert set(built["compared_with"]) == {"campaign_id", *report_view.COMPARED}
    assert scenario.mismatches(built["compared_with"], {
        "campaign_id": scenario.CAMPAIGN, **{name: golden[name] for name in report_view.COMPARED}}) == []
    assert unit_totals(built) == {"total": 4, "reported": 0, "reported_on_time": 0, "approved": 0}
    assert counters.report()["compared_with"] is None


def test_an_earlier_campaign_not_counted_here_compares_as_zeros():
    counters = counted([carried_over("C-unknown")])
    compared = counters.report("C-2025")["compared_with"]
    assert compared["campaign_id"] == "C-unknown"
    assert compared["units"] == {"total": 0, "reported": 0, "reported_on_time": 0, "approved": 0, "by_status": []}
    assert compared["issues"]["response_rate"] is None and compared["beneficiaries"] == 0
