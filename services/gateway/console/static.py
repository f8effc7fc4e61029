"""The console's static assets (services/gateway/console/static/), read once at start and served by
the gateway itself: no outside network at run time."""
import mimetypes
from pathlib import Path

from werkzeug.wrappers import Response

from .. import problems

FOLDER = Path(__file__).parent / "static"


def load():
    return {path.name: path.read_bytes() for path in FOLDER.iterdir() if path.is_file()}


def response(assets, name):
    if name not in assets:
        raise problems.not_found()
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Response(assets[name], content_type=content_type, headers={"Cache-Control": "max-age=3600"})
