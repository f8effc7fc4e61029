"""The deadline notices (contract §3 `check_deadlines`): when each falls due, who gets it, and when
a campaign's notices re-arm. Plain functions, no I/O.

A campaign sits in one due index per notice type, scored by the moment that notice falls due (epoch
seconds). The store reads only the entries whose moment has come; these rules say what to do then."""
from .domain import deadline_passed, on_time_until, reminders_from
from .records import VALID

REMIND, OVERDUE = "pairing_deadline_approaching", "pairing_overdue"
# An envelope's seq grows per subject (contract §4): the notices of one unit in one campaign share a
# subject. The reminder comes first, unless a later deadline opened a reminder window after the
# overdue notice had gone out: then the reminder follows it, with the seq after the overdue one's.
NOTICE_SEQ = {REMIND: 1, OVERDUE: 2}
REMIND_AFTER_OVERDUE_SEQ = NOTICE_SEQ[OVERDUE] + 1


def notice_seq(event_type, overdue_sent):
    """The seq of a notice to a unit that was (`overdue_sent`) or was not sent the overdue notice."""
    return REMIND_AFTER_OVERDUE_SEQ if event_type == REMIND and overdue_sent else NOTICE_SEQ[event_type]


def notice_phase(campaign, now):
    """Which notice is due for the campaign's missing units at `now`, if any."""
    if deadline_passed(campaign, now):
        return OVERDUE
    if now >= reminders_from(campaign):
        return REMIND
    return None


def due_scores(campaign):
    """{notice type: epoch seconds it falls due}. Re-armed on every campaign change: a later
    deadline or a new participant may make notices due again."""
    return {REMIND: reminders_from(campaign).timestamp(), OVERDUE: on_time_until(campaign).timestamp()}


def rearms_overdue(pairing):
    """A pairing change that leaves its unit missing (withdrawn, rejected) owes the unit an overdue
    notice at the next check after the deadline, if it had none."""
    return pairing["status"] not in VALID


def stays_due(phase):
    """Whether a campaign stays in a due index after a check at `phase`. Both leave once the deadline
    has passed: reminders are never sent late, and an overdue entry is processed once, until
    something re-arms it; a reminder entry stays through its window for units missing later."""
    return phase != OVERDUE


def who_to_tell(missing, active, told):
    """Of the missing units (with, per unit, whether it is active and was already told), those that
    get the notice now: active and not yet told; at most once per unit and campaign."""
    return [code for code, is_active, was_told in zip(missing, active, told) if is_active and not was_told]


def notice_subject(campaign_id, unit_code):
    return f"{campaign_id}:{unit_code}"


def notice(campaign, unit_code):
    return {"campaign_id": campaign["id"], "unit_code": unit_code, "deadline": campaign["report_deadline"],
            "on_time_until": campaign["on_time_until"]}
