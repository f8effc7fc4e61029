"""Who is calling: RS256 JWTs from the `auth_token` context data, and who may call what.

    python -m services.common.auth keygen [--dir .keys]
    python -m services.common.auth mint --role unit --unit U001 [--key .keys/jwt_private.pem]
"""
import argparse
import functools
import inspect
import logging
import sys
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import jwt
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc

from . import metrics
from .logs import quiet_expected_errors
from .errors import EXPECTED, Forbidden, InternalError, ServiceError, Unauthenticated
from .settings import require_setting

log = logging.getLogger(__name__)

COMMITTEE, UNIT, DEPARTMENT, OPS = "committee", "unit", "department", "ops"
ALGORITHM = "RS256"
LEEWAY_SECONDS = 60


@dataclass
class Caller:
    sub: str
    role: str
    unit: str | None = None
    department: str | None = None
    # Set once the entrypoint has compared the caller with the record it touches.
    ownership_checked: bool = field(default=False, compare=False)

    @property
    def recipient(self):
        if self.role == UNIT:
            return f"unit:{self.unit}"
        if self.role == DEPARTMENT:
            return f"department:{self.department}"
        return "committee"

    @property
    def scope_key(self):
        """Whose request ids these are (contract §3): committee, ops, unit:<code>, department:<code>."""
        return self.role if self.role in (COMMITTEE, OPS) else self.recipient

    def owns(self, unit=None, department=None):
        """True when the caller may act on a record of `unit` / assigned to `department`."""
        self.ownership_checked = True
        if self.role in (COMMITTEE, OPS):
            return True
        if self.role == UNIT:
            return unit is not None and unit == self.unit
        return department is not None and department == self.department

    def require_owner(self, unit=None, department=None):
        if not self.owns(unit=unit, department=department):
            raise Forbidden("无权操作其他单位或司局的记录(Not your record).")

    def scope(self, unit_code=None, department=None):
        """The list filter for this caller: its own unit / department, or what it asked for."""
        self.ownership_checked = True
        if self.role == UNIT:
            if unit_code not in (None, self.unit):
                raise Forbidden("只能查看本单位的记录(Own unit only).")
            return self.unit, department
        if self.role == DEPARTMENT:
            if department not in (None, self.department):
                raise Forbidden("只能查看本司局的记录(Own department only).")
            return unit_code, self.department
        return unit_code, department

    def sees_personal_data(self, owner_unit):
        """Phones and addresses in full for the committee and the owning unit only."""
        return self.role == COMMITTEE or (self.role == UNIT and self.unit == owner_unit)


def verify(token, public_key):
    if not isinstance(token, str) or not token:
        raise Unauthenticated("缺少身份令牌(No token).")
    try:
        claims = jwt.decode(
            token, public_key, algorithms=[ALGORITHM], leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "sub", "role"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("身份令牌已过期(Token expired).") from None
    except jwt.PyJWTError:
        raise Unauthenticated("身份令牌无效(Invalid token).") from None
    role = claims.get("role")
    if role not in (COMMITTEE, UNIT, DEPARTMENT, OPS):
        raise Unauthenticated("身份令牌角色无效(Invalid role).")
    if role == UNIT and not isinstance(claims.get("unit"), str):
        raise Unauthenticated("单位令牌缺少 unit(Unit claim missing).")
    if role == DEPARTMENT and not isinstance(claims.get("department"), str):
        raise Unauthenticated("司局令牌缺少 department(Department claim missing).")
    return Caller(sub=str(claims["sub"]), role=role,
                  unit=claims.get("unit") if role == UNIT else None,
                  department=claims.get("department") if role == DEPARTMENT else None)


class Identity:
    """The per-call view of the caller; verification happens when an entrypoint asks."""

    def __init__(self, token, public_key):
        self._token = token
        self._public_key = public_key
        self.caller = None

    def authenticate(self):
        self.caller = verify(self._token, self._public_key)
        return self.caller


class Auth(DependencyProvider):
    def setup(self):
        # Our errors are answers, not faults: nameko would log each with its traceback, and
        # `allow` has already logged the only unexpected kind (InternalError) under its reference.
        for entrypoint in self.container.entrypoints:
            if isinstance(entrypoint, Rpc):
                entrypoint.expected_exceptions = EXPECTED
        quiet_expected_errors()
        path = require_setting(self.container.config, "JWT_PUBLIC_KEY_FILE")
        try:
            self.public_key = Path(path).read_text()
        except OSError:
            raise SystemExit(f"{self.container.service_name}: JWT_PUBLIC_KEY_FILE {path} cannot be read") from None

    def get_dependency(self, worker_ctx):
        return Identity(worker_ctx.context_data.get("auth_token"), self.public_key)


def internal_error(exc):
    """Log where it failed under a fresh reference; the caller gets only the reference.

    The frames are logged, not the exception's text, which may quote the data being handled."""
    ref = uuid.uuid4().hex[:12]
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("internal error ref=%s: %s\n%s", ref, type(exc).__name__, frames)
    return InternalError(ref)


def allow(*roles, unit=None, department=None):
    """Declare who may call an RPC: `@allow(COMMITTEE, OPS, unit="own")`.

    `unit="own"` / `department="own"` admit those roles for their own records only: the method must
    then call `caller.require_owner` or `caller.scope`, or the call fails rather than leak.
    Checks run in the contract's order: token, role, then the method's own input and record checks.
    """
    restricted = {role for role, rule in ((UNIT, unit), (DEPARTMENT, department)) if rule == "own"}
    admitted = set(roles) | restricted

    def decorate(method):
        @functools.wraps(method)
        def entry(self, *args, **kwargs):
            outcome = "ok"
            try:
                caller = self.auth.authenticate()
                if caller.role not in admitted:
                    raise Forbidden("无权调用此方法(Role not allowed).")
                result = method(self, *args, **kwargs)
                if caller.role in restricted and not caller.ownership_checked:
                    raise RuntimeError(f"{method.__name__} did not check ownership")
                return result
            except ServiceError as exc:
                outcome = type(exc).__name__
                raise
            except Exception as exc:
                outcome = "InternalError"
                raise internal_error(exc) from None
            finally:
                metrics.RPC_CALLS.labels(self.name, method.__name__, outcome).inc()

        # nameko checks call signatures with getcallargs, which reads __signature__, not __wrapped__.
        entry.__signature__ = inspect.signature(method)
        entry.allowed_roles = (tuple(sorted(roles)), tuple(sorted(restricted)))
        return entry

    return decorate


def keygen(directory):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = directory / "jwt_private.pem"
    private.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    private.chmod(0o600)
    public = directory / "jwt_public.pem"
    public.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


def mint(private_key, role, unit=None, department=None, sub=None, ttl=3600):
    claims = {"sub": sub or f"{role}:{unit or department or 'cli'}", "role": role,
              "exp": int(time.time()) + ttl}
    if unit:
        claims["unit"] = unit
    if department:
        claims["department"] = department
    return jwt.encode(claims, private_key, algorithm=ALGORITHM)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m services.common.auth")
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("keygen", help="make an RS256 key pair")
    gen.add_argument("--dir", default=".keys")
    token = commands.add_parser("mint", help="print a signed token")
    token.add_argument("--role", required=True, choices=[COMMITTEE, UNIT, DEPARTMENT, OPS])
    token.add_argument("--unit")
    token.add_argument("--department")
    token.add_argument("--sub")
    token.add_argument("--ttl", type=int, default=3600, help="seconds")
    token.add_argument("--key", default=".keys/jwt_private.pem")
    args = parser.parse_args(argv)
    if args.command == "keygen":
        private, public = keygen(args.dir)
        print(f"private key: {private}\npublic key:  {public}")
        return 0
    if args.role == UNIT and not args.unit or args.role == DEPARTMENT and not args.department:
        parser.error(f"--role {args.role} needs --{args.role}")
    print(mint(Path(args.key).read_text(), args.role, args.unit, args.department, args.sub, args.ttl))
    return 0


if __name__ == "__main__":
    sys.exit(main())
