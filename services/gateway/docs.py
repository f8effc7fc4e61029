"""GET /api/v1/docs: Swagger UI for the OpenAPI document, from the assets of the `swagger-ui-py`
package, served by the gateway itself (no outside network).

`swagger-ui-py` rather than `swagger-ui-bundle`: the latter ships Swagger UI 4.15, which refuses to
render an OpenAPI 3.1 document; swagger-ui-py ships Swagger UI 5. Only its static files are used.

`validatorUrl: null`: otherwise the standalone layout's badge loads an image from validator.swagger.io
(with the document's full URL in the query) whenever the page is opened by a host name that is not
localhost."""
import importlib.util
import mimetypes
from pathlib import Path

from . import problems

ASSETS = ("swagger-ui.css", "index.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
          "favicon-32x32.png", "favicon-16x16.png")

PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="UTF-8">
  <title>学雷锋结对帮扶 HTTP API</title>
  <link rel="stylesheet" href="/api/v1/docs/swagger-ui.css">
  <link rel="stylesheet" href="/api/v1/docs/index.css">
  <link rel="icon" type="image/png" href="/api/v1/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/v1/docs/swagger-ui-bundle.js" charset="UTF-8"></script>
  <script src="/api/v1/docs/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
  <script>
    window.onload = function () {
      window.ui = SwaggerUIBundle({
        url: "/api/v1/openapi.json",
        dom_id: "#swagger-ui",
        deepLinking: true,
        presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
        plugins: [SwaggerUIBundle.plugins.DownloadUrl],
        layout: "StandaloneLayout",
        validatorUrl: null
      });
    };
  </script>
</body>
</html>
"""


def asset_directory():
    """The package's static folder, found without importing it (its handlers import web frameworks)."""
    spec = importlib.util.find_spec("swagger_ui")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def load_assets():
    """{name: (content type, bytes)}, read once at start."""
    directory = asset_directory()
    return {name: (mimetypes.guess_type(name)[0] or "application/octet-stream", (directory / name).read_bytes())
            for name in ASSETS}


def asset(assets, name):
    if name not in assets:
        raise problems.not_found()
    return assets[name]
