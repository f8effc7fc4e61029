"""Notification's keys in Redis (prefix `notification:`).

    n:<id>                    a notification
    inbox:<recipient>         its newest-first index (services.common.listing)
    unread:<recipient>        the same, unread ones only
    directory:<kind>:<key>    units, departments, campaigns and activities as the bus told us
    email:<id>                an e-mail still to send: its addresses
    email:due                 sorted set of those ids, scored by when the next attempt is due
                              (epoch seconds); a claimed job is pushed ahead by a lease"""
import json
import time

from services.common import listing
from services.common.store import Store

from . import domain


class NotificationStore(Store):
    def notification_key(self, notification_id):
        return self.key("n", notification_id)

    def directory_key(self, kind, key):
        return self.key("directory", kind, key)

    def keep_in_directory(self, kind, key, entry):
        record_key = self.directory_key(kind, key)

        def work(tx):
            if domain.supersedes(entry, tx.get(record_key)):
                tx.put(record_key, entry)

        self.transact(work)

    def directory_for(self, refs):
        """{kind: entry or None} for `domain.directory_refs`."""
        kinds = [kind for kind, key in refs.items() if key]
        entries = self.load_many([self.directory_key(kind, refs[kind]) for kind in kinds])
        return {kind: entry for kind, entry in zip(kinds, entries)}

    def add_notifications(self, drafts):
        """Write `(notification, addresses)` pairs not written before; returns those written."""
        def work(tx):
            written = []
            for record, to in drafts:
                key = self.notification_key(record["id"])
                if tx.get(key) is not None:
                    continue
                tx.put(key, record)
                tx.write(lambda pipe, record=record, to=to: self._index(pipe, record, to))
                written.append(record)
            return written

        return self.transact(work)

    def _index(self, pipe, record, to):
        listing.add(pipe, self.key("inbox", record["recipient"]), record)
        listing.add(pipe, self.key("unread", record["recipient"]), record)
        if record["email"] == domain.PENDING:
            pipe.set(self.key("email", record["id"]), json.dumps({"to": to}))
            pipe.zadd(self.key("email", "due"), {record["id"]: time.time()})

    def notification(self, notification_id):
        return self.load(self.notification_key(notification_id))

    def inbox(self, recipient, unread_only, limit, cursor):
        index = self.key("unread" if unread_only else "inbox", recipient)
        return listing.page(self, index, self.notification_key, limit, cursor)

    def mark_read(self, notification_id, now):
        key = self.notification_key(notification_id)

        def work(tx):
            record = tx.get(key)
            updated = domain.read(record, now)
            if updated is not record:
                tx.put(key, updated)
                tx.write(lambda pipe: listing.remove(pipe, self.key("unread", record["recipient"]), record))
            return updated

        return self.transact(work)

    def claim_due_emails(self, lease_seconds, limit):
        """Ids of e-mails due now, each pushed `lease_seconds` ahead so that no other loop takes it
        meanwhile and a process that dies mid-send leaves it to be tried again."""
        due = self.key("email", "due")

        def work(tx):
            now = time.time()
            ids = tx.reader.zrangebyscore(due, "-inf", now, start=0, num=limit)
            if ids:
                tx.write(lambda pipe: pipe.zadd(due, {i: now + lease_seconds for i in ids}, xx=True))
            return ids

        return self.transact(work, due)

    def email_job(self, notification_id):
        """(notification, addresses), or None when the job is gone."""
        record, job = self.load_many([self.notification_key(notification_id), self.key("email", notification_id)])
        return None if record is None or job is None else (record, job["to"])

    def record_email_attempt(self, notification_id, outcome):
        """Apply `outcome(notification) -> (notification, seconds to the next attempt or None)`."""
        key, job_key = self.notification_key(notification_id), self.key("email", notification_id)
        due = self.key("email", "due")

        def work(tx):
            record = tx.get(key)
            if record is None or tx.get(job_key) is None:
                return None
            updated, delay = outcome(record)
            tx.put(key, updated)
            if delay is None:
                tx.write(lambda pipe: (pipe.delete(job_key), pipe.zrem(due, notification_id)))
            else:
                tx.write(lambda pipe: pipe.zadd(due, {notification_id: time.time() + delay}))
            return updated

        return self.transact(work)

    def seconds_to_next_email(self, default):
        first = self.client.zrange(self.key("email", "due"), 0, 0, withscores=True)
        return first[0][1] - time.time() if first else default

    def pending_emails(self):
        return self.client.zcard(self.key("email", "due"))
