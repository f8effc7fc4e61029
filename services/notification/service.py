"""Notification service: inboxes, e-mail and webhooks for what the other services announce on the bus.

Entrypoints only: load the arguments, call one use case (usecases.py), return."""
# Modules, not classes: `nameko run` takes every class with entrypoints in this module for a service.
from services.common import units, web
from services.common.auth import COMMITTEE, OPS, Auth, allow
from services.common.consumer import handles
from services.common.calls import request_of
from services.common.rpc import rpc
from services.common.schemas import load
from services.common.storage import Storage

from . import domain, metrics, schemas, usecases
from .mailer import Mailer
from .sender import WebhookSender
from .store import NotificationStore


class NotificationService(units.UnitStatus, web.Observable):
    name = "notification"

    auth = Auth()
    store = Storage(NotificationStore)
    mailer = Mailer()
    sender = WebhookSender()

    def request(self, method, args):
        """A call's idempotency key (contract §3): its method, the caller's scope, its validated
        arguments without the `request_id`."""
        return request_of(method, self.auth.caller, args)

    @rpc
    @allow(COMMITTEE, OPS, unit="own", department="own")
    def list_inbox(self, recipient=None, unread_only=False, limit=50, cursor=None):
        recipient = self.auth.caller.recipient if recipient is None else recipient
        args = load(schemas.ListInboxArgs,
                    {"recipient": recipient, "unread_only": unread_only, "limit": limit, "cursor": cursor})
        return usecases.inbox(self.store, self.auth.caller, args)

    @rpc
    @allow(COMMITTEE, OPS, unit="own", department="own")
    def mark_read(self, notification_id, request_id=None):
        args = load(schemas.MarkReadArgs, {"notification_id": notification_id, "request_id": request_id})
        return usecases.mark_read(self.store, self.auth.caller, args, self.request("mark_read", args))

    @rpc
    @allow(COMMITTEE, unit="own", department="own")
    def register_webhook(self, webhook, request_id=None):
        args = load(schemas.RegisterWebhookArgs, {"webhook": webhook, "request_id": request_id})
        return usecases.register_webhook(self.store, self.auth.caller, args, self.request("register_webhook", args),
                                         self.sender.settings)

    @rpc
    @allow(COMMITTEE, OPS, unit="own", department="own")
    def list_webhooks(self, recipient=None, limit=50, cursor=None):
        args = load(schemas.ListWebhooksArgs, {"recipient": recipient, "limit": limit, "cursor": cursor})
        return usecases.list_webhooks(self.store, self.auth.caller, args)

    @rpc
    @allow(COMMITTEE, unit="own", department="own")
    def delete_webhook(self, webhook_id, request_id=None):
        args = load(schemas.DeleteWebhookArgs, {"webhook_id": webhook_id, "request_id": request_id})
        return usecases.delete_webhook(self.store, self.auth.caller, args, self.request("delete_webhook", args))

    @rpc
    @allow(COMMITTEE, OPS, unit="own", department="own")
    def list_deliveries(self, webhook_id, status=None, limit=50, cursor=None):
        args = load(schemas.ListDeliveriesArgs,
                    {"webhook_id": webhook_id, "status": status, "limit": limit, "cursor": cursor})
        return usecases.list_deliveries(self.store, self.auth.caller, args)

    @rpc
    @allow(COMMITTEE, unit="own", department="own")
    def redeliver(self, delivery_id, request_id=None):
        args = load(schemas.RedeliverArgs, {"delivery_id": delivery_id, "request_id": request_id})
        delivery = usecases.redeliver(self.store, self.auth.caller, args, self.request("redeliver", args))
        self.sender.wake()
        return delivery

    # The two tables below (domain.DIRECTORY, recipients.RECIPIENTS) are what these handle: a unit test
    # compares them.
    @handles("pairing", "unit_registered", "unit_deactivated", "campaign_created", "campaign_updated")
    @handles("activity", "activity_planned", "activity_updated")
    @handles("summary", "department_registered")
    def keep_directory(self, event):
        usecases.keep_directory(self.store, event)

    @handles("pairing", "pairing_reported", "pairing_approved", "pairing_rejected", "pairing_deadline_approaching",
             "pairing_overdue")
    @handles("summary", "summary_requested", "summary_overdue", "issue_forwarded", "issue_transferred",
             "issue_reopened", "issue_answered", "issue_overdue")
    def notify(self, event):
        written, deliveries = usecases.notify(self.store, event, self.mailer.settings)
        for record in written:
            metrics.NOTIFICATIONS_CREATED.labels(record["event_type"]).inc()
        # Each loop looks again at once only for jobs just queued (else within its idle wait).
        if any(record["email"] == domain.PENDING for record in written):
            self.mailer.wake()
        if deliveries:
            self.sender.wake()
