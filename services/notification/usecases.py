"""Each thing the notification service does, as one function: load under WATCH, not found,
ownership, the domain rule, save, in that order. The service's entrypoints call exactly one."""
import socket
import uuid
from urllib.parse import urlsplit

from services.common.auth import DEPARTMENT, UNIT
from services.common.errors import ValidationError, require_found

from . import domain, webhooks


def keep_directory(store, event):
    """Remember a unit, department, campaign or activity; an older event than the one kept is dropped."""
    kind, key, entry = domain.directory_entry(event)

    def work(tx):
        if domain.supersedes(entry, store.directory_entry_in(tx, kind, key)):
            store.save_directory_entry(tx, kind, key, entry)

    store.transact(work)


def notify(store, event, mail, now):
    """The notifications of an event not written before, each with its e-mail job and a delivery
    for each of its recipient's webhooks that takes the event; returns the notifications written."""
    directory = store.directory_for(domain.directory_refs(event["data"]))
    drafts = domain.notifications_for(event, directory, mail.committee, mail.configured, now)

    def work(tx):
        written = []
        for record, to in drafts:
            if store.notification_in(tx, record["id"]) is not None:
                continue
            store.save_new_notification(tx, record, to)
            for delivery in webhooks.deliveries_for(record, store.webhooks_of(tx, record["recipient"]), now):
                store.save_new_delivery(tx, delivery, event)
            written.append(record)
        return written

    return store.transact(work)


def inbox(store, caller, args):
    caller.require_owner(**domain.owner_of(args["recipient"]))
    return store.inbox(args["recipient"], args["unread_only"], args["limit"], args["cursor"])


def mark_read(store, caller, args, now):
    notification_id, request = args["notification_id"], requester("mark_read", caller)

    def work(tx):
        record = require_found(store.notification_in(tx, notification_id), f"通知 {notification_id} ")
        caller.require_owner(**domain.owner_of(record["recipient"]))
        # Marking read is idempotent already: a repeat gets the record as it is now.
        updated = domain.read(record, now)
        if updated is not record:
            store.save_read(tx, record, updated)
        tx.remember(request, args["request_id"], notification_id)
        return updated

    return store.transact(work)


def register_webhook(store, caller, args, settings, now):
    spec, request = args["webhook"], requester("register_webhook", caller)
    event_types = webhooks.subscribed_types(spec["recipient"], spec["event_types"])
    if not settings.allow_private:
        refuse_private_hosts(spec["url"])
    caller.require_owner(**domain.owner_of(spec["recipient"]))

    def work(tx):
        earlier = tx.remembered(request, args["request_id"])
        if earlier is not None:
            return store.webhook_in(tx, earlier)
        hook = webhooks.new_webhook(uuid.uuid4().hex, spec["recipient"], spec["url"], event_types, now)
        store.save_new_webhook(tx, hook, spec["secret"])
        tx.remember(request, args["request_id"], hook["id"])
        return hook

    return store.transact(work)


def list_webhooks(store, caller, args):
    recipient = args["recipient"]
    if recipient is None and caller.role in (UNIT, DEPARTMENT):
        recipient = caller.recipient
    caller.require_owner(**domain.owner_of(recipient or "committee"))
    return store.list_webhooks(recipient, args["limit"], args["cursor"])


def delete_webhook(store, caller, args, now):
    hook_id, request = args["webhook_id"], requester("delete_webhook", caller)

    def work(tx):
        earlier = tx.remembered(request, args["request_id"])
        hook = store.webhook_in(tx, hook_id)
        if earlier is None:
            hook = live_webhook(hook, hook_id)
        caller.require_owner(**domain.owner_of(hook["recipient"]))
        if earlier is not None:
            return hook
        deleted = webhooks.deleted(hook, now)
        store.delete_webhook(tx, deleted)
        tx.remember(request, args["request_id"], hook_id)
        return deleted

    return store.transact(work)


def list_deliveries(store, caller, args):
    hook = live_webhook(store.webhook(args["webhook_id"]), args["webhook_id"])
    caller.require_owner(**domain.owner_of(hook["recipient"]))
    return store.list_deliveries(hook["id"], args["status"], args["limit"], args["cursor"])


def redeliver(store, caller, args, now):
    delivery_id, request = args["delivery_id"], requester("redeliver", caller)

    def work(tx):
        delivery = require_found(store.delivery_in(tx, delivery_id), f"投递记录 {delivery_id} ")
        hook = live_webhook(store.webhook_in(tx, delivery["webhook_id"]), delivery["webhook_id"])
        caller.require_owner(**domain.owner_of(hook["recipient"]))
        if tx.remembered(request, args["request_id"]) is not None:
            return delivery
        updated = webhooks.rearmed(delivery, now)
        store.save_delivery(tx, updated, 0)
        tx.remember(request, args["request_id"], delivery_id)
        return updated

    return store.transact(work)


def live_webhook(hook, hook_id):
    """A webhook that exists and was not deleted, else NotFound."""
    return require_found(None if hook is None or hook.get("deleted_at") else hook, f"Webhook {hook_id} ")


def refuse_private_hosts(url):
    """WEBHOOK_ALLOW_PRIVATE=false: the host must resolve, and only to public addresses."""
    host = urlsplit(url).hostname
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError):
        raise ValidationError.field("webhook.url", "无法解析 URL 的主机名(Host does not resolve).") from None
    if any(webhooks.is_private(address) for address in addresses):
        raise ValidationError.field("webhook.url", "不允许内网或本机地址(Private addresses are not allowed).")


def requester(method, caller):
    """A `request_id` is scoped to the method and the caller (contract §3)."""
    return f"{method}:{caller.role}:{caller.recipient}"
