"""Notification's keys in Redis (prefix `notification:`); reads and saves only, no rules.

    n:<id>                    a notification
    inbox:<recipient>         its newest-first index (services.common.listing)
    unread:<recipient>        the same, unread ones only
    directory:<kind>:<key>    units, departments, campaigns and activities as the bus told us
    email:<id>                an e-mail still to send: its addresses
    email:due                 sorted set of those ids, scored by when the next attempt is due
                              (epoch seconds); a claimed job is pushed ahead by a lease (jobs.py)
    webhook:<id>              a webhook, without its secret      } webhook_store.py
    webhook-secret:<id>       its secret, read only to sign       }
    webhooks:all              newest-first index of every webhook }
    webhooks:<recipient>      and of each recipient's             }
    delivery:<id>             a delivery (one event to one webhook)
    deliveries:<webhook id>[:status:<s>]  newest-first indexes of a webhook's deliveries (of
                              those with that status; new, `backfill_indexes` adds the existing ones)
    delivery:due              sorted set of deliveries to attempt, as `email:due`
    envelope:<event id>       the event body exactly as every delivery of it is posted"""
import json
import time

from services.common import listing
from services.common.store import Store

from . import domain
from .webhook_store import WebhookStore


class NotificationStore(WebhookStore, Store):
    def notification_key(self, notification_id):
        return self.key("n", notification_id)

    def directory_key(self, kind, key):
        return self.key("directory", kind, key)

    def due_key(self, queue):
        return self.key(queue, "due")

    # The directory

    def directory_entry_in(self, tx, kind, key):
        return tx.get(self.directory_key(kind, key))

    def save_directory_entry(self, tx, kind, key, entry):
        tx.put(self.directory_key(kind, key), entry)

    def directory_keys(self, refs):
        """{kind: key} of the entries `domain.directory_refs` names."""
        return {kind: self.directory_key(kind, key) for kind, key in refs.items() if key}

    @staticmethod
    def directory_in(tx, keys):
        """{kind: entry or None} for `directory_keys`, read under WATCH."""
        return {kind: tx.get(key) for kind, key in keys.items()}

    # Notifications

    def notification(self, notification_id):
        return self.load(self.notification_key(notification_id))

    def notification_in(self, tx, notification_id):
        return tx.get(self.notification_key(notification_id))

    def draft_keys(self, event):
        """The keys of the notifications `event` makes and of their recipients' webhook indexes,
        named from the event alone (its recipients follow from its type and record), so that the
        transaction's first round trip reads them and `read_for_drafts` costs none."""
        recipients = [recipient for _, recipient in domain.recipients_of(event["event_type"], event["data"])]
        return ([self.notification_key(domain.notification_id(event, recipient)) for recipient in recipients],
                [self.webhook_index(recipient) for recipient in recipients])

    def read_for_drafts(self, tx, records):
        """Watch and read the records (those not read yet) and their recipients' webhook indexes at
        once (`notification_in` and `webhooks_of` then answer from it)."""
        keys = [key for key in (self.notification_key(record["id"]) for record in records) if key not in tx.fetched]
        indexes = [self.webhook_index(recipient) for recipient in dict.fromkeys(r["recipient"] for r in records)]
        tx.read([*keys, *indexes], *([("MGET", *keys)] if keys else []), *self.webhook_reads(indexes))

    def save_new_notification(self, tx, record, to):
        tx.put(self.notification_key(record["id"]), record)
        tx.write(lambda pipe: self._index(pipe, record, to))

    def _index(self, pipe, record, to):
        listing.add(pipe, self.key("inbox", record["recipient"]), record)
        listing.add(pipe, self.key("unread", record["recipient"]), record)
        if record["email"] == domain.PENDING:
            pipe.set(self.key("email", record["id"]), json.dumps({"to": to}))
            self.schedule(pipe, "email", record["id"], 0)

    def save_read(self, tx, before, after):
        tx.put(self.notification_key(after["id"]), after)
        tx.write(lambda pipe: listing.remove(pipe, self.key("unread", before["recipient"]), before))

    def inbox(self, recipient, unread_only, limit, cursor):
        index = self.key("unread" if unread_only else "inbox", recipient)
        return listing.page(self, index, self.notification_key, limit, cursor)

    # Jobs (jobs.JobLoop): `email`, `delivery`

    def schedule(self, pipe, queue, job_id, delay):
        pipe.zadd(self.due_key(queue), {job_id: time.time() + delay})

    def unschedule(self, pipe, queue, job_id):
        pipe.zrem(self.due_key(queue), job_id)

    def claim_due_jobs(self, queue, lease_seconds, limit):
        """Ids of jobs due now, each pushed `lease_seconds` ahead."""
        due = self.due_key(queue)

        def work(tx):
            now = time.time()
            ids = tx.reader.zrangebyscore(due, "-inf", now, start=0, num=limit)
            if ids:
                tx.write(lambda pipe: pipe.zadd(due, {i: now + lease_seconds for i in ids}, xx=True))
            return ids

        return self.transact(work, due)

    def postpone_job(self, queue, job_id, seconds):
        """Hand a claimed job back, due in `seconds` (only if it is still queued)."""
        self.client.zadd(self.due_key(queue), {job_id: time.time() + seconds}, xx=True)

    def seconds_to_next_job(self, queue, default):
        first = self.client.zrange(self.due_key(queue), 0, 0, withscores=True)
        return first[0][1] - time.time() if first else default

    def pending_jobs(self, queue):
        return self.client.zcard(self.due_key(queue))

    # E-mail jobs

    def email_job(self, notification_id):
        """(notification, addresses), or None when the job is gone."""
        record, job = self.load_many([self.notification_key(notification_id), self.key("email", notification_id)])
        return None if record is None or job is None else (record, job["to"])

    def record_email_attempt(self, notification_id, outcome):
        """Apply `outcome(notification) -> (notification, seconds to the next attempt or None)`."""
        key, job_key = self.notification_key(notification_id), self.key("email", notification_id)

        def work(tx):
            record = tx.get(key)
            if record is None or tx.get(job_key) is None:
                return None
            updated, delay = outcome(record)
            tx.put(key, updated)
            if delay is None:
                tx.write(lambda pipe: (pipe.delete(job_key), self.unschedule(pipe, "email", notification_id)))
            else:
                tx.write(lambda pipe: self.schedule(pipe, "email", notification_id, delay))
            return updated

        return self.transact(work)
