"""The report workbook (services/summary/export.py) built from the golden report, without I/O."""
import pytest

from services.summary import export
from tests import report_scenario as scenario


@pytest.fixture(scope="module")
def book():
    return export.workbook(scenario.golden_report())


def test_one_sheet_per_table(book):
    assert book.sheetnames == ["总览", "各单位", "各司局"]


def overview_values(sheet):
    """{(category, label): value}, the category carried down over its blank cells."""
    values, category = {}, None
    for row in sheet.iter_rows(min_row=4, values_only=True):
        if len(row) >= 3 and row[1] is not None:
            category = row[0] or category
            values[(category, row[1])] = row[2]
    return values


def test_the_overview_holds_every_total_with_chinese_labels(book):
    sheet = book["总览"]
    assert sheet["A1"].value == "2024年学雷锋结对帮扶志愿服务活动 统计报表"
    assert [c.value for c in sheet[3]] == ["类别", "指标", "数值"]
    values = overview_values(sheet)
    assert values[("结对报送", "按时报送")] == 1
    assert values[("志愿者", "服务时长(小时)")] == 13.5
    assert values[("服务内容(已完成活动数)", "卫生清洁")] == 1
    assert values[("服务对象", "受益人数")] == 18
    assert values[("活动总结", "逾期未提交")] == 1
    assert values[("问题转办", "重办")] == 1
    assert values[("问题转办", "响应率")] == pytest.approx(1 / 3, abs=1e-4)
    assert len(values) == 4 + 3 + 4 + 8 + 2 + 4 + 4 + 12


def test_rates_are_formatted_as_percentages(book):
    sheet = book["总览"]
    rate_cells = [row[2] for row in sheet.iter_rows(min_row=4)
                  if len(row) > 2 and row[1].value in export.RATES.values()]
    assert len(rate_cells) == 3
    assert {cell.number_format for cell in rate_cells} == {export.PERCENT}


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
