"""The campaign report as an Excel workbook, for the committee's monthly meeting:

    python -m services.summary.export CAMPAIGN_ID out.xlsx [--config config.yml] [--key .keys/jwt_private.pem]

The report is asked of the running summary service (`campaign_report` by RPC, with a committee
token signed by --key), as any other department's system would ask it. Sheets: 总览 (the campaign's
totals), 各单位 (by unit), 各司局 (by department, with a bar chart of the three rates)."""
import argparse
import sys
from pathlib import Path

from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.standalone.rpc import ClusterRpcProxy
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill

from services.common import auth
from services.common.settings import load_config
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
UNIT_COLUMNS = {"unit_code": "单位代码", "name": "单位名称", "activities_completed": "完成活动",
                "volunteer_hours": "志愿服务时长(小时)", "problems_found": "发现问题", "issues_forwarded": "转办问题",
                "summaries_submitted": "提交总结", "summaries_on_time": "按时提交总结"}
DEPARTMENT_COLUMNS = {"department": "司局代码", "name": "司局名称", "issues": "转办问题",
                      "acknowledged_on_time": "按时签收", "answered": "已答复", "resolved": "已解决", "rated": "已评价",
                      "satisfied": "满意", "overdue": "逾期未办", **RATES}
NO_BASE = "比率为空表示没有可计算的基数(无转办问题或无评价)。"
HEADER = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def header(sheet, titles):
    sheet.append(list(titles))
    for cell in sheet[sheet.max_row]:
        cell.font, cell.fill = HEADER, HEADER_FILL
        cell.alignment = Alignment(horizontal="center")


def widen(sheet, widths):
    for column, width in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", widths):
        sheet.column_dimensions[column].width = width


def percent(sheet, row, columns):
    for column in columns:
        sheet.cell(row=row, column=column).number_format = PERCENT


def overview(sheet, report):
    sheet.append([f"{report.get('name') or report['campaign_id']} 统计报表"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"活动编号:{report['campaign_id']}"])
    header(sheet, ("类别", "指标", "数值"))
    for title, section, labels in OVERVIEW:
        values = report[section] if section else report
        for field, label in labels.items():
            sheet.append([title, label, values[field]])
            if field in RATES:
                percent(sheet, sheet.max_row, [3])
            title = ""
    sheet.append([])
    sheet.append([NO_BASE])
    widen(sheet, (24, 22, 14))


def table(sheet, rows, columns, rates=()):
    header(sheet, columns.values())
    for row in rows:
        sheet.append([row.get(field) for field in columns])
        percent(sheet, sheet.max_row, rates)
    sheet.freeze_panes = "A2"


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
    sheet.add_chart(chart, f"A{len(rows) + 5}")


def workbook(report):
    book = Workbook()
    overview(book.active, report)
    book.active.title = "总览"
    units = book.create_sheet("各单位")
    table(units, report["by_unit"], UNIT_COLUMNS)
    widen(units, (12, 24, 10, 18, 10, 10, 10, 14))
    departments = book.create_sheet("各司局")
    rows = [{**row, "name": row.get("name") or row["department"]} for row in report["by_department"]]
    rate_columns = [list(DEPARTMENT_COLUMNS).index(field) + 1 for field in RATES]
    table(departments, rows, DEPARTMENT_COLUMNS, rate_columns)
    departments.append([])
    departments.append([NO_BASE])
    widen(departments, (22, 26, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10))
    if rows:
        rate_chart(departments, rows)
    return book


def fetch_report(config, private_key, campaign_id):
    token = auth.mint(private_key, auth.COMMITTEE, sub="committee:export", ttl=300)
    with ClusterRpcProxy(config, context_data={"auth_token": token}, timeout=30) as proxy:
        return proxy.summary.campaign_report(campaign_id)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m services.summary.export",
                                     description="导出活动统计报表(Excel)")
    parser.add_argument("campaign_id")
    parser.add_argument("output", help="the .xlsx file to write")
    parser.add_argument("--config", default="config.yml")
    parser.add_argument("--key", default=".keys/jwt_private.pem", help="the token issuer's private key")
    args = parser.parse_args(argv)
    try:
        private_key = Path(args.key).read_text()
    except OSError:
        print(f"无法读取私钥 {args.key}(see python -m services.common.auth keygen)", file=sys.stderr)
        return 1
    try:
        report = fetch_report(load_config(args.config), private_key, args.campaign_id)
    except RemoteError as err:
        reason = "未找到该活动" if err.exc_type == "NotFound" else f"summary 服务拒绝了请求({err.exc_type})"
        print(f"导出失败:{reason}", file=sys.stderr)
        return 1
    except (UnknownService, RpcTimeout):
        print("导出失败:summary 服务未运行或无响应(summary is not answering)", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"导出失败:无法连接 RabbitMQ({type(exc).__name__})", file=sys.stderr)
        return 1
    workbook(report).save(args.output)
    print(f"已导出 {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
