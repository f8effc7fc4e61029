"""The webhook half of NotificationStore (its keys are listed in store.py): webhooks, their
secrets kept apart from them, deliveries and the envelopes they post."""
import json
from functools import partial

from services.common import listing

from .domain_webhooks import DELIVERY_STATUSES


class WebhookStore:
    def webhook_key(self, webhook_id):
        return self.key("webhook", webhook_id)

    def secret_key(self, webhook_id):
        return self.key("webhook-secret", webhook_id)

    def webhook_index(self, recipient=None):
        return self.key("webhooks", recipient or "all")

    def delivery_key(self, delivery_id):
        return self.key("delivery", delivery_id)

    def deliveries_index(self, webhook_id, *filters):
        return self.key("deliveries", webhook_id, *filters)

    def delivery_indexes(self, delivery):
        return listing.indexes(partial(self.deliveries_index, delivery["webhook_id"]), delivery_filters(delivery))

    def every_deliveries_index(self, webhook_id):
        return {index for status in DELIVERY_STATUSES
                for index in self.delivery_indexes({"webhook_id": webhook_id, "status": status})}

    def envelope_key(self, event_id):
        return self.key("envelope", event_id)

    # Webhooks

    def webhook(self, webhook_id):
        return self.load(self.webhook_key(webhook_id))

    def webhook_in(self, tx, webhook_id):
        return tx.get(self.webhook_key(webhook_id))

    @staticmethod
    def webhook_reads(indexes):
        return [("ZRANGE", index, 0, -1) for index in indexes]

    def webhooks_of(self, tx, *recipients):
        """{recipient: its live webhooks}, read under WATCH (a registration meanwhile retries the
        caller): the recipients' indexes in one round trip, their webhooks (if any) in one more."""
        recipients = list(dict.fromkeys(recipients))
        indexes = [self.webhook_index(recipient) for recipient in recipients]
        members = tx.read(indexes, *self.webhook_reads(indexes))
        keys = {recipient: [self.webhook_key(listing.record_id(m)) for m in found]
                for recipient, found in zip(recipients, members)}
        tx.prefetch(*(key for found in keys.values() for key in found))
        return {recipient: [hook for hook in map(tx.get, found) if hook is not None and not hook.get("deleted_at")]
                for recipient, found in keys.items()}

    def save_new_webhook(self, tx, webhook, secret):
        tx.put(self.webhook_key(webhook["id"]), webhook)

        def index(pipe):
            pipe.set(self.secret_key(webhook["id"]), secret)
            listing.add(pipe, self.webhook_index(), webhook)
            listing.add(pipe, self.webhook_index(webhook["recipient"]), webhook)

        tx.write(index)

    def delete_webhook(self, tx, webhook):
        """Keep the deleted record; drop its secret, its indexes and its delivery log. Jobs still
        queued find the secret gone and end."""
        hook_id = webhook["id"]
        deliveries = [self.delivery_key(listing.record_id(m))
                      for m in tx.reader.zrange(self.deliveries_index(hook_id), 0, -1)]
        tx.put(self.webhook_key(hook_id), webhook)

        def remove(pipe):
            pipe.delete(self.secret_key(hook_id), *self.every_deliveries_index(hook_id), *deliveries)
            listing.remove(pipe, self.webhook_index(), webhook)
            listing.remove(pipe, self.webhook_index(webhook["recipient"]), webhook)

        tx.write(remove)

    def list_webhooks(self, recipient, limit, cursor):
        return listing.page(self, self.webhook_index(recipient), self.webhook_key, limit, cursor)

    # Deliveries

    def delivery(self, delivery_id):
        return self.load(self.delivery_key(delivery_id))

    def delivery_in(self, tx, delivery_id):
        return tx.get(self.delivery_key(delivery_id))

    def save_new_delivery(self, tx, delivery, envelope):
        tx.put(self.delivery_key(delivery["id"]), delivery)

        def index(pipe):
            # The exact bytes every attempt posts and signs: a redelivery is byte for byte the same.
            pipe.set(self.envelope_key(delivery["event_id"]), json.dumps(envelope, ensure_ascii=False), nx=True)
            listing.move(pipe, (), self.delivery_indexes(delivery), delivery)
            self.schedule(pipe, "delivery", delivery["id"], 0)

        tx.write(index)

    def save_delivery(self, tx, delivery, before, delay):
        """Save a delivery changed from `before`, moved between its status indexes, and queue its
        next attempt in `delay` seconds (None: no further attempt)."""
        tx.put(self.delivery_key(delivery["id"]), delivery)
        tx.write(lambda pipe: listing.move(pipe, self.delivery_indexes(before), self.delivery_indexes(delivery),
                                           delivery))
        if delay is None:
            tx.write(lambda pipe: self.unschedule(pipe, "delivery", delivery["id"]))
        else:
            tx.write(lambda pipe: self.schedule(pipe, "delivery", delivery["id"], delay))

    def list_deliveries(self, webhook_id, status, limit, cursor):
        index = listing.filtered(partial(self.deliveries_index, webhook_id), {"status": status})
        return listing.page(self, index, self.delivery_key, limit, cursor)

    def backfill_indexes(self):
        """Add existing deliveries to the index of their status (once at deployment; safe to
        repeat, also `python -m services.ops backfill-indexes`)."""
        return {"deliveries": listing.backfill(self.client, self.delivery_key("*"), self.delivery_indexes)}

    def delivery_job(self, delivery_id):
        """(delivery, url, secret, body bytes) for one attempt, or None when it or its webhook is gone."""
        delivery = self.delivery(delivery_id)
        if delivery is None:
            return None
        hook_id = delivery["webhook_id"]
        hook, secret, body = self.client.mget([self.webhook_key(hook_id), self.secret_key(hook_id),
                                               self.envelope_key(delivery["event_id"])])
        if hook is None or secret is None or body is None:
            return None
        return delivery, self.decode(hook)["url"], secret, body.encode()

    def drop_delivery_job(self, delivery_id):
        self.client.zrem(self.due_key("delivery"), delivery_id)

    def record_delivery_attempt(self, delivery_id, outcome):
        """Apply `outcome(delivery) -> (delivery, seconds to the next attempt or None)`; None when gone."""
        def work(tx):
            delivery = self.delivery_in(tx, delivery_id)
            hook = None if delivery is None else self.webhook_in(tx, delivery["webhook_id"])
            if hook is None or hook.get("deleted_at"):
                tx.write(lambda pipe: self.unschedule(pipe, "delivery", delivery_id))
                return None
            updated, delay = outcome(delivery)
            self.save_delivery(tx, updated, delivery, delay)
            return updated

        return self.transact(work)


def delivery_filters(delivery):
    """The filter `list_deliveries` accepts besides its webhook (contract §8)."""
    return {"status": delivery["status"]}
