"""Fixtures of the notification service tests: the service, the bus as the other services publish
on it, inboxes, a real SMTP server (aiosmtpd) and a real HTTP receiver for webhooks."""
import asyncio

import pytest
from aiosmtpd.controller import Controller

from services.notification.domain import DIRECTORY
from services.notification.service import NotificationService
from tests.helpers import free_port, publish_envelope, wait_until
from tests.service.notification import events as s
from tests.service.notification.receiver import Receiver

SENDER = "leifeng-noreply@ministry.example"
COMMITTEE = ["party-committee@ministry.example", "secretary@ministry.example"]
SLOW_SECONDS = 3
FAST_WEBHOOK_RETRIES = [0.1, 0.2, 0.3, 0.4, 0.5]


@pytest.fixture
def settings():
    """Settings of the service under test; a test overrides them with `parametrize("settings", ...)`."""
    return {}


@pytest.fixture
def service(start_service, settings):
    return start_service(NotificationService, **{"WEBHOOK_RETRY_DELAYS": FAST_WEBHOOK_RETRIES, **settings})


@pytest.fixture
def publish(service_config):
    """Publish as the owning service would; returns the envelope (to publish it again)."""
    def send(event_type, data, subject=None, seq=1):
        event = s.envelope(event_type, data, subject, seq)
        publish_envelope(service_config["AMQP_URI"], event)
        return event
    return send


@pytest.fixture
def bus(publish, redis_client):
    """`publish`, and for a directory event wait until the directory has an entry for its subject."""
    def send(event_type, data, **kwargs):
        event = publish(event_type, data, **kwargs)
        if event_type in DIRECTORY:
            kind, key_field, _ = DIRECTORY[event_type]
            key = f"notification:directory:{kind}:{data[key_field]}"
            wait_until(lambda: redis_client.exists(key), message=key)
        return event
    return send


@pytest.fixture
def known(bus):
    """A campaign, a unit and a department the directory has heard of."""
    bus("campaign_created", s.campaign("c1"))
    bus("unit_registered", s.unit("U001", "民政部办公厅"))
    bus("department_registered", s.department("elderly-care", "养老服务司"))


@pytest.fixture
def inbox(rpc):
    """`inbox(recipient, **list_inbox arguments)`: the items, read as the committee."""
    proxy = rpc()
    return lambda recipient, **kwargs: proxy.notification.list_inbox(recipient, **kwargs)["items"]


@pytest.fixture
def wait_for_inbox(inbox):
    def wait(recipient, count=1, timeout=10, **kwargs):
        def enough():
            items = inbox(recipient, **kwargs)
            return items if len(items) >= count else None
        return wait_until(enough, timeout=timeout, message=f"{count} notification(s) for {recipient}")
    return wait


class Mailbox:
    """An aiosmtpd handler keeping every accepted mail; some addresses are slow or refused."""

    def __init__(self):
        self.mails = []
        self.slow = set()
        self.refused = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 mailbox unavailable"
        if address in self.slow:
            await asyncio.sleep(SLOW_SECONDS)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.mails.append({"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
                           "raw": envelope.original_content})
        return "250 OK"

    def to(self, address):
        return [mail for mail in self.mails if address in mail["rcpt_tos"]]


@pytest.fixture
def smtp():
    """`smtp.start()` runs the server on `smtp.port` (chosen up front, so it can start late)."""
    class Server:
        port = free_port()
        mailbox = Mailbox()
        controller = None

        def start(self):
            self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
            self.controller.start()
            return self.mailbox

    server = Server()
    yield server
    if server.controller is not None:
        server.controller.stop()


@pytest.fixture
def start_notification(start_service, smtp):
    def start(**overrides):
        settings = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port, "SMTP_FROM": SENDER, "SMTP_TIMEOUT": 2,
                    "COMMITTEE_EMAILS": ", ".join(COMMITTEE)}
        return start_service(NotificationService, **{**settings, **overrides})
    return start


@pytest.fixture
def receiver():
    with Receiver.running() as server:
        yield server
