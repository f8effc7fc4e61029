"""Fixtures of the summary service tests: the running service, and completed activities put on
the bus as the activity service would put them."""
import pytest

from services.summary.service import SummaryService
from tests.helpers import publish_event, wait_until
from tests.service.summary.helpers import (activity, announce_campaign, campaign, projected_seq, published,
                                          wait_for_seed)


@pytest.fixture
def summary_service(start_service, redis_client):
    container = start_service(SummaryService)
    wait_for_seed(redis_client)
    return container


@pytest.fixture
def complete(service_config, redis_client):
    """`complete(problems, ...)` announces a completed activity and waits for its summary request.

    As in the running system, the campaign is announced first (`campaign_created` with the default
    terms) unless a test announced it already."""
    def announce(problems=(), unit_code="U001", campaign_id="c1", completed_at=None, wait=True):
        if projected_seq(redis_client, campaign_id) is None:
            announce_campaign(service_config, redis_client, "campaign_created", campaign(campaign_id), seq=1)
        data = activity(problems, unit_code, campaign_id, completed_at)
        envelope = publish_event(service_config["AMQP_URI"], "activity", "activity_completed", data["id"], data,
                                 seq=data["revision"])
        if wait:
            wait_until(lambda: redis_client.exists(f"summary:activity:{envelope['subject']}"),
                       message="summary requested")
            published(redis_client)
        return envelope
    return announce
