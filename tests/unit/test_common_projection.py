"""Newest seq wins: strictly greater, one copy for every projection."""
import pytest

from services.common.projection import is_newer


@pytest.mark.parametrize("seq,kept,expected", [
    (0, None, True), (1, None, True),
    (3, 2, True), (2, 2, False), (1, 2, False),
    (3, {"seq": 2}, True), (2, {"seq": 2}, False), (1, {"seq": 2}, False),
    (0, {"id": "x"}, True),
])
def test_an_event_applies_only_when_its_seq_is_strictly_newer(seq, kept, expected):
    assert is_newer(seq, kept) is expected
