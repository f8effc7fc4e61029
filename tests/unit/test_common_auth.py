import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest

from services.common import auth
from services.common.audit import record_of, who
from services.common.errors import Forbidden, Unauthenticated
from services.common.rpc import is_read_only


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    private, public = auth.keygen(tmp_path_factory.mktemp("k"))
    return private.read_text(), public.read_text()


@pytest.fixture(scope="module")
def other_keys(tmp_path_factory):
    private, public = auth.keygen(tmp_path_factory.mktemp("other"))
    return private.read_text(), public.read_text()


def claims(**changes):
    """Valid v2 committee claims, with `changes` applied (a value of None removes the claim)."""
    now = int(time.time())
    base = {"sub": "x", "role": "committee", "iss": "leifeng", "aud": ["leifeng"], "iat": now, "exp": now + 600}
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def signed(keys, **changes):
    return jwt.encode(claims(**changes), keys[0], algorithm="RS256")


def test_a_minted_token_verifies_to_its_claims(keys):
    caller = auth.verify(auth.mint(keys[0], "unit", unit="U001"), keys[1])
    assert (caller.role, caller.unit, caller.department, caller.recipient) == ("unit", "U001", None, "unit:U001")


def test_a_minted_token_carries_the_v2_claims(keys):
    minted = jwt.decode(auth.mint(keys[0], "committee"), keys[1], algorithms=["RS256"], audience="leifeng")
    assert minted["iss"] == "leifeng" and "leifeng" in minted["aud"]
    assert minted["exp"] - minted["iat"] == 3600


@pytest.mark.parametrize("token", [None, "", 42, "not-a-jwt", "a\ud800.b.c", "x" * 100_000])
def test_missing_or_malformed_tokens_are_unauthenticated(keys, token):
    with pytest.raises(Unauthenticated):
        auth.verify(token, keys[1])


def test_an_expired_token_is_unauthenticated_beyond_the_leeway(keys):
    now = int(time.time())
    with pytest.raises(Unauthenticated, match="过期"):
        auth.verify(signed(keys, iat=now - 700, exp=now - 61), keys[1])
    assert auth.verify(signed(keys, iat=now - 700, exp=now - 30), keys[1]).role == "committee"


@pytest.mark.parametrize("missing", ["iat", "iss", "aud", "exp", "sub", "role"])
def test_a_token_without_a_required_claim_is_unauthenticated(keys, missing):
    with pytest.raises(Unauthenticated):
        auth.verify(signed(keys, **{missing: None}), keys[1])


@pytest.mark.parametrize("changes", [
    {"iss": "someone-else"}, {"iss": "Leifeng"}, {"aud": "other"}, {"aud": ["other", "x"]}, {"aud": [7]},
    {"iat": "yesterday"}, {"iat": 1.5e300},
])
def test_a_wrong_issuer_or_audience_is_unauthenticated(keys, changes):
    with pytest.raises(Unauthenticated):
        auth.verify(signed(keys, **changes), keys[1])


def test_an_audience_list_containing_leifeng_is_accepted(keys):
    assert auth.verify(signed(keys, aud=["warehouse", "leifeng"]), keys[1]).role == "committee"
    assert auth.verify(signed(keys, aud="leifeng"), keys[1]).role == "committee"


def test_the_issuer_is_configurable(keys):
    token = auth.mint(keys[0], "committee", issuer="ministry")
    assert auth.verify(token, keys[1], issuer="ministry").role == "committee"
    with pytest.raises(Unauthenticated):
        auth.verify(token, keys[1])


@pytest.mark.parametrize("dates", [{"iat": "{now}"}, {"exp": "{later}"}, {"nbf": "{now}"}, {"iat": True},
                                   {"exp": [1]}], ids=["iat text", "exp text", "nbf text", "iat true", "exp list"])
def test_a_date_claim_that_is_not_a_json_number_is_unauthenticated(keys, dates):
    now = int(time.time())
    changes = {name: value.format(now=now, later=now + 600) if isinstance(value, str) else value
               for name, value in dates.items()}
    assert auth.verify(signed(keys, nbf=now), keys[1]).role == "committee"
    with pytest.raises(Unauthenticated, match="无效"):
        auth.verify(signed(keys, **changes), keys[1])


def test_a_lifetime_beyond_the_maximum_is_unauthenticated(keys):
    now = int(time.time())
    assert auth.verify(signed(keys, iat=now, exp=now + 43200), keys[1]).role == "committee"
    with pytest.raises(Unauthenticated, match="有效期"):
        auth.verify(signed(keys, iat=now, exp=now + 43201), keys[1])
    with pytest.raises(Unauthenticated, match="有效期"):
        auth.verify(signed(keys, iat=now, exp=now + 100 * 365 * 86400), keys[1])
    with pytest.raises(Unauthenticated):
        auth.verify(signed(keys, iat=now, exp=now + 600), keys[1], max_ttl=300)


def test_a_token_that_expires_before_it_is_issued_is_unauthenticated_even_within_the_leeway(keys):
    now = int(time.time())
    with pytest.raises(Unauthenticated, match="签发前"):
        auth.verify(signed(keys, iat=now, exp=now - 10), keys[1])  # exp alone is within the 60 s leeway


def test_a_token_issued_in_the_future_is_unauthenticated_beyond_the_leeway(keys):
    now = int(time.time())
    assert auth.verify(signed(keys, iat=now + 30, exp=now + 600), keys[1]).role == "committee"
    with pytest.raises(Unauthenticated):
        auth.verify(signed(keys, iat=now + 120, exp=now + 600), keys[1])


def test_a_token_signed_by_another_key_is_unauthenticated(keys, other_keys):
    with pytest.raises(Unauthenticated):
        auth.verify(auth.mint(other_keys[0], "committee"), keys[1])


def test_hs256_signed_with_the_public_key_is_unauthenticated(keys):
    # Hand-made: PyJWT refuses to sign HS256 with a PEM.
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims()).encode())
    signature = b64(hmac.new(keys[1].encode(), f"{head}.{body}".encode(), hashlib.sha256).digest())
    with pytest.raises(Unauthenticated):
        auth.verify(f"{head}.{body}.{signature}", keys[1])


def test_alg_none_is_unauthenticated(keys):
    token = jwt.encode(claims(), None, algorithm="none")
    with pytest.raises(Unauthenticated):
        auth.verify(token, keys[1])


@pytest.mark.parametrize("changes", [
    {"role": "admin"}, {"role": "unit"}, {"role": "department"}, {"role": None},
    {"role": "unit", "unit": "*"}, {"role": "unit", "unit": "U001\n"}, {"role": "unit", "unit": "U 1"},
    {"role": "unit", "unit": 7}, {"role": "unit", "unit": "Ｕ001"}, {"role": "unit", "unit": "x" * 33},
    {"role": "department", "department": "*"}, {"role": "department", "department": "Elderly"},
    {"role": "department", "department": "elderly-care\n"},
])
def test_roles_and_their_codes_must_be_known_and_well_formed(keys, changes):
    with pytest.raises(Unauthenticated):
        auth.verify(signed(keys, **changes), keys[1])


def test_units_own_only_their_records_and_lists():
    unit = auth.Caller(sub="s", role="unit", unit="U1")
    unit.require_owner(unit="U1")
    with pytest.raises(Forbidden):
        unit.require_owner(unit="U2")
    assert unit.scope() == ("U1", None)
    with pytest.raises(Forbidden):
        unit.scope(unit_code="U2")
    dept = auth.Caller(sub="s", role="department", department="elderly-care")
    assert dept.scope() == (None, "elderly-care")
    with pytest.raises(Forbidden):
        dept.scope(department="child-welfare")
    assert auth.Caller(sub="s", role="ops").scope(unit_code="U9") == ("U9", None)


def test_personal_data_is_shown_to_the_committee_and_the_owning_unit_only():
    assert auth.Caller(sub="s", role="committee").sees_personal_data("U1")
    assert auth.Caller(sub="s", role="unit", unit="U1").sees_personal_data("U1")
    assert not auth.Caller(sub="s", role="unit", unit="U2").sees_personal_data("U1")
    assert not auth.Caller(sub="s", role="ops").sees_personal_data("U1")


def test_cli_keygen_and_mint(tmp_path, capsys):
    assert auth.main(["keygen", "--dir", str(tmp_path)]) == 0
    assert auth.main(["mint", "--role", "department", "--department", "elderly-care",
                      "--key", str(tmp_path / "jwt_private.pem")]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    caller = auth.verify(token, (tmp_path / "jwt_public.pem").read_text())
    assert caller.department == "elderly-care"


@pytest.mark.parametrize("method, read_only", [
    ("get_campaign", True), ("list_units", True), ("reporting_progress", True), ("campaign_report", True),
    ("create_campaign", False), ("check_deadlines", False), ("mark_read", False), ("getaway", False),
    ("report_pairing", False), ("carry_over_campaign", False),
])
def test_read_only_methods_are_the_contracts_get_list_and_report_methods(method, read_only):
    assert is_read_only(method) is read_only


@pytest.mark.parametrize("result, arguments, record", [
    ({"id": "c0123456789abcdef"}, {}, "c0123456789abcdef"),
    ({"code": "U001", "name": "x"}, {}, "U001"),
    (None, {"pairing_id": "p0123456789abcdef", "comment": "x"}, "p0123456789abcdef"),
    (None, {"code": "U001"}, "U001"),
    (None, {"request_id": "r-1", "campaign": {"name": "x"}}, "-"),
    (None, {"campaign_id": "a b"}, "-"),
    (None, {"campaign_id": "x" * 101}, "-"),
    (None, {"campaign_id": 7}, "-"),
    ({"id": "\ud800"}, {}, "-"),
])
def test_the_audited_record_is_the_results_id_or_the_id_argument_never_other_input(result, arguments, record):
    assert record_of(result, arguments) == record


def test_an_unauthenticated_caller_is_audited_as_such():
    assert who(None)["sub"] == "unauthenticated"
    assert who(auth.Caller(sub="s\ud800", role="unit", unit="U1")) == {
        "sub": "-", "role": "unit", "unit": "U1", "department": "-"}


# -- tokens kept by the Verifier ---------------------------------------------------------------------

def counting_checks(monkeypatch):
    checks = []
    real = auth.verified_claims

    def counted(*args):
        checks.append(args[0])
        return real(*args)

    monkeypatch.setattr(auth, "verified_claims", counted)
    return checks


def test_a_kept_token_is_checked_once_and_gives_a_fresh_caller_each_time(keys, monkeypatch):
    checks, verifier = counting_checks(monkeypatch), auth.Verifier(keys[1])
    token = auth.mint(keys[0], "unit", unit="U001")
    first = verifier.verify(token)
    first.require_owner(unit="U001")
    second = verifier.verify(token)
    assert len(checks) == 1
    assert second == first and second is not first and not second.ownership_checked


def test_a_kept_token_is_checked_afresh_and_refused_once_it_has_expired(keys, monkeypatch):
    checks, verifier = counting_checks(monkeypatch), auth.Verifier(keys[1])
    now = int(time.time())
    token = signed(keys, iat=now - 100, exp=now + 10)
    verifier.verify(token)
    monkeypatch.setattr(auth.time, "time", lambda: now + 10 + auth.LEEWAY_SECONDS)
    monkeypatch.setattr(auth, "decode", lambda *args: (_ for _ in ()).throw(Unauthenticated("expired")))
    with pytest.raises(Unauthenticated):
        verifier.verify(token)
    assert len(checks) == 2


def test_a_refused_token_is_not_kept_and_the_kept_ones_are_bounded(keys, other_keys):
    verifier = auth.Verifier(keys[1])
    with pytest.raises(Unauthenticated):
        verifier.verify(auth.mint(other_keys[0], "committee"))
    assert verifier.kept == {}
    for number in range(auth.KEPT_TOKENS + 5):
        verifier.verify(auth.mint(keys[0], "committee", sub=f"s{number}"))
    assert len(verifier.kept) == auth.KEPT_TOKENS
