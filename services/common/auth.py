"""Who is calling: RS256 JWTs from the `auth_token` context data, and who may call what.

    python -m services.common.auth keygen [--dir .keys]
    python -m services.common.auth mint --role unit --unit U001 [--key .keys/jwt_private.pem]
"""
import argparse
import functools
import inspect
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import jwt
from nameko.exceptions import IncorrectSignature
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc as NamekoRpc

from . import correlation, metrics
from .audit import AuditTrail, CallAudit, record_of
from .errors import EXPECTED, Forbidden, Unauthenticated
from .logs import quiet_expected_errors
from .rpc import Rpc, answer_for, arguments, check_unicode, fitting, is_read_only
from .schemas import DEPARTMENT_CODE, UNIT_CODE
from .settings import number, require_setting
from .storage import resources

COMMITTEE, UNIT, DEPARTMENT, OPS = "committee", "unit", "department", "ops"
ALGORITHM = "RS256"
LEEWAY_SECONDS = 60
DEFAULT_ISSUER = "leifeng"
AUDIENCE = "leifeng"
DEFAULT_MAX_TTL = 43200  # seconds: JWT_MAX_TTL
MAX_TOKEN_LENGTH = 8192
KEPT_TOKENS = 256  # at most 256 x 8 KiB kept per process


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


def verify(token, public_key, issuer=DEFAULT_ISSUER, max_ttl=DEFAULT_MAX_TTL):
    """The caller a token names, or `Unauthenticated` (contract §3 Identity, v2 claims included)."""
    return caller_of(verified_claims(token, public_key, issuer, max_ttl))


def verified_claims(token, public_key, issuer, max_ttl):
    if not isinstance(token, str) or not token:
        raise Unauthenticated("缺少身份令牌(No token).")
    claims = decode(token, public_key, issuer)
    check_lifetime(claims, max_ttl)
    return claims


def decode(token, public_key, issuer):
    if len(token) > MAX_TOKEN_LENGTH:
        raise Unauthenticated("身份令牌无效(Invalid token).")
    try:
        return jwt.decode(
            token, public_key, algorithms=[ALGORITHM], leeway=LEEWAY_SECONDS, issuer=issuer,
            audience=AUDIENCE, options={"require": ["exp", "iat", "iss", "aud", "sub", "role"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("身份令牌已过期(Token expired).") from None
    except (jwt.PyJWTError, UnicodeError, ValueError, TypeError):
        # UnicodeError: a lone surrogate in the token cannot even be encoded to be checked.
        raise Unauthenticated("身份令牌无效(Invalid token).") from None


def is_numeric_date(value):
    """RFC 7519's NumericDate is a JSON number; PyJWT also takes text that reads as one."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_lifetime(claims, max_ttl):
    """`iat`, `exp` (and `nbf`, if given) numbers, `iat` no more than the leeway ahead of our clock,
    and `exp - iat` within JWT_MAX_TTL and not negative (a token cannot expire before it is issued)."""
    dates = [claims[name] for name in ("iat", "exp", "nbf") if name in claims]
    if not all(map(is_numeric_date, dates)):
        raise Unauthenticated("身份令牌无效(Invalid token).")
    issued, expires = claims["iat"], claims["exp"]
    if issued > time.time() + LEEWAY_SECONDS:
        raise Unauthenticated("身份令牌签发时间在未来(Token issued in the future).")
    if expires - issued > max_ttl:
        raise Unauthenticated("身份令牌有效期过长(Token lifetime too long).")
    if expires < issued:
        raise Unauthenticated("身份令牌在签发前已过期(Token expires before it is issued).")


def caller_of(claims):
    role = claims.get("role")
    if role not in (COMMITTEE, UNIT, DEPARTMENT, OPS):
        raise Unauthenticated("身份令牌角色无效(Invalid role).")
    if role == UNIT and not well_formed(UNIT_CODE, claims.get("unit")):
        raise Unauthenticated("单位令牌的 unit 无效(Unit claim missing or invalid).")
    if role == DEPARTMENT and not well_formed(DEPARTMENT_CODE, claims.get("department")):
        raise Unauthenticated("司局令牌的 department 无效(Department claim missing or invalid).")
    return Caller(sub=str(claims["sub"]), role=role,
                  unit=claims.get("unit") if role == UNIT else None,
                  department=claims.get("department") if role == DEPARTMENT else None)


def well_formed(pattern, value):
    return isinstance(value, str) and re.fullmatch(pattern, value) is not None


@dataclass(frozen=True)
class Verifier:
    """Checks tokens, and keeps the claims of the last `KEPT_TOKENS` it accepted until they expire:
    a caller sends the same token call after call, and checking its RS256 signature each time was
    6% of a busy service's CPU. A kept token is accepted exactly while `verify` would accept it
    again: its signature, issuer, audience and lifetime do not change, and a token is refused as
    expired once `exp` plus the leeway has passed, when it is checked afresh."""
    public_key: str
    issuer: str = DEFAULT_ISSUER
    max_ttl: float = DEFAULT_MAX_TTL
    kept: dict = field(default_factory=dict, compare=False, repr=False)

    def verify(self, token):
        claims = self.kept.get(token) if isinstance(token, str) else None
        if claims is None or time.time() >= int(claims["exp"]) + LEEWAY_SECONDS:
            claims = verified_claims(token, self.public_key, self.issuer, self.max_ttl)
            self.keep(token, claims)
        return caller_of(claims)  # a fresh Caller per call: it records the call's ownership check

    def keep(self, token, claims):
        self.kept.pop(token, None)
        if len(self.kept) >= KEPT_TOKENS:
            self.kept.pop(next(iter(self.kept)))  # the oldest kept
        self.kept[token] = claims


class Identity:
    """The per-call view of the caller; verification happens when an entrypoint asks."""

    def __init__(self, token, verifier, trail=None, correlation_id=None, call_audit=None):
        self._token = token
        self._verifier = verifier
        self._trail = trail
        self._correlation_id = correlation_id
        self._call_audit = call_audit or CallAudit()
        self.caller = None

    @property
    def verifier(self):
        """How tokens are checked here (the console checks a token before keeping it)."""
        return self._verifier

    def authenticate(self):
        self.caller = self._verifier.verify(self._token)
        return self.caller

    def begin_audit(self, method, named_arguments):
        """A state-changing call begins: its entry goes with the first transaction it commits
        (`CallAudit`), else `end_audit` writes it. `named_arguments()` gives the call's arguments."""
        if self._trail is not None:
            self._call_audit.begin(self._trail, lambda result, outcome: self._trail.entry(
                method, self.caller, record_of(result, named_arguments()), outcome, self._correlation_id))

    def end_audit(self, result, outcome):
        self._call_audit.finish(result, outcome)


def guarded(entrypoint, service):
    """A service mixing nameko's own `rpc` with ours would run two consumers on its one queue,
    and nameko's would take hostile requests unchecked: refuse to start instead."""
    if not isinstance(entrypoint, Rpc):
        raise SystemExit(f"{service}.{entrypoint.method_name} uses nameko.rpc.rpc: "
                         "use services.common.rpc.rpc")


class Auth(DependencyProvider):
    def setup(self):
        # Our errors are answers, not faults: nameko would log each with its traceback, and
        # `allow` has already logged the only unexpected kind (InternalError) under its reference.
        for entrypoint in self.container.entrypoints:
            if isinstance(entrypoint, NamekoRpc):
                guarded(entrypoint, self.container.service_name)
                entrypoint.expected_exceptions = (*EXPECTED, IncorrectSignature)
        quiet_expected_errors()
        config = self.container.config
        path = require_setting(config, "JWT_PUBLIC_KEY_FILE")
        try:
            public_key = Path(path).read_text()
        except OSError:
            raise SystemExit(f"{self.container.service_name}: JWT_PUBLIC_KEY_FILE {path} cannot be read") from None
        self.verifier = Verifier(public_key, config.get("JWT_ISSUER") or DEFAULT_ISSUER,
                                 number(config, "JWT_MAX_TTL", DEFAULT_MAX_TTL))
        self.trail = AuditTrail.for_container(self.container, resources(self.container).client)

    def get_dependency(self, worker_ctx):
        context = worker_ctx.context_data
        # The same id as the call's log lines and events (made here if the call came without one).
        return Identity(context.get("auth_token"), self.verifier, self.trail, correlation.ensure(context),
                        CallAudit.of_worker(worker_ctx))


def settle(unit_check):
    """A deferred deactivated-unit check (`services.common.unit_check`) no transaction made: now."""
    if unit_check is not None:
        unit_check.settle()


def allow(*roles, unit=None, department=None, deferred_unit_check=False):
    """Declare who may call an RPC: `@allow(COMMITTEE, OPS, unit="own")`.

    `unit="own"` / `department="own"` admit those roles for their own records only: the method must
    then call `caller.require_owner` or `caller.scope`, or the call fails rather than leak.
    Checks run in the contract's order: token, role (and, for a state change, a deactivated unit:
    `services.common.units`), the arguments' Unicode, then the method's own input and record checks.
    `deferred_unit_check=True` is for a method whose first Redis command and first outside work is
    its transaction (`Store.change` / `create`): the deactivated-unit check is then answered with
    that transaction's first round trip (`unit_check`), and a call that fails before it, or runs
    none, has it made before its outcome is given, so it still outranks every later check.
    Every state-changing call is written to the audit trail, whatever its outcome (in the
    transaction of its change when it commits one: `audit.CallAudit`).
    """
    restricted = {role for role, rule in ((UNIT, unit), (DEPARTMENT, department)) if rule == "own"}
    admitted = set(roles) | restricted

    def decorate(method):
        name = method.__name__
        signature = inspect.signature(method)
        changes_state = not is_read_only(name)

        def checked(service, args, kwargs):
            caller = service.auth.authenticate()
            if caller.role not in admitted:
                raise Forbidden("无权调用此方法(Role not allowed).")
            unit_check = None
            if changes_state and hasattr(service, "check_unit_active"):
                unit_check = service.check_unit_active(caller, deferred_unit_check)
            try:
                check_unicode(fitting(method, signature, args, kwargs))
                result = method(service, *args, **kwargs)
            except Exception:
                settle(unit_check)  # a deactivated unit's Forbidden comes before any other error
                raise
            settle(unit_check)
            if caller.role in restricted and not caller.ownership_checked:
                raise RuntimeError(f"{name} did not check ownership")
            return result

        @functools.wraps(method)
        def entry(self, *args, **kwargs):
            outcome, result, started = "ok", None, time.monotonic()
            if changes_state:
                self.auth.begin_audit(name, lambda: arguments(signature, args, kwargs) or {})
            try:
                result = checked(self, args, kwargs)
                return result
            except Exception as exc:
                answer = answer_for(exc, f"{self.name}.{name}")
                outcome = type(answer).__name__
                if answer is exc:
                    raise
                raise answer from None
            finally:
                # The raised error's traceback holds this frame: holding the error here would make a
                # reference cycle, keeping the worker until the collector's next pass.
                answer = None
                metrics.observe_rpc(self.name, name, outcome, time.monotonic() - started)
                if changes_state:
                    self.auth.end_audit(result, outcome)

        # nameko checks call signatures with getcallargs, which reads __signature__, not __wrapped__.
        entry.__signature__ = signature
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


@functools.lru_cache(maxsize=8)
def signing_key(pem):
    """The private key of PEM text, parsed once: parsing checks the RSA key, about 60 ms here, where
    signing with the parsed key takes about 1 ms (the console's sign-in and the tests mint often)."""
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(pem.encode() if isinstance(pem, str) else pem, password=None)


def mint(private_key, role, unit=None, department=None, sub=None, ttl=3600, issuer=DEFAULT_ISSUER):
    """A token with the v2 claims; short-lived unless asked (JWT_MAX_TTL bounds what services accept).
    `private_key` is PEM text (or bytes)."""
    issued = int(time.time())
    claims = {"sub": sub or f"{role}:{unit or department or 'cli'}", "role": role,
              "iss": issuer, "aud": [AUDIENCE], "iat": issued, "exp": issued + ttl}
    if unit:
        claims["unit"] = unit
    if department:
        claims["department"] = department
    return jwt.encode(claims, signing_key(private_key), algorithm=ALGORITHM)


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
    token.add_argument("--issuer", default=DEFAULT_ISSUER, help="the services' JWT_ISSUER")
    args = parser.parse_args(argv)
    if args.command == "keygen":
        private, public = keygen(args.dir)
        print(f"private key: {private}\npublic key:  {public}")
        return 0
    if args.role == UNIT and not args.unit or args.role == DEPARTMENT and not args.department:
        parser.error(f"--role {args.role} needs --{args.role}")
    print(mint(Path(args.key).read_text(), args.role, args.unit, args.department, args.sub, args.ttl,
               args.issuer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
