"""Notification service."""
from services.common.auth import Auth
from services.common.storage import Storage
from services.common import web

from .store import NotificationStore


class NotificationService(web.Observable):
    name = "notification"

    auth = Auth()
    store = Storage(NotificationStore)
