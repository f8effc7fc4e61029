"""What the console refuses, in a real headless Chromium: a unit cannot open another unit's pages
(the API decides, with the unit's own token) nor the committee's; a form with bad input shows the
API's ValidationError next to the field it names and keeps what was typed; a post without the
session's CSRF token changes nothing; sign-out ends the session; the cookie is HttpOnly and Strict."""
import socket

import pytest
import requests
from openpyxl import Workbook
from selenium.webdriver.common.by import By

from services.gateway.console import pages
from services.gateway.console.committee import UNIT_COLUMNS
from tests.service.gateway.support import TARGET, activity_input, campaign_input, code, report_input, unit_input


def unit_with_activity(system):
    """A unit with an approved pairing and a planned activity, set up over RPC."""
    unit = code()
    committee = system.rpc()
    committee.pairing.register_unit(unit=unit_input(unit))
    campaign = committee.pairing.create_campaign(campaign=campaign_input([unit]))
    pairing = system.rpc("unit", unit=unit).pairing.report_pairing(campaign_id=campaign["id"], unit_code=unit,
                                                                    target=TARGET)
    committee.pairing.review_pairing(pairing_id=pairing["id"], decision="approve", comment="")
    activity = system.rpc("unit", unit=unit).activity.plan_activity(activity=activity_input(pairing["id"]))
    return unit, activity


def test_a_unit_cannot_open_another_units_pages(console, system):
    owner, activity = unit_with_activity(system)
    console.sign_in("unit", owner)
    console.open(f"activity?id={activity['id']}")
    assert console.all('form[data-action="complete_activity"]')

    console.sign_in("unit", code())
    console.open(f"activity?id={activity['id']}")
    assert console.all('.alert[data-status="403"]') and not console.all('form[data-action="complete_activity"]')
    assert activity["title"] not in console.text()
    console.open("campaigns")  # a committee page
    assert console.all('.alert[data-status="404"]')


def test_a_bad_form_shows_the_field_error(console):
    console.sign_in("committee")
    console.open("units").fill("register_unit", {
        "unit.code": code(), "unit.name": "测试单位", "unit.party_org": "测试党支部", "unit.contact_name": "王芳",
        "unit.contact_phone": "12345", "unit.contact_email": "not-an-address"})
    assert console.field_errors("unit.contact_phone") and console.field_errors("unit.contact_email")
    assert not console.field_errors("unit.name")
    assert not console.all("[data-unplaced]")  # told at its form, not again at the top
    form = console.form("register_unit")
    assert form.find_element(By.NAME, "unit.contact_phone").get_attribute("value") == "12345"
    console.screenshot("form-error")


def test_the_sign_in_page_with_a_bad_token(console):
    console.driver.delete_all_cookies()
    console.open("signin")
    console.screenshot("signin")
    form = console.driver.find_element(By.CSS_SELECTOR, 'form[action="/console/signin"]')
    form.find_element(By.NAME, "token").send_keys("not-a-token")
    console.follow(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert console.field_errors("token")
    console.open("campaigns")
    assert "/console/signin" in console.driver.current_url


def test_units_are_imported_from_a_sheet_row_by_row(console, tmp_path):
    good, bad = code(), code()
    sheet = Workbook()
    sheet.active.append(list(UNIT_COLUMNS))
    sheet.active.append([unit_input(good)[name] for name in UNIT_COLUMNS])
    sheet.active.append([{**unit_input(bad), "contact_phone": "12345"}[name] for name in UNIT_COLUMNS])
    path = tmp_path / "units.xlsx"
    sheet.save(path)
    console.sign_in("committee")
    form = console.open("units").form("import_units")
    form.find_element(By.NAME, "_sheet").send_keys(str(path))
    console.follow(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert good in console.text("tr.ok") and bad in console.text("tr.failed")
    assert "contact_phone" in console.text("tr.failed")


def test_session_cookie_csrf_and_sign_out(console, system):
    console.sign_in("committee")
    cookie = console.driver.get_cookie("leifeng_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console/"
    # The same session without the form's CSRF token: refused, and nothing registered.
    session = requests.Session()
    session.cookies.set("leifeng_console", cookie["value"], path="/console/")
    unit = code()
    fields = {f"unit.{name}": value for name, value in unit_input(unit).items()}
    posted = session.post(system.url("gateway", "/console/units"), timeout=30, allow_redirects=False,
                          data={"_action": "register_unit", **fields})
    assert posted.status_code == 403
    assert unit not in console.open("units").text()
    # The API does not take the console's cookie: it wants a bearer token.
    assert session.get(system.url("gateway", "/api/v1/pairing/list_units"), timeout=30).status_code == 401
    console.follow(console.driver.find_element(By.CSS_SELECTOR, "form.signout button"))
    console.open("campaigns")
    assert "/console/signin" in console.driver.current_url


def test_a_page_lists_with_the_cursor(console, system):
    committee = system.rpc()
    for _ in range(21):
        committee.pairing.register_unit(unit=unit_input(code()))
    console.sign_in("committee")
    console.open("units")
    first = {row.text for row in console.all("table tbody tr")}
    console.follow(console.driver.find_element(By.CSS_SELECTOR, "a.next"))
    assert "cursor=" in console.driver.current_url
    second = {row.text for row in console.all("table tbody tr")}
    assert second and not first & second


def own_address():
    """This machine's address on its network (a UDP connect sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("10.255.255.255", 1))
        return probe.getsockname()[0]


def test_with_dev_sign_in_the_gateway_listens_on_loopback_only(system):
    assert "开发登录" in requests.get(system.url("gateway", "/console/signin"), timeout=30).text
    address = own_address()
    assert address != "127.0.0.1"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address, system.ports["gateway"]), timeout=5).close()


def test_the_identity_system_posts_a_token_to_sign_in(system):
    answer = requests.post(system.url("gateway", "/console/sso"), data={"token": system.token("committee")},
                           timeout=30)
    assert answer.status_code == 200 and 'href="/console/"' in answer.text
    cookie = next(c for c in answer.cookies if c.name == "leifeng_console")
    assert cookie.has_nonstandard_attr("HttpOnly") and cookie.get_nonstandard_attr("SameSite") == "Strict"
    refused = requests.post(system.url("gateway", "/console/sso"), data={"token": "forged"}, timeout=30)
    assert refused.status_code == 401 and "leifeng_console" not in refused.cookies


def test_every_menu_page_fits_a_phone(console, system):
    unit, _ = unit_with_activity(system)
    console.driver.set_window_size(375, 812)
    try:
        for role, who in (("committee", ""), ("unit", unit), ("department", "elderly-care")):
            console.sign_in(role, who)
            for page in pages.NAVIGATION[role]:
                console.open(page)
                assert console.driver.execute_script(
                    "return document.documentElement.scrollWidth <= window.innerWidth"), (role, page)
                if (role, page) == ("committee", "issues"):
                    console.screenshot("phone-committee-issues")
    finally:
        console.driver.set_window_size(1280, 1000)


def test_a_refused_form_keeps_what_was_ticked_and_opens_the_rows_it_refused(console, system):
    unit, activity = unit_with_activity(system)
    console.sign_in("unit", unit)
    console.open(f"activity?id={activity['id']}")
    console.form("complete_activity").find_element(By.CSS_SELECTOR, "details.more summary").click()
    console.fill("complete_activity", {"report.volunteers.0.name": "李雷", "report.volunteers.0.hours:float": "2",
                                       "report.volunteers.4.name": "第五位"},  # no hours: refused
                 checks=[("report.services_delivered:list", "visit_condolence"),
                         ("report.services_delivered:list", "home_repair")])
    form = console.form("complete_activity")
    assert console.field_errors("report.volunteers.4.hours")
    assert form.find_element(By.CSS_SELECTOR, "details.more").get_attribute("open") is not None
    ticked = [box.get_attribute("value") for box in form.find_elements(
        By.CSS_SELECTOR, 'input[name="report.services_delivered:list"]') if box.is_selected()]
    assert sorted(ticked) == ["home_repair", "visit_condolence"]
    assert form.find_element(By.NAME, "report.volunteers.4.name").get_attribute("value") == "第五位"


def test_a_unit_plans_for_its_approved_pairing_and_sees_only_its_own_campaigns(console, system):
    unit, activity = unit_with_activity(system)
    elsewhere = system.rpc().pairing.create_campaign(campaign=campaign_input([unit_with_activity(system)[0]]))
    console.sign_in("unit", unit)
    console.open("pairing")
    offered = [option.get_attribute("value") for option in console.all('select[name="campaign_id"] option')]
    assert elsewhere["id"] not in offered and len(offered) == 1
    console.open("activities")
    choices = console.all('select[name="activity.pairing_id"] option')
    assert [option.get_attribute("value") for option in choices] == ["", activity["pairing_id"]]
    assert choices[0].is_selected() and TARGET["name"] in choices[1].text  # nothing chosen for the unit


def test_a_deactivation_is_posted_only_once_ticked(console, system):
    unit = code()
    system.rpc().pairing.register_unit(unit=unit_input(unit))
    console.sign_in("committee")
    console.open("units")
    console.fill("deactivate_unit", {}, key=unit)
    assert "请先勾选确认" in console.form("deactivate_unit", unit).text
    assert system.rpc().pairing.get_unit(code=unit)["active"] is True
    console.fill("deactivate_unit", {}, key=unit, checks=[("_confirmed", "1")]).done()
    assert system.rpc().pairing.get_unit(code=unit)["active"] is False


def test_before_the_deadline_a_unit_not_reported_is_not_marked_missing(console, system):
    unit, _ = unit_with_activity(system)
    waiting = code()
    system.rpc().pairing.register_unit(unit=unit_input(waiting))
    campaign = system.rpc().pairing.create_campaign(campaign=campaign_input([unit, waiting]))
    console.sign_in("committee")
    console.open(f"campaign?campaign_id={campaign['id']}")
    row = next(r for r in console.all("table.board tbody tr") if f"{waiting}单位" in r.text)
    assert "未报送" in row.text and "缺报" not in row.text


def test_a_webhook_is_registered_with_named_event_types_and_its_deliveries_listed(console, system):
    unit, _ = unit_with_activity(system)
    console.sign_in("unit", unit)
    console.open("webhooks").fill("register_webhook", {
        "webhook.url": "https://hooks.example.org/leifeng", "webhook.secret": "s" * 20},
        checks=[("webhook.event_types:list", "issue_answered")]).done()
    assert "问题答复" in console.text("table") and "issue_answered" not in console.text("table")
    console.link("https://hooks.example.org/leifeng")
    assert console.all("section.deliveries")
    hook = console.form("delete_webhook").find_element(By.NAME, "webhook_id").get_attribute("value")
    console.fill("delete_webhook", {}, key=hook, checks=[("_confirmed", "1")]).done()  # deleted while shown
    assert "暂无推送地址" in console.text("table") and not console.all("section.deliveries")


def test_the_committee_forwards_a_triage_issue(console, system):
    unit, activity = unit_with_activity(system)
    system.rpc("unit", unit=unit).activity.complete_activity(activity_id=activity["id"],
                                                             report=report_input(category="other"))
    console.sign_in("committee")
    console.open("issues?status=triage")
    triage = '.issue[data-status="triage"]'
    console.refreshed_until(lambda: [c for c in console.all(triage) if unit in c.text], "the triage issue")
    issue = next(c for c in console.all(triage) if unit in c.text).get_attribute("data-issue")
    console.fill("transfer_issue", {"department:null": "elderly-care", "reason": ""}, key=issue)
    assert console.field_errors("reason")  # the API's ValidationError, beside the field, on that issue's form
    console.fill("transfer_issue", {"department:null": "elderly-care", "reason": "属养老服务"}, key=issue).done()
    console.open("issues?department=elderly-care")
    assert console.all(f'.issue[data-issue="{issue}"][data-status="forwarded"]')


def test_a_client_that_is_not_a_browser_gets_refusals_as_problem_json(system):
    # Contract §7: every answer of the gateway that is not a result is problem+json. A browser names
    # text/html in Accept and gets pages; curl or an HTTP library (`*/*`) gets the API's problems.
    page = system.url("gateway", "/console/campaigns")
    signed_in = {"leifeng_console": system.token("committee")}
    as_ops = {"leifeng_console": system.token("ops")}
    answers = {
        401: requests.get(page, timeout=30, allow_redirects=False),
        404: requests.get(system.url("gateway", "/console/nosuchpage"), cookies=signed_in, timeout=30),
        403: requests.get(system.url("gateway", "/console/"), cookies=as_ops, timeout=30, allow_redirects=False),
    }
    for status, answer in answers.items():
        assert answer.status_code == status
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert answer.json()["status"] == status and answer.headers["X-Request-Id"]
        assert "Accept" in answer.headers["Vary"]
    assert answers[401].headers["WWW-Authenticate"] == "Bearer"
    # What Chromium sends when it opens a page.
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"}
    to_sign_in = requests.get(page, headers=browser, timeout=30, allow_redirects=False)
    assert (to_sign_in.status_code, to_sign_in.headers["Location"]) == (303, "/console/signin")
    missing = requests.get(system.url("gateway", "/console/nosuchpage"), cookies=signed_in, headers=browser, timeout=30)
    assert missing.status_code == 404 and missing.headers["Content-Type"].startswith("text/html")


def test_an_error_on_an_item_of_a_list_field_is_shown_at_that_field_with_its_number(console, system):
    unit = code()
    system.rpc().pairing.register_unit(unit=unit_input(unit))
    console.sign_in("committee")
    console.open("campaigns").fill("create_campaign", {
        "campaign.name": "列表字段", "campaign.year:int": "2027", "campaign.report_deadline": "2027-03-09",
        "campaign.unit_codes:list": f"{unit}, NOSUCH1"})
    assert [e for e in console.field_errors("campaign.unit_codes") if e.startswith("第 2 项")]
    assert not console.all('form[data-action="create_campaign"] .alert[data-field]')  # nothing left at the top


def test_a_unit_changes_its_planned_activity(console, system):
    unit, activity = unit_with_activity(system)
    console.sign_in("unit", unit)
    console.open(f"activity?id={activity['id']}")
    console.driver.find_element(By.XPATH, "//details[.//form[@data-action='update_activity']]/summary").click()
    console.fill("update_activity", {"changes.title": "改期走访"}).done()
    assert console.text("h2") == "改期走访"
    assert system.rpc().activity.get_activity(activity_id=activity["id"])["title"] == "改期走访"


def test_a_deactivated_unit_reads_its_pages_but_is_offered_no_form(console, system):
    unit, activity = unit_with_activity(system)
    system.rpc().pairing.deactivate_unit(code=unit)
    console.sign_in("unit", unit)
    for page in ("pairing", "activities", f"activity?id={activity['id']}", "summaries", "issues", "inbox", "webhooks"):
        console.open(page)
        assert "本单位已停用" in console.text(".alert"), page
        assert not console.all("main form[data-action]"), page
    console.open("activities")
    assert activity["title"] in console.text()  # its history is still shown


def test_a_refusal_for_an_issue_no_longer_on_the_board_is_told_at_the_top(console, system):
    unit, activity = unit_with_activity(system)
    system.rpc("unit", unit=unit).activity.complete_activity(activity_id=activity["id"], report=report_input())
    console.sign_in("department", "elderly-care")
    console.open("issues")
    cards = '.issue[data-status="forwarded"]'
    console.refreshed_until(lambda: [c for c in console.all(cards) if unit in c.text], "the forwarded issue")
    issue = next(c for c in console.all(cards) if unit in c.text).get_attribute("data-issue")
    system.rpc().summary.transfer_issue(issue_id=issue, department="child-welfare", reason="属儿童福利")
    console.fill("acknowledge_issue", {}, key=issue)  # the page was drawn before the transfer
    assert not console.all(f'.issue[data-issue="{issue}"]')
    assert console.text('.alert[data-unplaced="acknowledge_issue"]').startswith("未能完成")


def test_a_campaign_is_carried_over_with_its_terms(console, system):
    unit, _ = unit_with_activity(system)
    campaign = system.rpc().pairing.create_campaign(campaign={**campaign_input([unit]), "summary_due_days": 10,
                                                              "remind_days": 5, "region": "天津市"})
    console.sign_in("committee")
    console.open(f"campaign?campaign_id={campaign['id']}")
    console.driver.find_element(By.XPATH, "//details[.//form[@data-action='carry_over_campaign']]/summary").click()
    console.fill("carry_over_campaign", {"campaign.name": f"结转{unit}", "campaign.report_deadline": "2031-03-09",
                                         "campaign.year:int": "2031"}).done()
    carried = next(c for c in system.rpc().pairing.list_campaigns(limit=50)["items"]
                   if c.get("carried_over_from") == campaign["id"])
    assert (carried["summary_due_days"], carried["remind_days"], carried["issue_answer_days"]) == (10, 5, 15)
    assert carried["region"] == "天津市"


def test_pages_are_not_cached_framed_or_scripted_and_their_charts_still_draw(console, system):
    unit, activity = unit_with_activity(system)
    system.rpc("unit", unit=unit).activity.complete_activity(activity_id=activity["id"], report=report_input())
    console.sign_in("committee")
    page = requests.get(system.url("gateway", f"/console/report?campaign_id={activity['campaign_id']}"),
                        cookies={"leifeng_console": console.driver.get_cookie("leifeng_console")["value"]},
                        headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'none'" in page.headers["Content-Security-Policy"]
    # Under that policy the bars' inline widths still apply: the services chart shows the one activity.
    console.open(f"report?campaign_id={activity['campaign_id']}")
    console.refreshed_until(lambda: [bar for bar in console.all(".fill") if bar.size["width"] > 0], "a drawn bar")
