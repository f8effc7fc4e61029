"""The pairing RPCs' arguments (contract §3): one `...Args` schema per RPC."""
from marshmallow import ValidationError as MarshmallowError
from marshmallow import fields, validate, validates, validates_schema

from services.common import schemas as common
from services.common.calls import ChangeArgs
from services.common.schemas import (
    BaseSchema, PageArgs, choice, distinct, email, flag, many, phone, record_id, text, unit_code,
)
from services.common.vocabulary import BEIJING, SERVICE_TYPES, TARGET_CATEGORIES, TARGET_KINDS

from .records import STATUSES

DECISIONS = ("approve", "reject")


def days(minimum, maximum, **kw):
    return fields.Integer(strict=True, validate=validate.Range(min=minimum, max=maximum), **kw)


class CampaignChanges(BaseSchema):
    """What `update_campaign` may change; the region stays (existing reports were checked against it)."""

    name = common.name()
    year = fields.Integer(strict=True, validate=validate.Range(min=2000, max=2100))
    report_deadline = common.Day()
    remind_days = days(0, 60)
    summary_due_days = days(1, 365)
    issue_ack_days = days(1, 365)
    issue_answer_days = days(1, 365)
    unit_codes = many(unit_code(), minimum=1, allow_none=True)

    @validates("unit_codes")
    def no_repeats(self, value, **kwargs):
        distinct(value)

    @validates_schema
    def some_change(self, data, **kwargs):
        if not data:
            raise MarshmallowError("至少需要一项修改(Nothing to change).")


class Campaign(BaseSchema):
    name = common.name(required=True)
    year = fields.Integer(required=True, strict=True, validate=validate.Range(min=2000, max=2100))
    region = common.name(load_default=BEIJING)
    report_deadline = common.Day(required=True)
    remind_days = days(0, 60, load_default=3)
    summary_due_days = days(1, 365, load_default=7)
    issue_ack_days = days(1, 365, load_default=2)
    issue_answer_days = days(1, 365, load_default=15)
    unit_codes = many(unit_code(), minimum=1, load_default=None, allow_none=True)

    @validates("unit_codes")
    def no_repeats(self, value, **kwargs):
        distinct(value)

    @validates_schema
    def year_of_deadline(self, data, **kwargs):
        if "year" in data and "report_deadline" in data and data["year"] != data["report_deadline"].year:
            raise MarshmallowError("年度须与报送截止日期的年份一致(Year must be the deadline's year).", "year")


class CreateCampaignArgs(ChangeArgs):
    campaign = fields.Nested(Campaign, required=True)


class UpdateCampaignArgs(ChangeArgs):
    campaign_id = record_id("campaign", required=True)
    changes = fields.Nested(CampaignChanges, required=True)


class CarryOverCampaignArgs(ChangeArgs):
    """`carry_over_campaign`: the earlier campaign and the new one's terms, as for `create_campaign`."""

    campaign_id = record_id("campaign", required=True)
    campaign = fields.Nested(Campaign, required=True)


class CampaignArgs(BaseSchema):
    """`get_campaign` and `reporting_progress`."""

    campaign_id = record_id("campaign", required=True)


class ListCampaignsArgs(PageArgs):
    pass


class Unit(BaseSchema):
    code = unit_code(required=True)
    name = common.name(required=True)
    party_org = common.name(required=True)
    contact_name = common.name(required=True)
    contact_phone = phone(required=True)
    contact_email = email(required=True)


class RegisterUnitArgs(ChangeArgs):
    unit = fields.Nested(Unit, required=True)


class UnitArgs(BaseSchema):
    """`get_unit`."""

    code = unit_code(required=True)


class DeactivateUnitArgs(UnitArgs, ChangeArgs):
    pass


class ListUnitsArgs(PageArgs):
    active = flag(load_default=None, allow_none=True)


class Target(BaseSchema):
    name = common.name(required=True)
    category = choice(TARGET_CATEGORIES, required=True)
    kind = choice(TARGET_KINDS, required=True)
    # Which districts are valid depends on the campaign's region: checked by the domain.
    district = common.name(required=True)
    address = text(required=True)
    contact_name = common.name(required=True)
    contact_phone = phone(required=True)
    needs = many(choice(SERVICE_TYPES), minimum=1, required=True)
    notes = text()

    @validates("needs")
    def no_repeats(self, value, **kwargs):
        distinct(value)


class ReportPairingArgs(ChangeArgs):
    campaign_id = record_id("campaign", required=True)
    unit_code = unit_code(required=True)
    target = fields.Nested(Target, required=True)


class PairingArgs(BaseSchema):
    """`get_pairing`."""

    pairing_id = record_id("pairing", required=True)


class WithdrawPairingArgs(PairingArgs, ChangeArgs):
    pass


class ReviewPairingArgs(ChangeArgs):
    pairing_id = record_id("pairing", required=True)
    decision = choice(DECISIONS, required=True)
    comment = text(allow_none=True)


class ListPairingsArgs(PageArgs):
    campaign_id = record_id("campaign", required=True)
    status = choice(STATUSES, load_default=None, allow_none=True)
    unit_code = unit_code(load_default=None, allow_none=True)
