"""Arguments of the notification RPCs."""
from marshmallow import fields, validate

from services.common.schemas import DEPARTMENT_CODE, UNIT_CODE, BaseSchema, PageArgs, flag, record_id

# An inbox: the committee's, a unit's or a department's (codes as contract §1 spells them).
RECIPIENT = rf"^(committee|unit:{UNIT_CODE[1:-1]}|department:{DEPARTMENT_CODE[1:-1]})$"


class ListInboxArgs(PageArgs):
    recipient = fields.String(required=True, validate=validate.Regexp(
        RECIPIENT, error='收件人应为 "committee"、"unit:<单位代码>" 或 "department:<司局代码>"(Invalid recipient).'))
    unread_only = flag(load_default=False)


class MarkReadArgs(BaseSchema):
    notification_id = record_id(required=True)
