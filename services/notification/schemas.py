"""Arguments of the notification RPCs."""
import ipaddress
import re
from urllib.parse import urlsplit

from marshmallow import ValidationError as MarshmallowError
from marshmallow import fields, validate

from services.common.idfields import request_id_field
from services.common.schemas import (DEPARTMENT_CODE, UNIT_CODE, BaseSchema, Matching, PageArgs, String, distinct, flag,
                                     record_id)

from .recipients import RECIPIENTS
from .domain_webhooks import DELIVERY_STATUSES

# An inbox: the committee's, a unit's or a department's (codes as contract §1 spells them).
RECIPIENT = rf"^(committee|unit:{UNIT_CODE[1:-1]}|department:{DEPARTMENT_CODE[1:-1]})$"
URL_MAX = 2000
SECRET_MIN, SECRET_MAX = 16, 256


def recipient(**kw):
    return String(validate=Matching(
        RECIPIENT, '收件人应为 "committee"、"unit:<单位代码>" 或 "department:<司局代码>"(Invalid recipient).'), **kw)


def webhook_url(value):
    """http(s) with a host; no credentials in it (the URL is listed, a secret would leak) and no
    fragment (never sent). Whether the host may be private is checked when registering."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  a port out of range raises here
    except ValueError:
        raise MarshmallowError("URL 格式不正确(Invalid URL).") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MarshmallowError("URL 应为 http 或 https 且含主机名(http or https URL with a host).")
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise MarshmallowError("URL 不能含用户名、密码或片段(No credentials or fragment).")
    if parts.port == 0 or not reachable_host(parts.hostname):
        raise MarshmallowError("URL 的主机名或端口无效(Invalid host or port).")


HOST_LABEL = re.compile(r"[A-Za-z0-9_-]{1,63}")


def reachable_host(host):
    """An IP address, or a DNS name that can be looked up: at most 253 characters, each label 1-63
    (a name that cannot be resolved would only fail at every delivery)."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        name = host[:-1] if host.endswith(".") else host
        return len(name) <= 253 and all(HOST_LABEL.fullmatch(label) for label in name.split("."))


class WebhookSpec(BaseSchema):
    recipient = recipient(required=True)
    url = String(required=True, validate=[
        Matching(rf"[!-~]{{1,{URL_MAX}}}", "URL 应为不含空白的 ASCII 字符，至多 2000 个(Printable ASCII, at most 2000)."),
        webhook_url])
    event_types = fields.List(String(validate=validate.OneOf(list(RECIPIENTS))),
                              validate=[validate.Length(min=1, max=len(RECIPIENTS)), distinct],
                              load_default=None, allow_none=True)
    secret = String(required=True, validate=validate.Length(
        min=SECRET_MIN, max=SECRET_MAX, error=f"密钥长度应为 {SECRET_MIN} 到 {SECRET_MAX} 个字符(Secret length)."))


class RegisterWebhookArgs(BaseSchema):
    webhook = fields.Nested(WebhookSpec, required=True)
    request_id = request_id_field(load_default=None, allow_none=True)


class ListWebhooksArgs(PageArgs):
    recipient = recipient(load_default=None, allow_none=True)


class DeleteWebhookArgs(BaseSchema):
    webhook_id = record_id("webhook", required=True)
    request_id = request_id_field(load_default=None, allow_none=True)


class ListDeliveriesArgs(PageArgs):
    webhook_id = record_id("webhook", required=True)
    status = String(validate=validate.OneOf(DELIVERY_STATUSES), load_default=None, allow_none=True)


class RedeliverArgs(BaseSchema):
    delivery_id = record_id("delivery", required=True)
    request_id = request_id_field(load_default=None, allow_none=True)


class ListInboxArgs(PageArgs):
    # Left out, it is the caller's own inbox (the service fills it in before loading).
    recipient = recipient(load_default=None)
    unread_only = flag(load_default=False)


class MarkReadArgs(BaseSchema):
    notification_id = record_id("notification", required=True)
    request_id = request_id_field(load_default=None, allow_none=True)
