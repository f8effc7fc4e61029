"""Departments (业务司局) and the issue categories they handle: plain functions on dicts.

`routes` maps each routed category to the code of its department (contract §1: departments are
data, registered with the categories they handle). A deactivated department routes nothing: new
issues of its categories go to the committee's triage, its existing issues stay where they are."""
from services.common import clock
from services.common.errors import Conflict
from services.common.records import revised

from .records import Department

# Contract §1: `other` has no department; its issues stay with the committee's triage.
TRIAGE_CATEGORY = "other"


def conflict(department, existing, routes):
    """Why `department` cannot be registered (Chinese text), or None."""
    if existing is not None:
        return "司局代码已存在(Department code already registered)."
    return taken(department["code"], department["categories"], routes)


def taken(code, categories, routes):
    """Why department `code` cannot handle `categories`: one is routed to another department."""
    if any(routes.get(category) not in (None, code) for category in categories):
        return "问题类别已由其他司局办理(Category already handled by another department)."
    return None


def new_department(department, existing, routes, at) -> Department:
    reason = conflict(department, existing, routes)
    if reason:
        raise Conflict(reason)
    # Not records.created: the code is the department's id, the record has no separate `id`.
    stamp = clock.iso(at)
    return {**department, "active": True, "deactivated_at": None, "created_at": stamp, "updated_at": stamp,
            "revision": 1}


def is_active(department):
    # Departments stored before deactivation existed have no `active` field: they are active.
    return department.get("active", True)


def _require_active(department):
    if not is_active(department):
        raise Conflict("司局已停用(Department deactivated).")


def update(department, changes, routes, at) -> Department:
    """`department` with `changes` (name, contact_email, categories) applied; the category rules
    of registration hold for the new categories."""
    _require_active(department)
    reason = taken(department["code"], changes.get("categories", []), routes)
    if reason:
        raise Conflict(reason)
    return revised(department, at, **changes)


def deactivate(department, at) -> Department:
    _require_active(department)
    return revised(department, at, active=False, deactivated_at=clock.iso(at))


def rerouted(before, after):
    """(categories to stop routing to the department, categories to route to it) of a change."""
    old = set(before["categories"]) if before and is_active(before) else set()
    new = set(after["categories"]) if is_active(after) else set()
    return sorted(old - new), sorted(new - old)


def require_receiving(department):
    """A transfer's target: it must exist (checked before) and be active."""
    _require_active(department)
    return department


def route(category, routes):
    """The department that handles `category`, or None for the committee's triage."""
    return routes.get(category)
