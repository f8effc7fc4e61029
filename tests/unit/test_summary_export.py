"""The report workbook (services/summary/report/workbook.py) built from the golden report, without I/O."""
import io

import openpyxl
import pytest

from services.summary.report import workbook as export
from tests import report_scenario as scenario


@pytest.fixture(scope="module")
def book():
    return export.workbook(scenario.golden_report())


def reloaded(report):
    """The workbook as a reader opens the bytes the download serves."""
    return openpyxl.load_workbook(io.BytesIO(export.workbook_bytes(report)))


def test_one_sheet_per_table(book):
    assert book.sheetnames == ["总览", "结对情况", "各单位", "各司局"]


def overview_values(sheet, column=2):
    """{(category, label): value of `column`}, the category carried down over its blank cells."""
    values, category = {}, None
    for row in sheet.iter_rows(min_row=5, values_only=True):
        if len(row) > column and row[1] is not None:
            category = row[0] or category
            values[(category, row[1])] = row[column]
    return values


def test_the_overview_holds_every_total_with_chinese_labels_and_the_time_it_is_as_of(book):
    sheet = book["总览"]
    assert sheet["A1"].value == "2024年学雷锋结对帮扶志愿服务活动 统计报表"
    assert sheet["A3"].value == "数据截至:2024-03-28T00:00:00+08:00"
    assert [c.value for c in sheet[4]] == ["类别", "指标", "本期"]
    values = overview_values(sheet)
    assert values[("结对报送", "按时报送")] == 1
    assert values[("志愿者", "服务时长(小时)")] == 13.5
    assert values[("服务内容(已完成活动数)", "卫生清洁")] == 1
    assert values[("服务对象", "受益人数")] == 18
    assert values[("活动总结", "逾期未提交")] == 1
    assert values[("问题转办", "重办")] == 1
    assert values[("问题转办", "响应率")] == pytest.approx(1 / 3, abs=1e-4)
    assert len(values) == 4 + 3 + 4 + 8 + 2 + 4 + 4 + 12


def test_the_workbook_says_what_the_response_rate_is_counted_over(book):
    for name in ("总览", "各司局"):
        texts = [row[0] for row in book[name].iter_rows(values_only=True) if row and isinstance(row[0], str)]
        assert export.RESPONSE_BASE in texts
    assert "分母包括尚未到签收期限的问题" in export.RESPONSE_BASE


def test_rates_are_formatted_as_percentages(book):
    sheet = book["总览"]
    rate_cells = [row[2] for row in sheet.iter_rows(min_row=5)
                  if len(row) > 2 and row[1].value in export.RATES.values()]
    assert len(rate_cells) == 3
    assert {cell.number_format for cell in rate_cells} == {export.PERCENT}


def test_a_carried_over_campaign_shows_the_earlier_one_beside_it():
    golden = scenario.golden_report()
    earlier = {"campaign_id": "C-2023", **{name: golden[name] for name in
                                           ("units", "activities", "volunteers", "beneficiaries", "problems",
                                            "issues")}}
    earlier["units"] = {**earlier["units"], "approved": 1}
    sheet = reloaded({**golden, "compared_with": earlier})["总览"]
    assert [c.value for c in sheet[4]] == ["类别", "指标", "本期", "上期(C-2023)"]
    before = overview_values(sheet, column=3)
    assert (overview_values(sheet)[("结对报送", "已批准")], before[("结对报送", "已批准")]) == (2, 1)
    assert before[("问题转办", "响应率")] == pytest.approx(1 / 3, abs=1e-4)
    # What the earlier report's comparison does not carry stays empty.
    assert before[("活动总结", "已提交")] is None and before[("服务对象", "意见和呼声(条)")] is None


def test_the_pairing_sheet_lists_every_unit_with_its_status(book):
    rows = list(book["结对情况"].iter_rows(values_only=True))
    assert rows[0] == tuple(export.STATUS_COLUMNS.values())
    assert rows[1:] == [("U1", "办公厅", "已批准", "否", 0), ("U2", "规划财务司", "已报送待审核", "是", 2),
                        ("U3", "机关服务局", "已批准", "是", 1), ("U4", "中国社会报社", "已撤回", "否", 1)]


def test_a_unit_that_never_reported_is_on_the_pairing_sheet():
    report = scenario.golden_report()
    report["units"]["by_status"].append({"unit_code": "U5", "status": "not_reported", "late": False, "reminders": 2})
    rows = list(reloaded(report)["结对情况"].iter_rows(min_row=2, values_only=True))
    assert rows[-1] == ("U5", None, "未报送", "否", 2)


def test_units_sheet_has_a_row_per_unit(book):
    rows = list(book["各单位"].iter_rows(values_only=True))
    assert rows[0] == tuple(export.UNIT_COLUMNS.values())
    assert rows[1] == ("U1", "办公厅", 2, 7.5, 3, 2, 1, 1)
    assert [row[0] for row in rows[1:]] == ["U1", "U2", "U3", "U4"]


def test_departments_sheet_has_rates_and_a_bar_chart_of_them(book):
    sheet = book["各司局"]
    rows = list(sheet.iter_rows(min_row=1, max_row=4, values_only=True))
    assert rows[0][:3] == ("司局代码", "司局名称", "转办问题")
    assert rows[1][:3] == ("child-welfare", "儿童福利司", 2)
    assert rows[1][-3:] == (0.0, 0.5, None)
    [chart] = sheet._charts
    assert [series.tx.strRef.f for series in chart.series] == ["'各司局'!J1", "'各司局'!K1", "'各司局'!L1"]
    assert chart.series[0].val.numRef.f == "'各司局'!$J$2:$J$4"


def test_a_campaign_without_departments_has_no_chart():
    report = {**scenario.golden_report(), "by_department": []}
    assert export.workbook(report)["各司局"]._charts == []


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil.example","点我")', "+1+1", "-2", "@SUM(A1)", "=1+1"])
def test_a_name_that_looks_like_a_formula_stays_text(name):
    report = scenario.golden_report()
    report["by_unit"][0]["name"] = name
    book = reloaded(report)
    for sheet in ("各单位", "结对情况"):
        cell = book[sheet]["B2"]
        assert (cell.value, cell.data_type) == (name, "s")


def test_any_stored_text_exports_with_what_a_workbook_cannot_hold_replaced():
    report = scenario.golden_report()
    report["name"] = "活动\x01名称\x1f"
    report["by_unit"][0]["name"] = "办公\x00厅\ud800"
    report["by_department"][0]["name"] = "司\t局\n名称"
    book = reloaded(report)
    assert book["总览"]["A1"].value == "活动\ufffd名称\ufffd 统计报表"
    assert book["各单位"]["B2"].value == "办公\ufffd厅\ufffd"
    assert book["各司局"]["B2"].value == "司\t局\n名称"
