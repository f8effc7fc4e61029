"""The Redis client of every process: one server (`REDIS_URL`), or the primary that Redis Sentinel
names when `REDIS_SENTINELS` ("host:port,host:port,...") and `REDIS_SENTINEL_SERVICE` are set.

Under Sentinel, REDIS_URL still gives the user, password and database; its host is ignored. A
failover closes the connections to the old primary and the next command asks the sentinels again.

Acknowledged writes: every MULTI/EXEC (the transaction core, the deadline claims) is followed on
the same connection by `WAIT <REDIS_WAIT_REPLICAS> <REDIS_WAIT_TIMEOUT_MS>` (defaults: 1 replica
and 1000 ms under Sentinel, none for a single server). If no replica has the write by then the
call fails (`NotReplicated`): the caller is never told a write succeeded that a failover could
still lose, and its retry with the same request id finds the write if it was kept. A primary with
no replica connected at all (its replica lost, or just promoted) goes on alone: no replica can
then be promoted in its place with newer data; its writes are on its own disk (appendfsync always)
and reach the replica when one (re)connects. The bound: what a primary acknowledged while alone is
lost only if it dies before a replica resyncs and Sentinel still promotes a replica that was cut
off (it refuses one cut off longer than ten times down-after-milliseconds). Writes outside
a transaction (a remembered reply, the outbox's bookkeeping) can be lost in a failover; they are
rebuilt or repeated idempotently."""
import redis
from redis.client import Pipeline
from redis.connection import parse_url
from redis.exceptions import RedisError, ResponseError, WatchError
from redis.sentinel import Sentinel, SentinelManagedConnection

from .settings import number, require_setting

# Short timeouts: a stopped Redis must show in /health within seconds, not hang a worker.
TIMEOUTS = {"socket_connect_timeout": 2, "socket_timeout": 3}


class NotReplicated(RedisError):
    """A transaction committed on the primary but no replica confirmed it in time. Not a
    ConnectionError: redis-py would retry those, and EXEC must never run twice."""


class AcknowledgedPipeline(Pipeline):
    replicas = 0
    timeout_ms = 0

    def round_trip(self, *commands):
        """Commands before MULTI (WATCH, then reads), each a tuple `(name, *args)`, sent together on
        the transaction's connection: one round trip where `watch()` then `get()` are two. Their
        replies, in order. A connection lost while watching raises WatchError, as redis-py does for
        one command (the transaction starts again); before that, the client's retry policy applies."""
        was_watching = self.watching
        conn = self.connection = self.connection or self.connection_pool.get_connection()

        def send():
            # No health check while watching: a reconnection there would drop the WATCH unnoticed.
            conn.send_packed_command(conn.pack_commands(commands), check_health=not was_watching)
            try:
                return [self._reply(conn, command[0]) for command in commands]
            except BaseException:
                conn.disconnect()  # replies left unread would answer the next command
                raise

        def failed(error):
            conn.disconnect()
            if was_watching:
                self.reset()
                raise WatchError(f"A {type(error).__name__} occurred while watching one or more keys")
            self.watching = False  # what this round trip watched went with the connection

        replies = conn.retry.call_with_retry(send, failed)
        # Every reply is read before raising, so the connection stays in step.
        error = next((reply for reply in replies if isinstance(reply, ResponseError)), None)
        if error is not None:
            raise error
        return replies

    def _reply(self, conn, command_name):
        try:
            return self.parse_response(conn, command_name)
        except ResponseError as error:
            return error

    def _execute_transaction(self, connection, commands, raise_on_error):
        result = super()._execute_transaction(connection, commands, raise_on_error)
        # Asked first: WAIT on a primary with no replica would block for the whole timeout.
        if self.replicas and connected_replicas(connection):
            connection.send_command("WAIT", self.replicas, self.timeout_ms)
            confirmed = connection.read_response()
            if confirmed < self.replicas:
                raise NotReplicated(f"{confirmed} of {self.replicas} replicas in {self.timeout_ms} ms")
        return result


def connected_replicas(connection):
    """How many replicas the primary has now (ROLE: ["master", offset, [[ip, port, offset], ...]])."""
    connection.send_command("ROLE")
    return len(connection.read_response()[2])


def acknowledged_client(replicas, timeout_ms):
    """A redis.Redis class whose transactions wait for `replicas` replicas."""
    pipeline_cls = type("Pipeline", (AcknowledgedPipeline,), {"replicas": replicas, "timeout_ms": timeout_ms})

    class Client(redis.Redis):
        def pipeline(self, transaction=True, shard_hint=None):
            return pipeline_cls(self.connection_pool, self.response_callbacks, transaction, shard_hint)
    return Client


class OneWrite:
    """Each command or pipeline sent with one write: redis-py cuts one above 6 KB (a transaction
    with its records) into several, each a system call that wakes Redis."""

    def pack_commands(self, commands):
        return [b"".join(super().pack_commands(commands))]


def one_write(connection_cls):
    return type(connection_cls.__name__, (OneWrite, connection_cls), {})


def sentinel_addresses(text):
    return [(host, int(port)) for host, port in (item.strip().rsplit(":", 1) for item in text.split(",") if item)]


def redis_client(config):
    url = require_setting(config, "REDIS_URL")
    options = {"decode_responses": True, "health_check_interval": 5, "retry_on_timeout": False, **TIMEOUTS}
    sentinels = config.get("REDIS_SENTINELS")
    replicas = int(number(config, "REDIS_WAIT_REPLICAS", 1 if sentinels else 0))
    client_cls = acknowledged_client(replicas, int(number(config, "REDIS_WAIT_TIMEOUT_MS", 1000)))
    parsed = parse_url(url)
    if not sentinels:
        # The URL's scheme picks the connection class (TCP, TLS, a Unix socket): kept, one write added.
        return client_cls.from_url(url, connection_class=one_write(parsed.get("connection_class", redis.Connection)),
                                   **options)
    credentials = {key: value for key, value in parsed.items() if key in ("username", "password", "db")}
    sentinel = Sentinel(sentinel_addresses(sentinels), sentinel_kwargs=dict(TIMEOUTS), **credentials, **options)
    return sentinel.master_for(require_setting(config, "REDIS_SENTINEL_SERVICE"), redis_class=client_cls,
                               connection_class=one_write(SentinelManagedConnection))
