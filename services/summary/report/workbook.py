"""The campaign report as an Excel workbook, for the committee's monthly meeting (no I/O here).

Sheets: 总览 (the totals, as of when, beside the earlier campaign's for a carried-over one),
结对情况 (every taking-part unit with its pairing status, those that never reported included),
各单位 (by unit), 各司局 (by department, with a bar chart of the three rates).

Every text is written as text, never as a formula (a name starting with = + - @ stays a name), and
characters a workbook cannot hold (control characters, lone surrogates) become U+FFFD, so any
stored text exports."""
import io
import re

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill

from services.common.vocabulary import SERVICE_TYPES

PERCENT = "0.0%"
RATES = {"response_rate": "响应率", "resolution_rate": "解决率", "satisfaction_rate": "满意率"}
OVERVIEW = (
    ("结对报送", "units", {"total": "参加单位", "reported": "已报送结对", "reported_on_time": "按时报送",
                       "approved": "已批准"}),
    ("志愿服务活动", "activities", {"planned": "计划中", "completed": "已完成", "cancelled": "已取消"}),
    ("志愿者", "volunteers", {"participations": "参与人次", "party_members": "党员人次", "youth": "青年人次",
                           "hours": "服务时长(小时)"}),
    ("服务内容(已完成活动数)", "services", SERVICE_TYPES),
    ("服务对象", None, {"beneficiaries": "受益人数", "opinions": "意见和呼声(条)"}),
    ("问题和困难", "problems", {"found": "发现", "resolved_on_site": "现场解决", "business_related": "涉及业务(转办)",
                            "unresolved": "未解决"}),
    ("活动总结", "summaries", {"requested": "应提交", "submitted": "已提交", "submitted_on_time": "按时提交",
                           "overdue": "逾期未提交"}),
    ("问题转办", "issues", {"forwarded": "转办问题", "triage": "待分办", "acknowledged_on_time": "按时签收",
                        "answered": "已答复", "resolved": "已解决", "reopened": "重办", "closed": "已办结",
                        "rated": "已评价", "satisfied": "满意", **RATES}),
)
STATUS_COLUMNS = {"unit_code": "单位代码", "name": "单位名称", "status": "结对状态", "late": "逾期报送",
                  "reminders": "收到催报次数"}
STATUS_NAMES = {"not_reported": "未报送", "reported": "已报送待审核", "approved": "已批准", "rejected": "未通过",
                "withdrawn": "已撤回"}
UNIT_COLUMNS = {"unit_code": "单位代码", "name": "单位名称", "activities_completed": "完成活动",
                "volunteer_hours": "志愿服务时长(小时)", "problems_found": "发现问题", "issues_forwarded": "转办问题",
                "summaries_submitted": "提交总结", "summaries_on_time": "按时提交总结"}
DEPARTMENT_COLUMNS = {"department": "司局代码", "name": "司局名称", "issues": "转办问题",
                      "acknowledged_on_time": "按时签收", "answered": "已答复", "resolved": "已解决", "rated": "已评价",
                      "satisfied": "满意", "overdue": "逾期未办", **RATES}
NO_BASE = "比率为空表示没有可计算的基数(无转办问题或无评价)。"
RESPONSE_BASE = ("响应率 = 按首次签收期限签收(或答复)的问题 ÷ 已转办到司局的全部问题(不含待分办);"
                 "分母包括尚未到签收期限的问题,活动进行中时响应率因此偏低。")
HEADER = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
# What an .xlsx cannot hold: C0 controls other than tab and line breaks, and lone surrogates.
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def writable(value):
    """A cell value the workbook holds as it is: texts cleaned of what it cannot hold."""
    return UNWRITABLE.sub("\ufffd", value) if isinstance(value, str) else value


def append(sheet, values):
    """A row whose texts are text cells: never a formula, whatever they start with."""
    sheet.append([writable(value) for value in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = TYPE_STRING
    return sheet.max_row


def header(sheet, titles):
    append(sheet, list(titles))
    for cell in sheet[sheet.max_row]:
        cell.font, cell.fill = HEADER, HEADER_FILL
        cell.alignment = Alignment(horizontal="center")


def widen(sheet, widths):
    for column, width in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", widths):
        sheet.column_dimensions[column].width = width


def percent(sheet, row, columns):
    for column in columns:
        sheet.cell(row=row, column=column).number_format = PERCENT


def overview_rows(report):
    """(category, label, this campaign's value, the earlier campaign's value or None, is a rate)."""
    earlier = report.get("compared_with")
    for title, section, labels in OVERVIEW:
        values = report[section] if section else report
        before = (earlier.get(section) if section else earlier) if earlier else None
        for field, label in labels.items():
            yield title, label, values[field], before.get(field) if before else None, field in RATES
            title = ""


def overview(sheet, report):
    earlier = report.get("compared_with")
    append(sheet, [f"{report.get('name') or report['campaign_id']} 统计报表"])
    sheet["A1"].font = Font(bold=True, size=14)
    append(sheet, [f"活动编号:{report['campaign_id']}"])
    append(sheet, [f"数据截至:{report.get('as_of') or '尚无数据'}"])
    titles = ["类别", "指标", "本期"]
    if earlier:
        titles.append(f"上期({earlier['campaign_id']})")
    header(sheet, titles)
    for title, label, value, before, is_rate in overview_rows(report):
        row = append(sheet, [title, label, value, *([before] if earlier else [])])
        if is_rate:
            percent(sheet, row, [3, 4] if earlier else [3])
    sheet.append([])
    append(sheet, [NO_BASE])
    append(sheet, [RESPONSE_BASE])
    if earlier:
        append(sheet, ["本期为上期结对的延续;上期未统计的项目(服务内容、意见、活动总结)留空。"])
    widen(sheet, (24, 22, 14, 22))


def table(sheet, rows, columns, rates=()):
    header(sheet, columns.values())
    for row in rows:
        percent(sheet, append(sheet, [row.get(field) for field in columns]), rates)
    sheet.freeze_panes = "A2"


def pairing_status(sheet, report):
    names = {row["unit_code"]: row.get("name") for row in report["by_unit"]}
    rows = [{**row, "name": names.get(row["unit_code"]), "status": STATUS_NAMES.get(row["status"], row["status"]),
             "late": "是" if row["late"] else "否"} for row in report["units"].get("by_status", [])]
    table(sheet, rows, STATUS_COLUMNS)
    widen(sheet, (12, 24, 14, 10, 14))


def rate_chart(sheet, rows):
    """Clustered bars: the three rates of each department, on a 0-100% axis."""
    chart = BarChart()
    chart.type = "col"
    chart.title = "各司局响应率、解决率、满意率"
    chart.y_axis.title = "比率"
    chart.y_axis.number_format = "0%"
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
    first_rate = list(DEPARTMENT_COLUMNS).index("response_rate") + 1
    data = Reference(sheet, min_col=first_rate, max_col=first_rate + len(RATES) - 1,
                     min_row=1, max_row=len(rows) + 1)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=2, min_row=2, max_row=len(rows) + 1))
    chart.width, chart.height = 24, 12
    sheet.add_chart(chart, f"A{len(rows) + 6}")


def departments(sheet, report):
    rows = [{**row, "name": row.get("name") or row["department"]} for row in report["by_department"]]
    table(sheet, rows, DEPARTMENT_COLUMNS, [list(DEPARTMENT_COLUMNS).index(field) + 1 for field in RATES])
    sheet.append([])
    append(sheet, [NO_BASE])
    append(sheet, [RESPONSE_BASE])
    widen(sheet, (22, 26, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10))
    if rows:
        rate_chart(sheet, rows)


def workbook(report):
    book = Workbook()
    book.active.title = "总览"
    overview(book.active, report)
    pairing_status(book.create_sheet("结对情况"), report)
    units = book.create_sheet("各单位")
    table(units, report["by_unit"], UNIT_COLUMNS)
    widen(units, (12, 24, 10, 18, 10, 10, 10, 14))
    departments(book.create_sheet("各司局"), report)
    return book


def workbook_bytes(report):
    """The .xlsx file of `report` (a `campaign_report` result), for a download or a file."""
    buffer = io.BytesIO()
    workbook(report).save(buffer)
    return buffer.getvalue()
