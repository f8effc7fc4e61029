"""`ops queues`' STATUS column: what needs an operator, from the counts alone."""
import pytest

from services.ops.queues import MISSING, UNKNOWN, status


@pytest.mark.parametrize("kind, ready, consumers, rate, expected", [
    ("consumer", 0, 1, 0.0, "ok"),
    ("consumer", 5, 0, 0.0, "no-consumer"),
    ("consumer", 0, 0, UNKNOWN, "no-consumer"),
    ("consumer", 40, 2, 1.5, "growing"),
    ("consumer", 40, 2, -3.0, "ok"),        # shrinking: it is catching up
    ("consumer", 40, 2, UNKNOWN, "ok"),     # passive declare: growth unknown
    ("dead-letter", 1, 0, 0.0, "dead-letters"),
    ("dead-letter", 0, 0, 0.0, "ok"),
    ("retry", 3, 0, 0.0, "ok"),             # retry queues have no consumer by design
    ("consumer", MISSING, UNKNOWN, UNKNOWN, UNKNOWN),
])
def test_status(kind, ready, consumers, rate, expected):
    assert status(kind, ready, consumers, rate) == expected
