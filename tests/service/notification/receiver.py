"""A webhook receiver for the tests of every tier: a real HTTP server (werkzeug) on 127.0.0.1 in a
thread, as a department's system would run one."""
import threading
from contextlib import contextmanager

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.helpers import wait_until


class Receiver:
    """A department's webhook endpoint: every request kept (on arrival); per path, the statuses to
    answer in turn (the last one repeats, default 200) and how long to wait before answering."""

    def __init__(self):
        self.requests = []
        self.statuses = {}
        self.delays = {}
        # Requests being answered at this moment, and the most there ever were, per path.
        self.open = {}
        self.most_open = {}
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path):
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    @Request.application
    def app(self, request):
        path = request.path
        self.requests.append({"path": path, "headers": dict(request.headers), "body": request.get_data()})
        self.open[path] = self.open.get(path, 0) + 1
        self.most_open[path] = max(self.most_open.get(path, 0), self.open[path])
        if path in self.delays:
            threading.Event().wait(self.delays[path])
        self.open[path] -= 1
        statuses = self.statuses.get(path, [200])
        status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
        return Response("ok", status=status)

    def at(self, path):
        return [r for r in self.requests if r["path"] == path]

    def wait_for(self, path, count=1, timeout=10):
        return wait_until(lambda: len(self.at(path)) >= count and self.at(path), timeout=timeout,
                          message=f"{count} request(s) at {path}")

    @classmethod
    @contextmanager
    def running(cls):
        server = cls()
        server.thread.start()
        try:
            yield server
        finally:
            server.server.shutdown()
