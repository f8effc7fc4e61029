"""A worker's ack or requeue on a connection that is gone (a broker node lost) is let go with a
warning, as the broker redelivers the message: nameko would let the socket's error out of the
worker, and that kills the whole container."""
import pytest

from services.common.steady_consumer import SteadyQueueConsumer


class OnAConnectionGone:
    delivery_info = {"routing_key": "probe.make_thing"}

    class channel:  # nameko settles a message only while its channel has a connection
        connection = object()

    def ack(self):
        raise BrokenPipeError(32, "Broken pipe")

    def requeue(self):
        raise ConnectionResetError(104, "Connection reset by peer")


@pytest.mark.parametrize("settle", ["ack_message", "requeue_message"])
def test_a_message_whose_connection_is_gone_is_let_go_with_a_warning(settle, caplog):
    getattr(SteadyQueueConsumer(), settle)(OnAConnectionGone())
    assert "probe.make_thing message not settled" in caplog.text and "its connection is gone" in caplog.text
