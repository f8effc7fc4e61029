"""Notification service: inboxes and e-mail for what the other services announce on the bus."""
from services.common.rpc_queue import rpc

from services.common import clock, events, web
from services.common.auth import COMMITTEE, OPS, Auth, allow
from services.common.consumer import reliable_event_handler
from services.common.errors import require_found
from services.common.schemas import load
from services.common.storage import Storage

from . import domain, metrics
from .mailer import Mailer
from .recipients import RECIPIENTS
from .schemas import ListInboxArgs, MarkReadArgs
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

    @rpc
    @allow(COMMITTEE, OPS, unit="own", department="own")
    def list_inbox(self, recipient=None, unread_only=False, limit=50, cursor=None):
        args = load(ListInboxArgs, {"recipient": self.auth.caller.recipient if recipient is None else recipient,
                                    "unread_only": unread_only, "limit": limit, "cursor": cursor})
        self.auth.caller.require_owner(**domain.owner_of(args["recipient"]))
        return self.store.inbox(args["recipient"], args["unread_only"], args["limit"], args["cursor"])

    @rpc
    @allow(COMMITTEE, OPS, unit="own", department="own")
    def mark_read(self, notification_id):
        notification_id = load(MarkReadArgs, {"notification_id": notification_id})["notification_id"]
        record = require_found(self.store.notification(notification_id), f"通知 {notification_id} ")
        self.auth.caller.require_owner(**domain.owner_of(record["recipient"]))
        return self.store.mark_read(notification_id, clock.now())

    @handles(domain.DIRECTORY)
    def keep_directory(self, event):
        self.store.keep_in_directory(*domain.directory_entry(event))

    @handles(RECIPIENTS)
    def notify(self, event):
        directory = self.store.directory_for(domain.directory_refs(event["data"]))
        settings = self.mailer.settings
        drafts = domain.notifications_for(event, directory, settings.committee, settings.configured, clock.now())
        for record in self.store.add_notifications(drafts):
            metrics.NOTIFICATIONS_CREATED.labels(record["event_type"]).inc()
        self.mailer.wake()
