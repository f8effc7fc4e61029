"""The console's session (issue 13): the caller's token in an HttpOnly, SameSite=Strict cookie read
only under /console/, and a per-session CSRF token kept in a second cookie and repeated in a hidden
field of every form (double submit; SameSite=Strict stops cross-site posts as well).

DEV_SIGN_IN=true (set by `make run`) lets the sign-in page mint a token with the development private
key; the gateway then listens on 127.0.0.1 only, whatever WEB_SERVER_ADDRESS says."""
import hmac
import secrets
from pathlib import Path

from services.common import auth

from .. import problems

TOKEN_COOKIE = "leifeng_console"
CSRF_COOKIE = "leifeng_csrf"
CSRF_FIELD = "_csrf"
PATH = "/console/"
DEV_TOKEN_TTL = 8 * 3600
LOOPBACK = "127.0.0.1"  # where the gateway listens while DEV_SIGN_IN is on (http.py)


def _cookie(response, name, value, request):
    response.set_cookie(name, value, path=PATH, httponly=True, samesite="Strict", secure=request.is_secure)


def csrf_token(request):
    """The session's CSRF token, or None before the sign-in page has made one."""
    return request.cookies.get(CSRF_COOKIE)


def new_csrf():
    return secrets.token_urlsafe(32)


def keep_csrf(request, response, token):
    _cookie(response, CSRF_COOKIE, token, request)


def check_csrf(request):
    expected, given = csrf_token(request) or "", request.form.get(CSRF_FIELD, "")
    if not (expected and hmac.compare_digest(expected.encode(), given.encode())):
        raise problems.Problem(403, "Forbidden", "表单已失效, 请刷新页面后重试(CSRF check failed).")


def sign_in(request, response, token):
    _cookie(response, TOKEN_COOKIE, token, request)
    # A new session gets a new CSRF token: one seen before sign-in is not trusted after it.
    keep_csrf(request, response, new_csrf())


def sign_out(response):
    for name in (TOKEN_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path=PATH, httponly=True, samesite="Strict")


def enabled(config):
    return str(config.get("DEV_SIGN_IN") or "false").lower() == "true"


def dev_key(config):
    """The development private key, next to the public key `make run` made in .keys/."""
    if not enabled(config):
        return None
    path = config.get("DEV_SIGNING_KEY_FILE") or Path(config["JWT_PUBLIC_KEY_FILE"]).with_name("jwt_private.pem")
    try:
        return Path(path).read_text()
    except OSError:
        raise SystemExit(f"gateway: DEV_SIGN_IN=true but {path} cannot be read") from None


def dev_token(key, config, role, code):
    """A development token for the picker's choice; a bad code is refused by the services' own check."""
    unit = code if role == auth.UNIT else None
    department = code if role == auth.DEPARTMENT else None
    return auth.mint(key, role, unit=unit, department=department, ttl=DEV_TOKEN_TTL,
                     issuer=config.get("JWT_ISSUER") or auth.DEFAULT_ISSUER)
