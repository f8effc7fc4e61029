"""The campaign report on real RabbitMQ and Redis: events in, `summary.campaign_report` out.

The container runs only the report's entrypoints (`ReportProbe`), so the scripted summary and issue
events are the only ones it counts (the full summary service would also raise its own). Those, and
`activity_completed`, are counted by the summary service's transactions that emit or handle them,
never from a queue: the scripted ones are counted here through the report's store, each in a
transaction of its own as summary's do (test_summaries.py counts the real ones)."""
import json
import zipfile

import openpyxl
import pytest
import redis
import yaml

from bench.campaign_report import campaign_created, redis_commands, seed
from services.common.auth import Auth
from services.common.ids import new_id
from services.summary.report import export
from services.summary.report.service import ReportEndpoints
from tests import report_scenario as scenario
from tests.conftest import TEST_REDIS_URL
from tests.helpers import publish_envelope, remote_error, wait_until
from tests.service.fake_pairing import CALLERS, CAMPAIGNS, FakePairingService


class ReportProbe(ReportEndpoints):
    name = "summary"
    auth = Auth()


@pytest.fixture
def probe(start_service):
    # No outbox relay polling Redis while commands are counted; a silent pairing answered soon.
    return start_service(ReportProbe, OUTBOX_RELAY_INTERVAL=3600, PAIRING_RPC_TIMEOUT=0.5)


def handled(redis_client):
    return {key.rsplit(":", 1)[1] for key in redis_client.scan_iter("summary:handled:*")}


def publish_all(amqp_uri, emitted):
    """The scripted events as their sources publish them, each at the time of its change."""
    return [publish_envelope(amqp_uri, e.envelope()) for e in emitted]


def report_store(container):
    storage = next(d for d in container.dependencies if d.attr_name == "report_store")
    return storage.make_store()


def counted_where_made(emitted):
    return emitted.source == "summary" or emitted.event_type == "activity_completed"


def count_golden_campaign(probe, redis_client, amqp_uri):
    emitted = scenario.golden_campaign()
    store = report_store(probe)
    for made in filter(counted_where_made, emitted):
        store.count([made.envelope()])
    published = publish_all(amqp_uri, [e for e in emitted if not counted_where_made(e)])
    # Redelivered after a lost ack: the same envelope, the same event_id.
    publish_envelope(amqp_uri, next(p for p in published if p["event_type"] == "activity_planned"))
    wait_until(lambda: handled(redis_client) == {p["event_id"] for p in published}, timeout=20,
               message="every scripted event counted")


def test_the_scripted_campaign_gives_the_golden_report(probe, rpc, redis_client, service_config):
    count_golden_campaign(probe, redis_client, service_config["AMQP_URI"])
    report = rpc("committee").summary.campaign_report(scenario.CAMPAIGN)
    assert scenario.mismatches(report, scenario.golden_report()) == []


def test_a_carried_over_campaign_is_compared_with_the_one_it_continues(probe, rpc, redis_client, service_config):
    count_golden_campaign(probe, redis_client, service_config["AMQP_URI"])
    # As pairing's carry_over_campaign announces next year's campaign.
    script = scenario.Script()
    record = scenario.campaign(script)
    following = {**record, "id": new_id("campaign"), "year": 2025, "carried_over_from": scenario.CAMPAIGN}
    script.emitted.clear()
    script.emit("pairing", "campaign_created", following)
    [event] = publish_all(service_config["AMQP_URI"], script.emitted)
    wait_until(lambda: event["event_id"] in handled(redis_client), message="next year's campaign counted")
    report = rpc().summary.campaign_report(following["id"])
    golden = scenario.golden_report()
    assert scenario.mismatches(report["compared_with"], {
        "campaign_id": scenario.CAMPAIGN, **{name: golden[name] for name in
                                             ("units", "activities", "volunteers", "beneficiaries", "problems",
                                              "issues")}}) == []
    assert report["units"]["total"] == 4 and report["activities"]["completed"] == 0
    assert rpc().summary.campaign_report(scenario.CAMPAIGN)["compared_with"] is None


def test_a_carried_over_campaign_not_counted_yet_is_compared_as_pairing_tells(probe, fake_pairing, rpc,
                                                                              redis_client, service_config):
    count_golden_campaign(probe, redis_client, service_config["AMQP_URI"])
    following = new_id("campaign")
    CAMPAIGNS[following] = {"id": following, "name": "2025年学雷锋", "carried_over_from": scenario.CAMPAIGN}
    report = rpc().summary.campaign_report(following)
    assert (report["as_of"], report["activities"]["completed"]) == (None, 0)
    assert report["compared_with"]["campaign_id"] == scenario.CAMPAIGN
    assert report["compared_with"]["activities"] == scenario.golden_report()["activities"]


@pytest.fixture
def export_args(service_config, tmp_path):
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump({"AMQP_URI": service_config["AMQP_URI"], "serializer": "json"}))
    return ["--config", str(config)]


def test_the_export_asks_the_service_with_a_token_and_writes_the_workbook(probe, redis_client, service_config,
                                                                          export_args, make_token, tmp_path):
    count_golden_campaign(probe, redis_client, service_config["AMQP_URI"])
    output = tmp_path / "report.xlsx"
    assert export.main([scenario.CAMPAIGN, str(output), *export_args, "--token", make_token("ops")]) == 0
    book = openpyxl.load_workbook(output)
    assert book.sheetnames == ["总览", "结对情况", "各单位", "各司局"]
    assert book["总览"]["A3"].value == "数据截至:2024-03-28T00:00:00+08:00"
    assert [row[:3] for row in book["结对情况"].iter_rows(min_row=2, values_only=True)] == [
        ("U1", "办公厅", "已批准"), ("U2", "规划财务司", "已报送待审核"), ("U3", "机关服务局", "已批准"),
        ("U4", "中国社会报社", "已撤回")]
    assert [row[0] for row in book["各单位"].iter_rows(min_row=2, values_only=True)] == ["U1", "U2", "U3", "U4"]
    assert next(book["各司局"].iter_rows(min_row=2, values_only=True))[:3] == ("child-welfare", "儿童福利司", 2)
    with zipfile.ZipFile(output) as package:
        assert "xl/charts/chart1.xml" in package.namelist()


def test_the_export_takes_its_token_from_the_environment(probe, redis_client, service_config, export_args,
                                                         make_token, tmp_path, monkeypatch):
    count_golden_campaign(probe, redis_client, service_config["AMQP_URI"])
    monkeypatch.setenv("LEIFENG_TOKEN", make_token("committee"))
    output = tmp_path / "report.xlsx"
    assert export.main([scenario.CAMPAIGN, str(output), *export_args]) == 0
    assert openpyxl.load_workbook(output).sheetnames[0] == "总览"


@pytest.mark.parametrize("token, reason", [
    (None, "缺少令牌"), ("not-a-token", "令牌无效或已过期"), ("unit", "该令牌无权导出报表")])
def test_the_export_without_a_valid_committee_token_fails_with_a_reason(probe, export_args, make_token, tmp_path,
                                                                        capsys, monkeypatch, token, reason):
    monkeypatch.delenv("LEIFENG_TOKEN", raising=False)
    given = {None: [], "unit": ["--token", make_token("unit", unit="U1")]}.get(token, ["--token", token])
    output = tmp_path / "report.xlsx"
    assert export.main([scenario.CAMPAIGN, str(output), *export_args, *given]) == 1
    assert reason in capsys.readouterr().err
    assert not output.exists()


def test_the_export_of_an_unknown_campaign_fails_with_a_reason(probe, fake_pairing, export_args, make_token, tmp_path,
                                                               capsys):
    output = tmp_path / "report.xlsx"
    assert export.main([new_id("campaign"), str(output), *export_args, "--token", make_token()]) == 1
    assert "未找到该活动" in capsys.readouterr().err
    assert not output.exists()


def test_ops_reads_the_report_and_a_new_campaign_counts_zero(probe, rpc, redis_client, service_config):
    script = scenario.Script()
    scenario.campaign(script)
    [event] = publish_all(service_config["AMQP_URI"], script.emitted)
    wait_until(lambda: event["event_id"] in handled(redis_client), message="campaign counted")
    report = rpc("ops").summary.campaign_report(scenario.CAMPAIGN)
    assert report["units"] == {"total": 4, "reported": 0, "reported_on_time": 0, "approved": 0, "by_status": [
        {"unit_code": code, "status": "not_reported", "late": False, "reminders": 0}
        for code in ("U1", "U2", "U3", "U4")]}
    assert report["as_of"] == "2024-02-20T09:00:00+08:00" and report["compared_with"] is None
    assert report["activities"] == {"planned": 0, "completed": 0, "cancelled": 0}
    assert report["issues"]["response_rate"] is None
    assert [row["unit_code"] for row in report["by_unit"]] == ["U1", "U2", "U3", "U4"]


@pytest.mark.parametrize("role, claims", [("unit", {"unit": "U1"}),
                                         ("department", {"department": "elderly-care"})])
def test_only_the_committee_and_ops_may_read_the_report(probe, rpc, role, claims):
    error = remote_error(lambda: rpc(role, **claims).summary.campaign_report(scenario.CAMPAIGN))
    assert error.exc_type == "Forbidden"


def test_the_report_needs_a_token(probe, rpc):
    assert remote_error(lambda: rpc(token=False).summary.campaign_report("C1")).exc_type == "Unauthenticated"


def test_the_role_is_checked_before_the_input(probe, rpc):
    assert remote_error(lambda: rpc("unit", unit="U1").summary.campaign_report("")).exc_type == "Forbidden"


@pytest.mark.parametrize("campaign_id", ["", None, 42, [scenario.CAMPAIGN], "c" * 101, "C-2024",
                                         f"{scenario.CAMPAIGN}:totals"])
def test_a_bad_campaign_id_is_a_validation_error_naming_it(probe, rpc, campaign_id):
    error = remote_error(lambda: rpc().summary.campaign_report(campaign_id))
    assert error.exc_type == "ValidationError"
    assert list(json.loads(error.value)) == ["campaign_id"]


@pytest.fixture
def fake_pairing(start_service):
    CAMPAIGNS.clear()
    CALLERS.clear()
    yield start_service(FakePairingService)
    CAMPAIGNS.clear()
    CALLERS.clear()


def test_a_campaign_pairing_does_not_know_is_not_found(probe, fake_pairing, rpc):
    assert remote_error(lambda: rpc().summary.campaign_report(new_id("campaign"))).exc_type == "NotFound"


def test_without_pairing_a_campaign_of_no_counted_event_is_unavailable(probe, rpc):
    assert remote_error(lambda: rpc().summary.campaign_report(new_id("campaign"))).exc_type == "Unavailable"


def test_a_known_campaign_before_any_counted_event_has_the_empty_report(probe, fake_pairing, rpc):
    campaign_id = new_id("campaign")
    CAMPAIGNS[campaign_id] = {"id": campaign_id, "name": "2027年学雷锋", "carried_over_from": None}
    report = rpc("ops").summary.campaign_report(campaign_id)
    assert (report["campaign_id"], report["name"], report["as_of"], report["compared_with"]) == (
        campaign_id, "2027年学雷锋", None, None)
    assert report["units"] == {"total": 0, "reported": 0, "reported_on_time": 0, "approved": 0, "by_status": []}
    assert report["activities"] == {"planned": 0, "completed": 0, "cancelled": 0}
    assert report["issues"]["response_rate"] is None and report["by_unit"] == []
    assert [(caller.role, caller.unit) for caller in CALLERS] == [("ops", None)]  # asked in the caller's name


BIG = new_id("campaign")


def test_the_report_sends_as_many_redis_commands_at_10000_activities_as_at_100(probe, rpc, redis_client):
    store = report_store(probe)
    store.count([campaign_created(BIG)])
    proxy = rpc()
    monitor = redis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    counts = {}
    for first, size in ((0, 100), (100, 10_000)):
        seed(store, BIG, first, size - first)
        assert proxy.summary.campaign_report(BIG)["activities"]["completed"] == size
        commands = redis_commands(monitor, redis_client, lambda: proxy.summary.campaign_report(BIG),
                                  redis_client.connection_pool.connection_kwargs["db"], f"report:{BIG}:")
        counts[size] = commands
    names = {size: [command.split()[0] for command in commands] for size, commands in counts.items()}
    assert names[100] == names[10_000]
    assert names[100] == ["MULTI", "GET", "HGETALL", "HGETALL", "HGETALL", "HGETALL", "HGETALL", "GET", "EXEC"]
