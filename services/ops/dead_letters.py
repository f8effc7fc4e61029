"""`dead-letters`: the events a service gave up on, read without consuming them, replayed or dropped.

The command acts as the consuming service's own broker user (contract §6): a replay is published
into `<service>.redeliver` with that user's `user_id` and the letter's `x-first-publisher`, which the
service vouched for when it first checked the event, so the consumer trusts it again. A letter
marked `untrusted publisher` has no such voucher and is never replayed.

Reading takes every message with basic.get and never acks it: basic.recover then puts each one back
in its place before the command ends. A replayed or dropped message is acked, and a replayed one only
after the broker confirmed its copy in the original queue; a crash in between leaves the event in
both queues, which the idempotent consumer absorbs."""
import json
from contextlib import contextmanager
from datetime import datetime, timezone

from amqp.exceptions import NotFound
from kombu import Queue
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.constants import PERSISTENT

from services.common import amqp_names
from services.common.amqp_names import (ATTEMPTS, DEAD_LETTERED_AT, ERROR, EVENT_TYPE, FIRST_PUBLISHER, ORIGINAL_QUEUE,
                                        REPLAYED_AT)
from services.common.broker_users import UNTRUSTED, login

from .broker import OpsError
from .output import table


class DeadLetter:
    def __init__(self, position, message):
        self.position = position
        self.message = message
        self.headers = message.headers or {}
        try:
            body = json.loads(message.body)
        except ValueError:
            body = None
        self.envelope = body if isinstance(body, dict) else None

    def field(self, name):
        return (self.envelope or {}).get(name)

    @property
    def event_id(self):
        return self.field("event_id")

    @property
    def event_type(self):
        return self.field("event_type") or self.headers.get(EVENT_TYPE)

    @property
    def original_queue(self):
        return self.headers.get(ORIGINAL_QUEUE)

    def row(self):
        return (self.position, self.event_id or "-", self.event_type or "-", self.headers.get(ATTEMPTS, "-"),
                self.headers.get(DEAD_LETTERED_AT, "-"), self.headers.get(ERROR, "-"))

    def text(self):
        if self.envelope is not None:
            return json.dumps(self.envelope, ensure_ascii=False, indent=2)
        return self.message.body.decode("utf-8", errors="replace")


class DeadLetterQueue:
    def __init__(self, broker, service):
        self.broker = broker
        self.name = amqp_names.dead_letter_queue(service).name
        self.redeliver = amqp_names.redeliver_exchange(service)

    @contextmanager
    def held(self, limit=None):
        """The queue's messages, oldest first, held unacked until the block ends.

        Only those there when it began, so a run ends even while a service keeps dead-lettering."""
        with self.broker.connect() as connection:
            channel = connection.channel()
            try:
                _, total, _ = channel.queue_declare(self.name, passive=True)
            except NotFound:
                raise OpsError(f"没有这个死信队列(No such dead-letter queue): {self.name}") from None
            queue = Queue(self.name, channel=channel, no_declare=True)
            limit = total if limit is None else min(limit, total)
            letters = []
            while len(letters) < limit:
                message = queue.get(no_ack=False)
                if message is None:
                    break
                letters.append(DeadLetter(len(letters) + 1, message))
            try:
                yield total, letters
            finally:
                # Put back what was not acked before answering: the requeue that closing the
                # connection would do is asynchronous, and the next command could miss messages.
                channel.basic_recover(requeue=True)

    def choose(self, letters, event_id):
        if event_id is None:
            return letters
        chosen = [letter for letter in letters if letter.event_id == event_id]
        if not chosen:
            raise OpsError(f"{self.name} 中没有该事件(No such event in the dead-letter queue): {event_id}")
        return chosen

    def empty(self):
        return f"({self.name} is empty)"

    def list(self, limit):
        with self.held(limit) as (total, letters):
            rows = [letter.row() for letter in letters]
        summary = f"({len(rows)} of {total} messages in {self.name})"
        if not rows:
            return summary
        headers = ("#", "EVENT_ID", "EVENT_TYPE", "ATTEMPTS", "DEAD_LETTERED_AT", "ERROR")
        return f"{table(headers, rows)}\n{summary}"

    def show(self, event_id):
        with self.held() as (_, letters):
            return self.choose(letters, event_id)[0].text()

    def drop(self, event_id):
        with self.held() as (_, letters):
            chosen = self.choose(letters, event_id)
            for letter in chosen:
                letter.message.ack()
        return [f"dropped {letter.event_id or '-'}" for letter in chosen] or [self.empty()]

    def replay(self, event_id):
        publisher = Publisher(self.broker.amqp_uri, use_confirms=True, mandatory=True,
                              delivery_mode=PERSISTENT, user_id=login(self.broker.amqp_uri))
        lines, all_replayed = [], True
        with self.held() as (_, letters):
            for letter in self.choose(letters, event_id):
                problem = self._replay_one(publisher, letter)
                if problem:
                    all_replayed = False
                    lines.append(f"kept {letter.event_id or '-'}: {problem}")
                else:
                    lines.append(f"replayed {letter.event_id or '-'} -> {letter.original_queue}")
        return lines or [self.empty()], all_replayed

    def _replay_one(self, publisher, letter):
        queue = letter.original_queue
        if not queue:
            return f"no {ORIGINAL_QUEUE} header"
        first_publisher = letter.headers.get(FIRST_PUBLISHER)
        if str(letter.headers.get(ERROR, "")).startswith(UNTRUSTED):
            return f"{UNTRUSTED}: never replayed"
        if not first_publisher:
            return f"no {FIRST_PUBLISHER} header"
        # A fresh start: the consumer counts its retries from this header.
        headers = {ATTEMPTS: 0, ORIGINAL_QUEUE: queue, FIRST_PUBLISHER: first_publisher,
                   REPLAYED_AT: datetime.now(timezone.utc).isoformat()}
        try:
            # The consumer queue's binding on `<service>.redeliver` is `*.<queue>`.
            publisher.publish(letter.message.body, exchange=self.redeliver, routing_key=f"replay.{queue}",
                              headers=headers,
                              content_type=letter.message.content_type,
                              content_encoding=letter.message.content_encoding)
        except UndeliverableMessage:
            return f"queue {queue} does not exist (declare the topology first)"
        except Exception as exc:  # whatever went wrong, the event stays in the dead-letter queue
            return f"not confirmed by the broker ({type(exc).__name__})"
        letter.message.ack()
        return None
