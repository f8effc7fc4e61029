"""The demo's view of the system: the gateway's HTTP API (docs/interface.md §10), tokens minted with
the development key, and waiting for what the services settle through events."""
import time
import uuid

import requests

from services.common import auth

READ_ONLY_PREFIXES = ("get_", "list_")
READ_ONLY = {"reporting_progress", "campaign_report"}


class DemoError(RuntimeError):
    """The demo cannot go on; the message says why, in Chinese. `status`: the HTTP status, if any."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


class Caller:
    """One identity (the committee, a unit, a department) calling the gateway."""

    def __init__(self, gateway, token, label):
        self.gateway, self.token, self.label = gateway, token, label

    def __call__(self, service, method, **arguments):
        return self.gateway.call(self.token, service, method, arguments)


class Gateway:
    def __init__(self, url, private_key, timeout=30.0):
        self.url, self.private_key, self.timeout = url.rstrip("/"), private_key, timeout
        self.http = requests.Session()

    def check(self):
        try:
            self.http.get(f"{self.url}/health", timeout=5).raise_for_status()
        except requests.RequestException:
            raise DemoError(f"网关 {self.url} 没有响应：请先在另一个终端运行 make run。") from None

    def serves(self, path):
        """Whether the gateway serves the page at `path` to a browser (one not signed in is led on
        to the sign-in page; any other client gets 401, contract §7)."""
        try:
            return self.http.get(f"{self.url}{path}", headers={"Accept": "text/html"}, timeout=5).status_code == 200
        except requests.RequestException:
            return False

    def caller(self, role, label, unit=None, department=None):
        token = auth.mint(self.private_key, role, unit=unit, department=department, ttl=3600)
        return Caller(self, token, label)

    def call(self, token, service, method, arguments):
        """POST the method's named arguments; a state-changing call carries an Idempotency-Key, so
        it could be retried safely after a lost answer."""
        headers = {"Authorization": f"Bearer {token}"}
        if not (method.startswith(READ_ONLY_PREFIXES) or method in READ_ONLY):
            headers["Idempotency-Key"] = uuid.uuid4().hex
        try:
            answer = self.http.post(f"{self.url}/api/v1/{service}/{method}", json=arguments,
                                    headers=headers, timeout=self.timeout)
        except requests.RequestException:
            raise DemoError(f"调用 {service}.{method} 时网关没有响应。") from None
        if answer.status_code != 200:
            raise DemoError(f"{service}.{method} 失败：{problem(answer)}", answer.status_code)
        return answer.json()


def problem(answer):
    """The problem+json answer in one line (title, status, detail; never the request)."""
    try:
        body = answer.json()
    except ValueError:
        return f"HTTP {answer.status_code}"
    return f"{body.get('title')} ({body.get('status')}): {body.get('detail')}"


def eventually(find, what, timeout=60.0, interval=0.2):
    """Poll `find()` until it returns something truthy: the services settle through events, so a
    fact published by one is seen by another a moment later (until then a record may be NotFound)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = find()
        except DemoError as err:
            if err.status != 404:
                raise
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            raise DemoError(f"等待超时：{what}（{timeout:.0f} 秒）。请查看各服务的日志。")
        time.sleep(interval)
