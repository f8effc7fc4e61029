"""What the console refuses, in a real headless Chromium: a unit cannot open another unit's pages
(the API decides, with the unit's own token) nor the committee's; a form with bad input shows the
API's ValidationError next to the field it names and keeps what was typed; a post without the
session's CSRF token changes nothing; sign-out ends the session; the cookie is HttpOnly and Strict."""
import socket

import pytest
import requests
from openpyxl import Workbook
from selenium.webdriver.common.by import By

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


def test_pages_fit_a_phone(console):
    console.sign_in("committee")
    console.driver.set_window_size(390, 844)
    try:
        for page in ("campaigns", "units", "issues"):
            console.open(page)
            assert console.driver.execute_script(
                "return document.documentElement.scrollWidth <= window.innerWidth"), page
        console.screenshot("phone-committee-issues")
    finally:
        console.driver.set_window_size(1280, 1000)


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
