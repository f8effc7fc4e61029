"""Pairing's keys in Redis (prefix `pairing:`)."""
from services.common.store import Store


class PairingStore(Store):
    pass
