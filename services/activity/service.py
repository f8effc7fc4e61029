"""Activity service."""
from services.common.auth import Auth
from services.common.storage import Storage
from services.common import web

from .store import ActivityStore


class ActivityService(web.Observable):
    name = "activity"

    auth = Auth()
    store = Storage(ActivityStore)
