"""Pairing reports (结对) and their review: plain functions on dicts, no I/O.

A unit has at most one pairing that is `reported` or `approved` per campaign; a `rejected` or
`withdrawn` one leaves it free to report again. Only a `reported` pairing moves on."""
from services.common import clock
from services.common.errors import Conflict, ValidationError, require_found
from services.common.masking import mask_name, mask_phone
from services.common.records import created, revised
from services.common.vocabulary import BEIJING, BEIJING_DISTRICTS, PRIVATE_KINDS

from .domain import is_late
from .records import APPROVED, REJECTED, REPORTED, VALID, WITHDRAWN

# The statuses `reporting_progress` counts from its maintained sets (withdrawn = not reported).
COUNTED = (REPORTED, APPROVED, REJECTED)
DECIDED = {"approve": APPROVED, "reject": REJECTED}
EVENT_OF = {REPORTED: "pairing_reported", APPROVED: "pairing_approved",
            REJECTED: "pairing_rejected", WITHDRAWN: "pairing_withdrawn"}
# Personal data of the target (and the unit's free text about it) stays out of every event.
PRIVATE_TARGET_FIELDS = ("contact_name", "contact_phone", "address", "notes")


# Judged by the region every campaign has unless told otherwise (contract §3 create_campaign).
UNKNOWN_CAMPAIGN = {"region": BEIJING}


def check_district(campaign, target):
    if campaign["region"] == BEIJING and target["district"] not in BEIJING_DISTRICTS:
        raise ValidationError.field("target.district", "须为北京市的16个区之一(Not a district of Beijing).")


def check_may_report(campaign, unit, latest):
    """`NotFound` for an unknown unit; `Conflict` unless it is active, takes part, and has no reported
    or approved pairing."""
    if not require_found(unit, "单位")["active"]:
        raise Conflict("单位已停用,不能报送(Unit is inactive).")
    if unit["code"] not in campaign["participants"]:
        raise Conflict("本单位未参加该活动(Unit does not take part in this campaign).")
    if latest is not None and latest["status"] in VALID:
        raise Conflict("本单位在该活动中已有待审核或已通过的结对(A reported or approved pairing exists).")


def new_pairing(pairing_id, campaign, unit_code, target, now):
    return created(pairing_id, now, campaign_id=campaign["id"], unit_code=unit_code, target=target,
                   status=REPORTED, reported_at=clock.iso(now), late=is_late(campaign, now),
                   reviewed_at=None, review_comment=None, withdrawn_at=None, carried_over_from=None)


def carried_over_units(approved_units, campaign):
    """Issue 17: the units whose latest pairing in the earlier campaign is approved and that take
    part in the new one; each gets its target again (sorted, so ids follow a stable order)."""
    return sorted(set(approved_units) & set(campaign["participants"]))


def carried_over(pairing_id, campaign, earlier, now):
    """The earlier approved pairing's target reported again in `campaign` for the committee's
    review: on time whatever the date (the unit reported nothing late), marked with its origin."""
    return dict(new_pairing(pairing_id, campaign, earlier["unit_code"], earlier["target"], now),
                late=False, carried_over_from=earlier["id"])


def _moved(pairing, status, now, **fields):
    if pairing["status"] != REPORTED:
        raise Conflict("只有待审核的结对可以审核或撤回(Only a reported pairing can change).")
    return revised(pairing, now, status=status, **fields)


def withdrawn(pairing, now):
    return _moved(pairing, WITHDRAWN, now, withdrawn_at=clock.iso(now))


def reviewed(pairing, decision, comment, now):
    return _moved(pairing, DECIDED[decision], now, reviewed_at=clock.iso(now), review_comment=comment or "")


def progress_marks(pairing):
    """(the progress set the unit's latest pairing puts it in, or None; whether it counts as late)."""
    status = pairing["status"]
    return (status if status in COUNTED else None), (status in VALID and pairing["late"])


def event_data(pairing):
    """The pairing as the bus sees it: no contact, phone, address or notes, and no name for a
    household or a person."""
    target = {k: v for k, v in pairing["target"].items() if k not in PRIVATE_TARGET_FIELDS}
    if target["kind"] in PRIVATE_KINDS:
        del target["name"]
    return dict(pairing, target=target)


def view(pairing, full):
    """The pairing as a caller sees it: in full for the committee and the owning unit; for anyone
    else the phone masked (139****5678), the address cut to its district, persons' names masked and
    the unit's private `notes` left out."""
    if full:
        return pairing
    target = {k: v for k, v in pairing["target"].items() if k != "notes"}
    target["contact_phone"] = mask_phone(target["contact_phone"])
    target["address"] = target["district"]
    target["contact_name"] = mask_name(target["contact_name"])
    if target["kind"] in PRIVATE_KINDS:
        target["name"] = mask_name(target["name"])
    return dict(pairing, target=target)
