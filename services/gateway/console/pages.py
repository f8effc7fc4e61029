"""Every console page by (role, name); the navigation of each role in its order."""
from services.common.auth import COMMITTEE, DEPARTMENT, UNIT

from . import committee, department, unit
from .shared import INBOX

BY_ROLE = {COMMITTEE: {**committee.PAGES, "inbox": INBOX}, UNIT: unit.PAGES, DEPARTMENT: department.PAGES}
PAGES = {(role, name): page for role, pages in BY_ROLE.items() for name, page in pages.items()}
NAVIGATION = {
    COMMITTEE: ("campaigns", "issues", "units", "departments", "inbox"),
    UNIT: ("pairing", "activities", "summaries", "issues", "inbox"),
    DEPARTMENT: ("issues", "inbox", "webhooks"),
}
