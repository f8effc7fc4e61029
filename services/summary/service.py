"""Summary service."""
from services.common.auth import Auth
from services.common.storage import Storage
from services.common import web

from .store import SummaryStore


class SummaryService(web.Observable):
    name = "summary"

    auth = Auth()
    store = Storage(SummaryStore)
