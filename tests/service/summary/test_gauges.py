"""summary's business gauges for /metrics (issue 15): summaries overdue and issues overdue per
department, counted from the `open:` indexes its saves keep, at any `now`."""
from datetime import timedelta

import pytest
import requests

from services.common import clock
from services.summary.store import SummaryStore
from tests.service.summary.helpers import routed_issue

pytestmark = pytest.mark.usefixtures("summary_service")


def gauges(redis_client, now):
    store = SummaryStore(redis_client, "summary:", "summary", None)
    return {(name, tuple(labels.items())): value for name, _, labels, value in store.gauges(now)}


def test_summaries_and_issues_count_as_overdue_once_their_deadline_has_passed(rpc, complete, redis_client):
    issue = routed_issue(rpc, complete)
    routed_issue(rpc, complete, "U002", "child_welfare")
    elderly, children = ("leifeng_issues_overdue", (("department", "elderly-care"),)), \
        ("leifeng_issues_overdue", (("department", "child-welfare"),))
    summaries = ("leifeng_summaries_overdue", ())
    now = gauges(redis_client, clock.now())
    assert (now[summaries], now[elderly], now[children]) == (0, 0, 0)

    later = clock.now() + timedelta(days=400)  # past every summary's and issue's deadline
    assert (gauges(redis_client, later)[summaries], gauges(redis_client, later)[elderly]) == (2, 1)

    # Acknowledged, the issue must still be answered; answered, it is no longer open.
    rpc(role="department", department="elderly-care").summary.acknowledge_issue(issue["id"])
    assert gauges(redis_client, later)[elderly] == 1
    rpc(role="department", department="elderly-care").summary.answer_issue(
        issue["id"], {"measures": "已协调社区养老驿站助餐", "resolved": True})
    assert (gauges(redis_client, later)[elderly], gauges(redis_client, later)[children]) == (0, 1)


def test_the_gauges_are_on_metrics(summary_service, service_config, rpc, complete):
    routed_issue(rpc, complete)
    text = requests.get(f"http://{service_config['WEB_SERVER_ADDRESS']}/metrics", timeout=5).text
    assert 'leifeng_issues_overdue{department="elderly-care",service="summary"} 0.0' in text
    assert 'leifeng_summaries_overdue{service="summary"} 0.0' in text
    assert 'leifeng_dead_letters{service="summary"} 0.0' in text
