"""Each thing the notification service does, as one function: load under WATCH, not found,
ownership, the domain rule, save, in that order (`Store.change` / `Store.create`). The service's
entrypoints call exactly one; a state change gets the call's `Request` (the idempotency key) from it."""
from services.common.auth import DEPARTMENT, UNIT
from services.common.errors import NotFound, ValidationError, require_found
from services.common.ids import new_id
from services.common.projection import is_newer

from . import domain, domain_webhooks
from .hosts import NotPublic, require_public


def keep_directory(store, event):
    """Remember a unit, department, campaign or activity; an event not newer than the one kept is dropped."""
    kind, key, entry = domain.directory_entry(event)

    def work(tx):
        if is_newer(entry["seq"], store.directory_entry_in(tx, kind, key)):
            store.save_directory_entry(tx, kind, key, entry)

    store.transact(work)


def notify(store, event, mail):
    """The notifications of an event not written before, each with its e-mail job and a delivery
    for each of its recipient's webhooks that takes the event; returns the notifications written
    and how many deliveries were queued."""
    directory = store.directory_keys(domain.directory_refs(event["data"]))
    records, webhook_indexes = store.draft_keys(event)

    def work(tx):
        now = store.now()
        named = store.directory_in(tx, directory)
        drafts = domain.notifications_for(event, named, mail.committee, mail.configured, now)
        # The drafts' records and their recipients' webhooks in one round trip.
        store.read_for_drafts(tx, [record for record, _ in drafts])
        new = [(record, to) for record, to in drafts if store.notification_in(tx, record["id"]) is None]
        hooks = store.webhooks_of(tx, *(record["recipient"] for record, _ in new))
        written, queued = [], 0
        for record, to in new:
            store.save_new_notification(tx, record, to)
            for delivery in domain_webhooks.deliveries_for(record, hooks[record["recipient"]], now):
                store.save_new_delivery(tx, delivery, event)
                queued += 1
            written.append(record)
        return written, queued

    # What it reads is named by the event: read with the transaction's first round trip.
    return store.transact(work, *webhook_indexes, prefetch=[*directory.values(), *records],
                          reads=store.webhook_reads(webhook_indexes))


def inbox(store, caller, args):
    caller.require_owner(**domain.owner_of(args["recipient"]))
    return store.inbox(args["recipient"], args["unread_only"], args["limit"], args["cursor"])


def mark_read(store, caller, args, request):
    notification_id = args["notification_id"]
    return store.change(
        store.notification_key(notification_id), f"通知 {notification_id} ",
        lambda tx, record, now: (domain.read(record, now), None),
        owner=lambda record: caller.require_owner(**domain.owner_of(record["recipient"])),
        save=lambda tx, record, before: store.save_read(tx, before, record), request=request)


def register_webhook(store, caller, args, request, settings):
    spec = args["webhook"]
    event_types = domain_webhooks.subscribed_types(spec["recipient"], spec["event_types"])
    if not settings.allow_private:
        refuse_private_hosts(spec["url"])
    caller.require_owner(**domain.owner_of(spec["recipient"]))

    def make(tx, now):
        return domain_webhooks.new_webhook(new_id("webhook"), spec["recipient"], spec["url"], event_types, now), None

    return store.create(store.webhook_key, make, request=request,
                        save=lambda tx, hook, before: store.save_new_webhook(tx, hook, spec["secret"]))


def list_webhooks(store, caller, args):
    recipient = args["recipient"]
    if recipient is None and caller.role in (UNIT, DEPARTMENT):
        recipient = caller.recipient
    caller.require_owner(**domain.owner_of(recipient or "committee"))
    return store.list_webhooks(recipient, args["limit"], args["cursor"])


def delete_webhook(store, caller, args, request):
    """A repeat of the delete (same request_id) finds the deleted webhook; anything else does not."""
    hook_id = args["webhook_id"]

    def delete(tx, hook, now):
        live_webhook(hook, hook_id)
        return domain_webhooks.deleted(hook, now), None

    return store.change(store.webhook_key(hook_id), f"Webhook {hook_id} ", delete,
                        owner=lambda hook: caller.require_owner(**domain.owner_of(hook["recipient"])),
                        save=lambda tx, hook, before: store.delete_webhook(tx, hook), request=request)


def list_deliveries(store, caller, args):
    hook = live_webhook(store.webhook(args["webhook_id"]), args["webhook_id"])
    caller.require_owner(**domain.owner_of(hook["recipient"]))
    return store.list_deliveries(hook["id"], args["status"], args["limit"], args["cursor"])


def redeliver(store, caller, args, request):
    def owner(delivery):
        # A webhook's recipient never changes: read outside the transaction.
        hook = live_webhook(store.webhook(delivery["webhook_id"]), delivery["webhook_id"])
        caller.require_owner(**domain.owner_of(hook["recipient"]))

    delivery_id = args["delivery_id"]
    return store.change(store.delivery_key(delivery_id), f"投递记录 {delivery_id} ",
                        lambda tx, delivery, now: (domain_webhooks.rearmed(delivery, now), None), owner=owner,
                        save=lambda tx, delivery, before: store.save_delivery(tx, delivery, before, 0), request=request)


def live_webhook(hook, hook_id):
    """A webhook that exists and was not deleted, else NotFound."""
    if hook is not None and hook.get("deleted_at"):
        raise NotFound(f"Webhook {hook_id} 已删除(Deleted).")
    return require_found(hook, f"Webhook {hook_id} ")


def refuse_private_hosts(url):
    """WEBHOOK_ALLOW_PRIVATE=false: the host must resolve, and only to public addresses."""
    try:
        require_public(url)
    except NotPublic as refusal:
        raise ValidationError.field("webhook.url", str(refusal)) from None