"""Every console page by (role, name); the navigation of each role in its order."""
from services.common.auth import COMMITTEE, DEPARTMENT, UNIT

from . import committee, department, unit
from .shared import INBOX

# The committee reads every unit's activities and summaries, and may act for a unit (contract §3:
# plan, complete, cancel and submit are "C; U for its own"), on the unit's own pages: their lists
# name the signed-in unit's code, which for the committee is none, so they list every unit's.
FOR_UNITS = {name: unit.PAGES[name] for name in ("activities", "activity", "summaries", "summary")}
BY_ROLE = {COMMITTEE: {**committee.PAGES, **FOR_UNITS, "inbox": INBOX}, UNIT: unit.PAGES,
           DEPARTMENT: department.PAGES}
PAGES = {(role, name): page for role, pages in BY_ROLE.items() for name, page in pages.items()}
# What every page of a role shows besides its own view (ctx -> template variables).
STANDING = {UNIT: unit.standing}
NAVIGATION = {
    COMMITTEE: ("campaigns", "activities", "summaries", "issues", "units", "departments", "inbox"),
    UNIT: ("pairing", "activities", "summaries", "issues", "inbox", "webhooks"),
    DEPARTMENT: ("issues", "inbox", "webhooks"),
}
