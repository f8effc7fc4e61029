"""The committee's pages (issue 13): campaigns, a campaign's reporting board, the review queue, the
issue board with triage, the report with its charts and workbook, units and departments."""
import io

from openpyxl import load_workbook

from services.common import clock

from .. import problems
from ..api import workbook_response
from . import marks
from .shared import Outcome, Page, campaign_id, issue_page, rpc

UNIT_COLUMNS = ("code", "name", "party_org", "contact_name", "contact_phone", "contact_email")
MAX_IMPORT_ROWS = 500


def campaigns(ctx):
    return {"campaigns": ctx.page_of("pairing", "list_campaigns")}


def board(ctx):
    """A campaign's reporting board: every taking-part unit by its latest pairing, late and missing
    ones marked, with the reminders sent (campaign report v2 `units.by_status`)."""
    cid = campaign_id(ctx)
    progress = ctx.api("pairing", "reporting_progress", campaign_id=cid)
    report = ctx.api("summary", "campaign_report", campaign_id=cid)
    campaign = ctx.api("pairing", "get_campaign", campaign_id=cid)
    # Not reported is "missing" only once the deadline has passed (contract §1 Time).
    missing = set(progress.get("missing") or ()) if marks.deadline_passed(campaign, clock.now()) else set()
    rows = [{**row, "missing": row["unit_code"] in missing} for row in report["units"].get("by_status", [])]
    return {"campaign": campaign, "progress": progress, "rows": rows, "unit_names": unit_names(ctx)}


def unit_names(ctx):
    """{code: name} of the registered units (the first 200: a ministry has fewer), for pages that
    list units by code."""
    return {unit["code"]: unit["name"] for unit in ctx.api("pairing", "list_units", limit=200)["items"]}


def review(ctx):
    cid = campaign_id(ctx)
    return {"campaign_id": cid, "pairings": ctx.page_of("pairing", "list_pairings", campaign_id=cid,
                                                         status="reported"), "unit_names": unit_names(ctx)}


def issue_board(ctx):
    filters = {name: ctx.arg(name) for name in ("department", "status", "campaign_id") if ctx.arg(name)}
    page = ctx.page_of("summary", "list_issues", **filters)
    return issue_page(ctx, page, clock.now(), filters=filters, unit_names=unit_names(ctx))


def report(ctx):
    figures = ctx.api("summary", "campaign_report", campaign_id=campaign_id(ctx))
    return {"report": figures,
            "rates": marks.bars(figures["by_department"], "department", "response_rate", scale=1),
            "resolution": marks.bars(figures["by_department"], "department", "resolution_rate", scale=1),
            "activities": marks.bars(figures["by_unit"], "unit_code", "activities_completed")}


def workbook(ctx):
    """The same workbook as GET /api/v1/summary/export_report, with the signed-in user's token."""
    return workbook_response(ctx.api("summary", "campaign_report", campaign_id=campaign_id(ctx)))


def units(ctx):
    return {"units": ctx.page_of("pairing", "list_units")}


def departments(ctx):
    return {"departments": ctx.page_of("summary", "list_departments")}


def sheet_rows(upload):
    """The units of an uploaded sheet: a header row naming UNIT_COLUMNS, then one unit a row."""
    try:
        sheet = load_workbook(io.BytesIO(upload.read(4 * 1024 * 1024)), read_only=True).active
        rows = list(sheet.iter_rows(values_only=True, max_row=MAX_IMPORT_ROWS + 1))
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise problems.invalid({"sheet": ["不是有效的 Excel 文件(Not an .xlsx workbook)."]}) from None
    header = [str(cell or "").strip() for cell in (rows[0] if rows else ())]
    if not set(UNIT_COLUMNS) <= set(header):
        raise problems.invalid({"sheet": [f"首行须为列名: {', '.join(UNIT_COLUMNS)}(Header row missing)."]})
    return [{name: "" if cell is None else str(cell).strip() for name, cell in zip(header, row) if name in UNIT_COLUMNS}
            for row in rows[1:] if any(cell not in (None, "") for cell in row)]


def import_units(ctx, args):
    """Each row registered through the API on its own; the page lists what each row got."""
    outcomes = []
    for number, unit in enumerate(sheet_rows(ctx.request.files.get("_sheet") or io.BytesIO()), start=2):
        try:
            ctx.api("pairing", "register_unit", unit=unit)
            outcomes.append({"row": number, "code": unit.get("code"), "ok": True, "message": "已登记"})
        except problems.Problem as problem:
            detail = problem.members.get("errors") or problem.detail
            outcomes.append({"row": number, "code": unit.get("code"), "ok": False, "message": str(detail)})
    return Outcome(imported=outcomes)


PAGES = {
    "campaigns": Page("活动管理", "committee/campaigns.html", campaigns,
                      {"create_campaign": rpc("pairing", "create_campaign")}),
    "campaign": Page("报送看板", "committee/board.html", board,
                     {"update_campaign": rpc("pairing", "update_campaign"),
                      "carry_over_campaign": rpc("pairing", "carry_over_campaign")}),
    "review": Page("审核队列", "committee/review.html", review,
                   {"review_pairing": rpc("pairing", "review_pairing")}),
    "issues": Page("问题看板", "committee/issues.html", issue_board,
                   {"transfer_issue": rpc("summary", "transfer_issue")}),
    "report": Page("活动报告", "committee/report.html", report),
    "report.xlsx": Page("报告下载", "", workbook),
    "units": Page("单位管理", "committee/units.html", units,
                  {"register_unit": rpc("pairing", "register_unit"),
                   "deactivate_unit": rpc("pairing", "deactivate_unit"), "import_units": import_units}),
    "departments": Page("司局管理", "committee/departments.html", departments,
                        {"register_department": rpc("summary", "register_department"),
                         "update_department": rpc("summary", "update_department"),
                         "deactivate_department": rpc("summary", "deactivate_department")}),
}
