"""The notification service's own Prometheus metrics (exported on GET /metrics with the common ones)."""
from prometheus_client import Counter, Gauge

NOTIFICATIONS_CREATED = Counter(
    "leifeng_notifications_created_total", "Notifications written to an inbox.", ["event_type"])
EMAILS_SENT = Counter(
    "leifeng_notification_emails_sent_total", "E-mails the SMTP server accepted.")
EMAILS_FAILED = Counter(
    "leifeng_notification_emails_failed_total", "E-mails given up on after their last attempt.")
EMAIL_RETRIES = Counter(
    "leifeng_notification_email_retries_total", "Failed e-mail attempts scheduled for another try.")
EMAILS_PENDING = Gauge(
    "leifeng_notification_emails_pending", "E-mails waiting to be sent or retried.")
WEBHOOK_DELIVERIES = Counter(
    "leifeng_webhook_deliveries_total",
    "Webhook delivery attempts by outcome: delivered, retry (failed, tried again later), failed (given up).",
    ["outcome"])
WEBHOOK_DELIVERIES_PENDING = Gauge(
    "leifeng_webhook_deliveries_pending", "Webhook deliveries waiting to be attempted or retried.")
