"""How the ops commands reach RabbitMQ: AMQP for messages, the management API for queue counts."""
import os
from urllib.parse import quote

import requests
from kombu import Connection
from amqp.exceptions import NotFound

DEFAULT_API_URI = "http://guest:guest@127.0.0.1:15672"
API_TIMEOUT = 3


class OpsError(Exception):
    """A failure to report to the operator in one line (exit status 1)."""


class Broker:
    def __init__(self, amqp_uri, api_uri=None):
        self.amqp_uri = amqp_uri
        self.api_uri = (api_uri or os.environ.get("RABBIT_API_URI") or DEFAULT_API_URI).rstrip("/")
        self.vhost = Connection(amqp_uri).virtual_host or "/"

    def connect(self):
        connection = Connection(self.amqp_uri, connect_timeout=5)
        try:
            connection.connect()
        except OSError as exc:
            host = self.amqp_uri.split("@")[-1]
            raise OpsError(f"无法连接 RabbitMQ(RabbitMQ unreachable) at {host}: {exc}") from None
        return connection

    def management_counts(self):
        """{queue: (ready, unacked, consumers, ready_rate)} for the vhost, or None when the API does
        not answer; `ready_rate` is how fast READY changed (messages/s, > 0: growing).

        The API's counts are sampled by the broker (every 5 s by default), so they may lag."""
        url = f"{self.api_uri}/api/queues/{quote(self.vhost, safe='')}"
        columns = "name,messages_ready,messages_unacknowledged,consumers,messages_ready_details"
        try:
            response = requests.get(url, params={"columns": columns}, timeout=API_TIMEOUT)
            response.raise_for_status()
        except requests.RequestException:
            return None
        return {queue["name"]: (queue.get("messages_ready", 0), queue.get("messages_unacknowledged", 0),
                                queue.get("consumers", 0), (queue.get("messages_ready_details") or {}).get("rate", 0))
                for queue in response.json()}

    def declared_counts(self, connection, name):
        """(ready, consumers) by a passive declare, or None when the queue does not exist."""
        channel = connection.channel()
        try:
            _, ready, consumers = channel.queue_declare(name, passive=True)
        except NotFound:
            return None  # the broker closed this channel; the next queue gets a fresh one
        channel.close()
        return ready, consumers
