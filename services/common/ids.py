"""Record ids: the one maker (`new_id`), every shape ever issued (`ID_PATTERNS`), and the one
canonical JSON digest (`digest`) for ids derived from a fact and for request fingerprints.

Ids are opaque to callers (contract §1) but their shapes are checked before any Redis key is built,
so a check must accept every shape the server has issued for a kind, or stored records become
unreachable. Shapes issued so far (from the code history):

| kind | issued now | issued before |
|---|---|---|
| campaign | `c` + 16 hex | - |
| pairing | `p` + 16 hex | - |
| activity | 32 hex (uuid4) | - |
| summary | `s` + 16 hex | `S` + 7 or more digits (a Redis counter, `summary:ids:summary`) |
| issue | `i` + 16 hex | `I` + 7 or more digits (a Redis counter, `summary:ids:issue`) |
| notification | 24 hex, derived from its fact (`digest`) | 24 hex derived from `<event_id>\\|<recipient>` |
| webhook, delivery | `w` / `d` + 16 hex | - |
"""
import hashlib
import json
import re
import uuid
from datetime import date, datetime

# kind -> (prefix, hex digits) of the ids issued now.
SHAPES = {
    "campaign": ("c", 16),
    "pairing": ("p", 16),
    "activity": ("", 32),
    "summary": ("s", 16),
    "issue": ("i", 16),
    "notification": ("", 24),
    "webhook": ("w", 16),
    "delivery": ("d", 16),
}
# Shapes no longer issued but still stored.
EARLIER = {
    "summary": [r"S[0-9]{7,12}"],
    "issue": [r"I[0-9]{7,12}"],
}


def _pattern(kind):
    prefix, digits = SHAPES[kind]
    shapes = [f"{re.escape(prefix)}[0-9a-f]{{{digits}}}", *EARLIER.get(kind, [])]
    return re.compile("(?:" + "|".join(shapes) + ")")


# Match with `fullmatch`: a pattern matches the whole value (contract §1 v2), ASCII only.
ID_PATTERNS = {kind: _pattern(kind) for kind in SHAPES}


def new_id(kind):
    """A fresh id of `kind` (random: no counter, no Redis round trip, safe to retry)."""
    prefix, digits = SHAPES[kind]
    return prefix + uuid.uuid4().hex[:digits]


def is_id(kind, value):
    return isinstance(value, str) and ID_PATTERNS[kind].fullmatch(value) is not None


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=canonical_json)
    raise TypeError(f"{type(value).__name__} has no canonical JSON form")


def canonical_json(value):
    """One text per value: keys sorted, datetimes in ISO form, sets sorted. Derived ids are digests
    of this text, so it must not change; request fingerprints normalise values before it
    (`requests.comparable`)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_plain)


def digest(value, digits=24):
    """A stable hex digest of `value`'s canonical JSON."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()[:digits]


def derived_id(kind, fact):
    """The id of a record that exists once per `fact` (a repeat of the fact finds the same id)."""
    prefix, digits = SHAPES[kind]
    return prefix + digest(fact, digits)
