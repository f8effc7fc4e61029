"""Pairing's keys in Redis (prefix `pairing:`): the key layout is in keys.py, the writes in the
mixins below, each state change one transaction with its events (transactional outbox)."""
from .campaign_store import CampaignWrites
from .deadline_store import DeadlineChecks
from .pairing_store import PairingWrites


class PairingStore(CampaignWrites, PairingWrites, DeadlineChecks):
    pass
