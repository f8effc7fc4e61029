"""Activity's keys in Redis (prefix `activity:`)."""
from services.common.store import Store


class ActivityStore(Store):
    pass
