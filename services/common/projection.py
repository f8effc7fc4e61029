"""Projections of another service's records: the newest `seq` wins (contract §4).

Events may arrive out of order and more than once; a projection applies an event only when its
`seq` is strictly greater than the one it already holds, so a repeat of the same seq is a no-op."""
from collections.abc import Mapping

NEVER = -1  # a projection that has applied no event yet: seq 0 is still newer


def is_newer(seq, kept):
    """Whether an event at `seq` replaces `kept`: None (nothing kept), the kept seq, or the kept
    projection (a mapping whose "seq" is the seq it was built from)."""
    if kept is None:
        return True
    if isinstance(kept, Mapping):
        kept = kept.get("seq", NEVER)
    return seq > kept
