"""The Redis client's own connection class: a transaction goes out in one write."""
import redis

from services.common.redis_ha import redis_client


def test_a_transaction_larger_than_redis_pys_write_buffer_is_sent_with_one_write():
    connection = redis_client({"REDIS_URL": "redis://127.0.0.1:6379/0"}).connection_pool.make_connection()
    commands = [("MULTI",), ("SET", "a", "x" * 20_000), ("SET", "b", "y"), ("EXEC",)]
    assert len(redis.Connection().pack_commands(commands)) > 1  # what redis-py alone would send
    (written,) = connection.pack_commands(commands)
    assert written == b"".join(redis.Connection().pack_commands(commands))


def test_the_urls_scheme_still_picks_the_kind_of_connection():
    pool = redis_client({"REDIS_URL": "unix:///run/redis.sock?db=3"}).connection_pool
    assert issubclass(pool.connection_class, redis.UnixDomainSocketConnection)
    assert pool.connection_kwargs["path"] == "/run/redis.sock"
