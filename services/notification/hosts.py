"""Whether a webhook's host is public, for WEBHOOK_ALLOW_PRIVATE=false (contract §8). Checked when a
webhook is registered and again before each delivery: a webhook registered while private addresses
were allowed, or whose name has since moved to one, gets nothing while they are not."""
import socket
from urllib.parse import urlsplit

from .domain_webhooks import is_private

UNRESOLVED = "无法解析 URL 的主机名(Host does not resolve)."
PRIVATE = "不允许内网或本机地址(Private addresses are not allowed)."


class NotPublic(Exception):
    """The host does not resolve, or resolves to a private address; the message says which."""


def require_public(url):
    host = urlsplit(url).hostname
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError):
        raise NotPublic(UNRESOLVED) from None
    if any(is_private(address) for address in addresses):
        raise NotPublic(PRIVATE)
