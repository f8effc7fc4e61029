"""Notification service: inboxes, e-mail and webhooks for what the other services announce on the bus.

Entrypoints only: load the arguments, call one use case (usecases.py), return."""
from services.common.rpc import rpc

from services.common import clock, events, web
from services.common.auth import COMMITTEE, OPS, Auth, allow
from services.common.consumer import reliable_event_handler
from services.common.schemas import load
from services.common.storage import Storage

from . import domain, metrics, schemas, usecases
from .mailer import Mailer
from .recipients import RECIPIENTS
from .sender import WebhookSender
from .store import NotificationStore

SOURCE = {event_type: source for source, event_type in events.SCHEMAS}


def handles(event_types):
    """One reliable consumer (own queue) per event type, all on the decorated method."""
    def decorate(method):
        for event_type in event_types:
            method = reliable_event_handler(SOURCE[event_type], event_type)(method)
        return method
    return decorate


class NotificationService(web.Observable):
    name = "notification"

    auth = Auth()
    store = Storage(NotificationStore)
    mailer = Mailer()
    sender = WebhookSender()

    @rpc
    @allow(COMMITTEE, OPS, unit="own", department="own")
    def list_inbox(self, recipient=None, unread_only=False, limit=50, cursor=None):
        args = load(schemas.ListInboxArgs, {"recipient": self.auth.caller.recipient if recipient is None else recipient,
                                            "unread_only": unread_only, "limit": limit, "cursor": cursor})
        return usecases.inbox(self.store, self.auth.caller, args)

    @rpc
    @allow(COMMITTEE, OPS, unit="own", department="own")
    def mark_read(self, notification_id, request_id=None):
        args = load(schemas.MarkReadArgs, {"notification_id": notification_id, "request_id": request_id})
        return usecases.mark_read(self.store, self.auth.caller, args, clock.now())

    @rpc
    @allow(COMMITTEE, unit="own", department="own")
    def register_webhook(self, webhook, request_id=None):
        args = load(schemas.RegisterWebhookArgs, {"webhook": webhook, "request_id": request_id})
        return usecases.register_webhook(self.store, self.auth.caller, args, self.sender.settings, clock.now())

    @rpc
    @allow(COMMITTEE, OPS, unit="own", department="own")
    def list_webhooks(self, recipient=None, limit=50, cursor=None):
        args = load(schemas.ListWebhooksArgs, {"recipient": recipient, "limit": limit, "cursor": cursor})
        return usecases.list_webhooks(self.store, self.auth.caller, args)

    @rpc
    @allow(COMMITTEE, unit="own", department="own")
    def delete_webhook(self, webhook_id, request_id=None):
        args = load(schemas.DeleteWebhookArgs, {"webhook_id": webhook_id, "request_id": request_id})
        return usecases.delete_webhook(self.store, self.auth.caller, args, clock.now())

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
        delivery = usecases.redeliver(self.store, self.auth.caller, args, clock.now())
        self.sender.wake()
        return delivery

    @handles(domain.DIRECTORY)
    def keep_directory(self, event):
        usecases.keep_directory(self.store, event)

    @handles(RECIPIENTS)
    def notify(self, event):
        for record in usecases.notify(self.store, event, self.mailer.settings, clock.now()):
            metrics.NOTIFICATIONS_CREATED.labels(record["event_type"]).inc()
        self.mailer.wake()
        self.sender.wake()
