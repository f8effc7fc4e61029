"""The notification rules without Redis or RabbitMQ: the directory, records, addresses, e-mail."""
import email
import smtplib
from datetime import datetime
from email import policy

import pytest

from services.common import clock
from services.notification import domain
from services.notification.mail import MailSettings, SendTimeout, compose, describe
from tests.service.notification import events as s

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=clock.CAMPAIGN_TZ)
LATER = datetime(2025, 3, 10, 9, 5, tzinfo=clock.CAMPAIGN_TZ)
DELAYS = (2, 4, 8, 16, 32)


def event(event_type, data, seq=1):
    return s.envelope(event_type, data, seq=seq)


def notification(email=domain.PENDING):
    return domain.new_notification(event("pairing_approved", s.pairing("p1", "c1", "U001")), "unit:U001",
                                   "【结对审核】已通过", "正文", email, NOW)


@pytest.mark.parametrize("event_type, data, kind, key, kept", [
    ("unit_registered", s.unit("U001", email="u@example.org"), "unit", "U001",
     {"code": "U001", "name": "民政部办公厅", "party_org": "民政部办公厅党支部", "contact_email": "u@example.org",
      "active": True}),
    ("department_registered", s.department("elderly-care", email="d@example.org"), "department", "elderly-care",
     {"code": "elderly-care", "name": "养老服务司", "contact_email": "d@example.org"}),
    ("campaign_updated", s.campaign("c1"), "campaign", "c1",
     {"id": "c1", "name": s.CAMPAIGN_NAME, "year": 2025, "region": "北京市", "report_deadline": "2025-03-09"}),
    ("activity_planned", s.activity("a1", "c1", "U001"), "activity", "a1", {"id": "a1", "title": "走访慰问独居老人"}),
])
def test_the_directory_keeps_only_what_texts_and_mail_need(event_type, data, kind, key, kept):
    assert domain.directory_entry(event(event_type, data, seq=3)) == (kind, key, {**kept, "seq": 3})


@pytest.mark.parametrize("data, refs", [
    (s.notice("c1", "U001"), {"campaign": "c1", "unit": "U001", "department": None, "activity": None}),
    (s.summary("s1", "a1", "c1", "U001"), {"campaign": "c1", "unit": "U001", "department": None, "activity": "a1"}),
    (s.issue("i1", "c1", "U001", "elderly-care"),
     {"campaign": "c1", "unit": "U001", "department": "elderly-care", "activity": "a-any"}),
    ({**s.issue("i1", "c1", "U001", None), "source": {"kind": "summary", "id": "s1"}},
     {"campaign": "c1", "unit": "U001", "department": None, "activity": None}),
])
def test_which_directory_entries_a_text_names(data, refs):
    assert domain.directory_refs(data) == refs


def test_a_notification_id_is_one_per_fact_and_recipient():
    approved = event("pairing_approved", s.pairing("p1", "c1", "U001", status="approved"), seq=2)
    announced_again = {**approved, "event_id": "another-event-id"}
    assert domain.notification_id(approved, "unit:U001") == domain.notification_id(announced_again, "unit:U001")
    assert domain.notification_id(approved, "unit:U001") != domain.notification_id(approved, "committee")
    # Another revision, another event type or another subject is another fact.
    for other in ({**approved, "seq": 3}, {**approved, "event_type": "pairing_rejected"},
                  {**approved, "subject": "p2"}):
        assert domain.notification_id(other, "unit:U001") != domain.notification_id(approved, "unit:U001")


def test_a_new_notification_has_the_contracts_fields():
    record = notification()
    assert set(record) >= {"id", "recipient", "event_id", "event_type", "title", "body", "created_at",
                           "updated_at", "read_at", "email"}
    assert (record["read_at"], record["email"], record["revision"]) == (None, "pending", 1)
    assert record["created_at"] == record["updated_at"] == "2025-03-10T09:00:00+08:00"
    assert (record["subject"], record["seq"]) == ("p1", 1)


def test_reading_is_idempotent():
    first = domain.read(notification(), NOW)
    assert first["read_at"] == "2025-03-10T09:00:00+08:00" and first["revision"] == 2
    assert domain.read(first, LATER) is first


@pytest.mark.parametrize("setting, addresses", [
    (None, []), ("", []), ("a@x.org", ["a@x.org"]), (" a@x.org, ,b@x.org ", ["a@x.org", "b@x.org"]),
    (["a@x.org", "b@x.org"], ["a@x.org", "b@x.org"]),
])
def test_committee_emails_from_config(setting, addresses):
    assert domain.committee_emails(setting) == addresses


@pytest.mark.parametrize("audience, directory, to", [
    ("committee", {}, ["c1@x.org", "c2@x.org"]),
    ("unit", {"unit": {"contact_email": "u@x.org", "active": True}}, ["u@x.org"]),
    ("unit", {"unit": {"contact_email": "u@x.org", "active": False}}, []),
    ("unit", {"unit": {"contact_email": None, "active": True}}, []),
    ("unit", {}, []),
    ("department", {"department": {"contact_email": "d@x.org"}}, ["d@x.org"]),
])
def test_where_a_recipients_mail_goes(audience, directory, to):
    assert domain.addresses(audience, directory, ("c1@x.org", "c2@x.org")) == to


@pytest.mark.parametrize("to, configured, status", [
    (["a@x.org"], True, "pending"), ([], True, "skipped"), (["a@x.org"], False, "skipped")])
def test_mail_is_pending_only_with_an_address_and_a_server(to, configured, status):
    assert domain.email_status(to, configured) == status


@pytest.mark.parametrize("recipient, owner", [
    ("committee", {}), ("unit:U-1", {"unit": "U-1"}), ("department:elderly-care", {"department": "elderly-care"})])
def test_the_owner_of_an_inbox(recipient, owner):
    assert domain.owner_of(recipient) == owner


def test_failed_attempts_are_retried_after_each_delay_then_given_up():
    record, waits = notification(), []
    while True:
        record, delay = domain.email_failed_attempt(record, "ConnectionRefusedError", False, DELAYS, NOW)
        if delay is None:
            break
        assert record["email"] == "pending" and record["email_error"] == "ConnectionRefusedError"
        waits.append(delay)
    assert waits == list(DELAYS)
    assert (record["email"], record["email_attempts"]) == ("failed", 6)
    assert record["email_error"] == "邮件发送失败（共尝试 6 次）：ConnectionRefusedError"


def test_a_permanent_refusal_is_not_retried():
    record, delay = domain.email_failed_attempt(notification(), "SMTPRecipientsRefused [550]", True, DELAYS, NOW)
    assert (delay, record["email"], record["email_attempts"]) == (None, "failed", 1)


def test_a_sent_mail_records_its_time_and_clears_the_last_error():
    failed_once, _ = domain.email_failed_attempt(notification(), "timeout", False, DELAYS, NOW)
    sent = domain.email_sent(failed_once, LATER)
    assert (sent["email"], sent["email_attempts"], sent["email_error"]) == ("sent", 2, None)
    assert sent["email_sent_at"] == "2025-03-10T09:05:00+08:00" and sent["revision"] == 3


def test_the_mail_is_utf8_with_a_chinese_subject():
    record = notification()
    message = compose(record, ["u@example.org", "v@example.org"], "leifeng@ministry.example")
    raw = message.as_bytes()
    assert b"=?utf-8?" in raw.split(b"\n\n", 1)[0]
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == "【结对审核】已通过"
    assert parsed["To"] == "u@example.org, v@example.org"
    assert parsed["Message-ID"] == f"<{record['id']}@ministry.example>"
    assert parsed.get_content_charset() == "utf-8" and parsed.get_content().strip() == "正文"


@pytest.mark.parametrize("exc, reason, permanent", [
    (ConnectionRefusedError(111, "refused"), "ConnectionRefusedError", False),
    (SendTimeout(), "SMTP 服务器响应超时(timeout)", False),
    (smtplib.SMTPRecipientsRefused({"who@x.org": (550, b"no such user who@x.org")}),
     "SMTPRecipientsRefused [550]", True),
    (smtplib.SMTPRecipientsRefused({"who@x.org": (450, b"mailbox busy")}), "SMTPRecipientsRefused [450]", False),
    (smtplib.SMTPDataError(451, b"try later"), "SMTPDataError 451", False),
    (smtplib.SMTPSenderRefused(553, b"bad sender", "from@x.org"), "SMTPSenderRefused 553", True),
])
def test_failures_are_described_without_addresses(exc, reason, permanent):
    assert describe(exc) == (reason, permanent)
    assert "@" not in reason


def test_mail_settings_from_config():
    settings = MailSettings.from_config({"SMTP_HOST": "", "SMTP_PORT": "2525", "COMMITTEE_EMAILS": "a@x.org",
                                         "EMAIL_RETRY_DELAYS": "1,2"})
    assert (settings.configured, settings.port, settings.committee, settings.retry_delays, settings.timeout) == (
        False, 2525, ("a@x.org",), (1.0, 2.0), 10)
    assert MailSettings.from_config({"SMTP_HOST": "mail", "EMAIL_RETRY_DELAYS": None}).retry_delays == (
        2, 4, 8, 16, 32)


def test_an_event_gives_one_draft_per_recipient_with_its_texts_and_addresses():
    issue = event("issue_answered", s.issue("i1", "c1", "U001", "elderly-care", status="answered",
                                             answer={"measures": "新增助餐点", "resolved": True}))
    directory = {"unit": {"name": "民政部办公厅", "contact_email": "u@x.org", "active": True},
                 "department": {"name": "养老服务司"}}
    drafts = domain.notifications_for(issue, directory, ("c@x.org",), True, NOW)
    assert [(n["recipient"], n["email"], to) for n, to in drafts] == [
        ("committee", "pending", ["c@x.org"]), ("unit:U001", "pending", ["u@x.org"])]
    assert drafts[0][0]["title"] == "【已答复】养老服务司已答复民政部办公厅反映的问题"
    assert drafts[1][0]["title"] == "【问题答复】养老服务司已答复贵单位反映的问题，请评价"
    assert {n["event_id"] for n, _ in drafts} == {issue["event_id"]}
    assert [n["email"] for n, _ in domain.notifications_for(issue, directory, (), False, NOW)] == ["skipped"] * 2
