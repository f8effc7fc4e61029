"""Summary's keys in Redis (prefix `summary:`)."""
from services.common.store import Store


class SummaryStore(Store):
    pass
