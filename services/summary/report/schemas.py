"""The arguments of the campaign report's RPC (services/summary/schemas.py holds the others)."""
from services.common.schemas import BaseSchema, record_id


class CampaignReportArgs(BaseSchema):
    campaign_id = record_id("campaign", required=True)
