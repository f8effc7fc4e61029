"""Issue 13's "Done when", in a real headless Chromium: the committee creates a campaign and
approves a pairing; the unit reports the pairing, plans and completes an activity with a business
problem and submits its summary; the department answers the forwarded issue; the unit rates it; the
committee sees the report's figures change and downloads the workbook. Screenshots of the main pages
go to pytest's temporary directory, or to docs/screenshots/ with UPDATE_SCREENSHOTS=1."""
from datetime import timedelta

from openpyxl import load_workbook
from selenium.webdriver.common.by import By

from services.common import clock
from tests.helpers import wait_until
from tests.service.gateway.support import code

DEPARTMENT = "elderly-care"  # the seed department of the `elderly_care` category (contract §1)


def local(moment):
    """A datetime-local input's value, in the campaign's zone."""
    return moment.strftime("%Y-%m-%dT%H:%M")


def figure(console, name):
    return int(console.text(f'[data-figure="{name}"]'))


def register_unit_and_campaign(console, unit):
    console.sign_in("committee")
    console.open("units").fill("register_unit", {
        "unit.code": unit, "unit.name": f"{unit}单位", "unit.party_org": f"{unit}党支部",
        "unit.contact_name": "王芳芳", "unit.contact_phone": "13912345678",
        "unit.contact_email": f"{unit.lower()}@example.org"}).done()
    deadline = clock.now().date() + timedelta(days=30)
    console.open("campaigns").fill("create_campaign", {
        "campaign.name": f"{deadline.year}年学雷锋结对帮扶{unit}", "campaign.year:int": str(deadline.year),
        "campaign.report_deadline": deadline.isoformat(), "campaign.unit_codes:list": unit}).done()
    console.screenshot("committee-campaigns")
    console.follow(next(a for a in console.all("table a") if unit in a.text))
    return console.driver.current_url.split("campaign_id=")[1]


def report_pairing(console, unit, campaign_id):
    console.sign_in("unit", unit)
    console.open(f"pairing?campaign_id={campaign_id}").fill("report_pairing", {
        "target.name": "和平里社区养老驿站", "target.category": "public_welfare_org",
        "target.kind": "organization", "target.district": "东城区", "target.address": "和平里街道七区12号楼",
        "target.contact_name": "张建国", "target.contact_phone": "13812349876"},
        checks=[("target.needs:list", "visit_condolence")]).done()
    assert "待审核" in console.text(".pairing h2")


def approve(console, unit, campaign_id):
    console.sign_in("committee")
    console.open(f"campaign?campaign_id={campaign_id}")
    assert "待审核" in console.text("table.board")
    console.screenshot("committee-board")
    console.open(f"review?campaign_id={campaign_id}")
    assert "13812349876" in console.text(".pairing")  # the committee sees the target in full
    console.screenshot("committee-review")
    console.fill("review_pairing", {"decision": "approve", "comment": "同意"}).done()


def plan_and_complete(console, unit, campaign_id):
    console.sign_in("unit", unit)
    console.open(f"pairing?campaign_id={campaign_id}")
    assert "已通过" in console.text(".pairing h2")
    console.screenshot("unit-pairing")
    console.link("安排志愿服务活动")
    start = clock.now() - timedelta(hours=5)
    console.fill("plan_activity", {
        "activity.title": "走访慰问老人", "activity.scheduled_start:moment": local(start),
        "activity.scheduled_end:moment": local(start + timedelta(hours=3)), "activity.location": "和平里",
        "activity.planned_volunteers:int": "3"}, checks=[("activity.service_types:list", "visit_condolence")]).done()
    console.link("走访慰问老人")
    console.form("complete_activity").find_element(By.CSS_SELECTOR, "details.more summary").click()  # 更多志愿者
    volunteers = {f"report.volunteers.{n}.name": name for n, name in enumerate(["李雷", "韩梅梅", "张伟", "刘洋", "陈静"])}
    console.fill("complete_activity", {
        "report.started_at:moment": local(start), "report.ended_at:moment": local(start + timedelta(hours=3)),
        **volunteers, **{f"report.volunteers.{n}.hours:float": "2" for n in range(5)},
        "report.volunteers.0.party_member:bool": "true", "report.beneficiaries:int": "3", "report.description": "走访三户",
        "report.problems.0.description": "屋顶漏水需修缮", "report.problems.0.category": "elderly_care",
        "report.problems.0.business_related:bool": "true", "report.opinions:list": "希望常来"},
        checks=[("report.services_delivered:list", "visit_condolence")]).done()
    assert "已完成" in console.text(".status")
    shown = console.text(".report")  # the completion report as reported: five volunteers, the opinion
    assert all(name in shown for name in volunteers.values()) and "希望常来" in shown and "涉及业务" in shown
    console.screenshot("unit-activity")


def submit_summary(console):
    console.open("summaries")
    console.refreshed_until(lambda: console.all("table a[href*='summary?id=']"), "the summary request")
    console.follow(console.all("table a[href*='summary?id=']")[0])
    console.fill("submit_summary", {"summary.experience": "提前联系对象", "summary.shortcomings": "人手不足",
                                    "summary.improvements": "固定每月走访"}).done()
    assert "已提交" in console.text(".status")


def answer_issue(console):
    console.sign_in("department", DEPARTMENT)
    console.refreshed_until(lambda: console.all('.issue[data-status="forwarded"]'), "the forwarded issue")
    issue = console.all('.issue[data-status="forwarded"]')[0].get_attribute("data-issue")
    card = console.text(f'.issue[data-issue="{issue}"]')
    # The department's name, not its code, and where the problem came from.
    assert "屋顶漏水需修缮" in card and DEPARTMENT not in card and "活动完成情况" in card
    console.screenshot("department-issues")
    console.fill("answer_issue", {"answer.measures": "已联系街道修缮", "answer.resolved:bool": "true"},
                 key=issue).done()
    return issue


def rate(console, unit, issue):
    console.sign_in("unit", unit)
    console.open("issues")
    assert "已联系街道修缮" in console.text(f'.issue[data-issue="{issue}"]')
    console.fill("rate_issue", {"rating.satisfied:bool": "true", "rating.comment": "很及时"}, key=issue).done()
    assert console.all(f'.issue[data-issue="{issue}"][data-status="closed"]')


def committee_reads_the_units_records(console, unit):
    """The committee opens the unit's completed activity and its submitted summary."""
    console.open("activities")
    console.link("走访慰问老人")
    assert "韩梅梅" in console.text(".report") and unit in console.text(".details")
    console.open("summaries")
    console.link("走访慰问老人")
    assert "固定每月走访" in console.text(".details")


def download(console, campaign_id):
    console.driver.find_element(By.CSS_SELECTOR, "a.download").click()
    path = console.driver.download_dir / f"campaign-report-{campaign_id}.xlsx"
    wait_until(path.exists, message="the downloaded workbook")
    return load_workbook(path)


def test_the_campaign_through_the_console(console):
    unit = code()
    campaign_id = register_unit_and_campaign(console, unit)
    console.open(f"report?campaign_id={campaign_id}")
    before = {name: figure(console, name) for name in ("activities.completed", "issues.forwarded", "issues.rated")}
    assert before == {"activities.completed": 0, "issues.forwarded": 0, "issues.rated": 0}
    report_pairing(console, unit, campaign_id)
    approve(console, unit, campaign_id)
    plan_and_complete(console, unit, campaign_id)
    submit_summary(console)
    issue = answer_issue(console)
    rate(console, unit, issue)

    console.sign_in("committee")
    console.open(f"report?campaign_id={campaign_id}")
    console.refreshed_until(lambda: figure(console, "issues.rated") == 1, "the report to count the rating")
    assert figure(console, "activities.completed") == 1 and figure(console, "issues.forwarded") == 1
    assert figure(console, "summaries.submitted") == 1 and figure(console, "volunteers.party_members") == 1
    assert console.text('[data-figure="issues.satisfaction_rate"]') == "100.0%"
    console.screenshot("committee-report")
    workbook = download(console, campaign_id)
    assert len(workbook.sheetnames) >= 2
    committee_reads_the_units_records(console, unit)
