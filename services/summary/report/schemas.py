"""The arguments of the campaign report's RPC (services/summary/schemas.py holds the others)."""
from services.common.idfields import record_id
from services.common.schemas import BaseSchema


class CampaignReportArgs(BaseSchema):
    campaign_id = record_id("campaign", required=True)
