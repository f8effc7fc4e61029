"""E-mail from the notification service to a real SMTP server (aiosmtpd on 127.0.0.1) started by
the tests: the exact mails, UTF-8 with Chinese subjects; retries while the server is away; a slow
server holding up nobody else."""
import email
from email import policy

from prometheus_client import REGISTRY

from tests.helpers import wait_until
from tests.service.notification import events as s
from tests.service.notification.conftest import COMMITTEE, SENDER

def email_of(inbox, recipient, status, **more):
    """The recipient's single notification once its e-mail has reached `status`."""
    def reached():
        items = inbox(recipient)
        return items[0] if items and items[0]["email"] == status and all(
            items[0][k] == v for k, v in more.items()) else None
    return wait_until(reached, timeout=15, message=f"e-mail {status} for {recipient}")


def emails_failed():
    return REGISTRY.get_sample_value("leifeng_notification_emails_failed_total") or 0


def parsed(mail):
    return email.message_from_bytes(mail["raw"], policy=policy.default)


def test_each_recipient_gets_the_exact_mail_utf8_with_a_chinese_subject(start_notification, smtp, bus, inbox):
    mailbox = smtp.start()
    start_notification()
    bus("campaign_created", s.campaign("c1"))
    bus("unit_registered", s.unit("U001", "民政部办公厅", email="office@ministry.example"))
    bus("department_registered", s.department("elderly-care", "养老服务司", email="elderly@ministry.example"))
    bus("pairing_overdue", s.notice("c1", "U001"))
    bus("issue_forwarded", s.issue("i1", "c1", "U001", "elderly-care"))
    expected = {
        "committee": COMMITTEE, "unit:U001": ["office@ministry.example"],
        "department:elderly-care": ["elderly@ministry.example"]}
    for recipient, addresses in expected.items():
        note = email_of(inbox, recipient, "sent", email_attempts=1)
        [mail] = mailbox.to(addresses[0])
        message = parsed(mail)
        assert (mail["mail_from"], mail["rcpt_tos"]) == (SENDER, addresses)
        assert message["Subject"] == note["title"] and "【" in note["title"]
        assert message["From"] == SENDER and message["To"] == ", ".join(addresses)
        assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
        assert message.get_content().rstrip("\n") == note["body"]
        header = mail["raw"].split(b"\r\n\r\n", 1)[0]
        assert b"Subject: =?utf-8?" in header
        assert message["Message-ID"] == f"<{note['id']}@ministry.example>"
    assert len(mailbox.mails) == 3


def test_no_address_means_inbox_only(start_notification, smtp, bus, wait_for_inbox):
    mailbox = smtp.start()
    start_notification(COMMITTEE_EMAILS=None)
    bus("unit_registered", s.unit("U002", email=None))
    bus("pairing_reported", s.pairing("p1", "c1", "U002"))
    bus("pairing_approved", s.pairing("p1", "c1", "U002", status="approved"))
    assert wait_for_inbox("committee")[0]["email"] == "skipped"
    assert wait_for_inbox("unit:U002")[0]["email"] == "skipped"
    assert mailbox.mails == []


def test_a_server_back_during_the_retries_gets_the_mail_once(start_notification, smtp, bus, inbox):
    start_notification(EMAIL_RETRY_DELAYS=[0.5, 1, 2, 4, 8])
    bus("unit_registered", s.unit("U003", email="u3@ministry.example"))
    bus("pairing_approved", s.pairing("p3", "c1", "U003", status="approved"))
    waiting = email_of(inbox, "unit:U003", "pending", email_attempts=1)
    assert waiting["email_error"] == "ConnectionRefusedError"
    mailbox = smtp.start()
    sent = email_of(inbox, "unit:U003", "sent")
    assert sent["email_attempts"] >= 2 and sent["email_error"] is None
    assert len(mailbox.mails) == 1 and mailbox.mails[0]["rcpt_tos"] == ["u3@ministry.example"]


def test_a_server_that_never_comes_back_leaves_the_mail_failed_with_the_reason(start_notification, bus, inbox):
    failed_before = emails_failed()
    start_notification()
    bus("unit_registered", s.unit("U004", email="u4@ministry.example"))
    bus("summary_requested", s.summary("s4", "a4", "c1", "U004"))
    note = email_of(inbox, "unit:U004", "failed")
    assert note["email_attempts"] == 6
    assert note["email_error"] == "邮件发送失败（共尝试 6 次）：ConnectionRefusedError"
    assert note["title"].startswith("【活动总结】请于") and note["read_at"] is None
    assert emails_failed() == failed_before + 1


def test_a_refused_address_fails_at_once(start_notification, smtp, bus, inbox):
    mailbox = smtp.start()
    mailbox.refused.add("gone@ministry.example")
    start_notification()
    bus("unit_registered", s.unit("U005", email="gone@ministry.example"))
    bus("pairing_rejected", s.pairing("p5", "c1", "U005", status="rejected"))
    note = email_of(inbox, "unit:U005", "failed")
    assert (note["email_attempts"], note["email_error"]) == (1, "邮件发送失败（共尝试 1 次）：SMTPRecipientsRefused [550]")


def test_a_slow_server_holds_up_neither_inboxes_nor_other_mail(start_notification, smtp, bus, wait_for_inbox, inbox):
    mailbox = smtp.start()
    mailbox.slow.add("slow@ministry.example")
    start_notification(SMTP_TIMEOUT=1.5, EMAIL_RETRY_DELAYS=[60])
    bus("unit_registered", s.unit("SLOW", email="slow@ministry.example"))
    bus("unit_registered", s.unit("FAST", email="fast@ministry.example"))
    bus("pairing_approved", s.pairing("p-slow", "c1", "SLOW", status="approved"))
    wait_for_inbox("unit:SLOW")
    bus("pairing_approved", s.pairing("p-fast", "c1", "FAST", status="approved"))
    email_of(inbox, "unit:FAST", "sent")
    [still_sending] = inbox("unit:SLOW")
    assert (still_sending["email"], still_sending["email_attempts"]) == ("pending", 0)
    assert [mail["rcpt_tos"] for mail in mailbox.mails] == [["fast@ministry.example"]]
    timed_out = email_of(inbox, "unit:SLOW", "pending", email_attempts=1)
    assert timed_out["email_error"] == "SMTP 服务器响应超时(timeout)"
