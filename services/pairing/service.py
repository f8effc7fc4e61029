"""Pairing (结对): campaigns, units, pairing reports and their review, deadline reminders."""
from services.common.auth import Auth
from services.common.storage import Storage
from services.common import web

from .store import PairingStore


class PairingService(web.Observable):
    name = "pairing"

    auth = Auth()
    store = Storage(PairingStore)
