"""Notification's keys in Redis (prefix `notification:`)."""
from services.common.store import Store


class NotificationStore(Store):
    pass
