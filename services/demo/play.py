"""The whole demo: the story's steps in order, then what the committee reads once the services
have settled (inboxes, the report, next year's comparison)."""
from . import show
from .client import eventually
from .story import Campaign


def play(gateway):
    """Returns the campaign's id (for the workbook link)."""
    story = Campaign(gateway)
    story.register_units()
    story.create()
    story.pairings_on_time()
    story.pairings_after_deadline()
    story.activities_done()
    story.summaries()
    story.issues()
    fast_forwarded = story.late_summary()
    story.carry_over()
    inboxes(story)
    report = settled_report(story, fast_forwarded)
    show.report(report, story.names())
    show.comparison(compared(story), story.campaign["name"])
    return story.campaign["id"]


def inbox(caller, recipient, ready, limit=5):
    """The newest notifications once `ready(items)` says this run's have arrived."""
    def find():
        page = caller("notification", "list_inbox", recipient=recipient, limit=limit)
        return page if ready(page["items"]) else None
    return eventually(find, f"{recipient} 的通知")


def at_least(count):
    return lambda items: len(items) >= count


def inboxes(story):
    missing, rejected = story.units["fwj"], story.units["ghcw"]
    show.inbox(f"{missing.label}（从未报送结对）", inbox(missing, f"unit:{story.codes['fwj']}", at_least(2)))
    show.inbox(rejected.label, inbox(rejected, f"unit:{story.codes['ghcw']}", at_least(3)))
    # A department's inbox also holds earlier runs': wait for (and show) this run's two issues.
    care = story.department(story.care_department)
    mine = set(story.care_issues)
    show.inbox(care.label, inbox(care, f"department:{story.care_department}",
                                 lambda items: {n.get("subject") for n in items} == mine, limit=2))


def settled_report(story, fast_forwarded):
    """The report once every step above is counted (it follows the events)."""
    def settled():
        r = story.committee("summary", "campaign_report", campaign_id=story.campaign["id"])
        counted = (r["activities"]["completed"] == 4 and r["activities"]["cancelled"] == 1
                   and r["issues"]["forwarded"] == 4 and r["issues"]["closed"] == 2
                   and r["issues"]["reopened"] == 1 and r["summaries"]["submitted"] == 3
                   and r["units"]["approved"] == 4
                   and sum(row["reminders"] for row in r["units"]["by_status"]) >= 3)
        return r if counted and (r["summaries"]["overdue"] == 1 or not fast_forwarded) else None
    return eventually(settled, "统计报表反映全部操作")


def compared(story):
    def found():
        r = story.committee("summary", "campaign_report", campaign_id=story.next["id"])
        return r if r.get("compared_with") and r["units"]["approved"] == 3 else None
    return eventually(found, "新年度报表中的上一年度对比")
