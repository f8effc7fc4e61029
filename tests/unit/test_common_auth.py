import time

import jwt
import pytest

from services.common import auth
from services.common.errors import Forbidden, Unauthenticated


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    private, public = auth.keygen(tmp_path_factory.mktemp("k"))
    return private.read_text(), public.read_text()


@pytest.fixture(scope="module")
def other_keys(tmp_path_factory):
    private, public = auth.keygen(tmp_path_factory.mktemp("other"))
    return private.read_text(), public.read_text()


def test_a_minted_token_verifies_to_its_claims(keys):
    caller = auth.verify(auth.mint(keys[0], "unit", unit="U001"), keys[1])
    assert (caller.role, caller.unit, caller.department, caller.recipient) == ("unit", "U001", None, "unit:U001")


@pytest.mark.parametrize("token", [None, "", 42, "not-a-jwt"])
def test_missing_or_malformed_tokens_are_unauthenticated(keys, token):
    with pytest.raises(Unauthenticated):
        auth.verify(token, keys[1])


def test_an_expired_token_is_unauthenticated_beyond_the_leeway(keys):
    stale = jwt.encode({"sub": "x", "role": "committee", "exp": int(time.time()) - 61}, keys[0], algorithm="RS256")
    with pytest.raises(Unauthenticated, match="过期"):
        auth.verify(stale, keys[1])
    skewed = jwt.encode({"sub": "x", "role": "committee", "exp": int(time.time()) - 30}, keys[0], algorithm="RS256")
    assert auth.verify(skewed, keys[1]).role == "committee"


def test_a_token_signed_by_another_key_is_unauthenticated(keys, other_keys):
    with pytest.raises(Unauthenticated):
        auth.verify(auth.mint(other_keys[0], "committee"), keys[1])


def test_hs256_signed_with_the_public_key_is_unauthenticated(keys):
    claims = {"sub": "x", "role": "committee", "exp": int(time.time()) + 60}
    import hmac, hashlib, base64, json  # noqa: E401  hand-made: PyJWT refuses to sign HS256 with a PEM

    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    signature = b64(hmac.new(keys[1].encode(), f"{head}.{body}".encode(), hashlib.sha256).digest())
    with pytest.raises(Unauthenticated):
        auth.verify(f"{head}.{body}.{signature}", keys[1])


def test_alg_none_is_unauthenticated(keys):
    token = jwt.encode({"sub": "x", "role": "committee", "exp": int(time.time()) + 60}, None, algorithm="none")
    with pytest.raises(Unauthenticated):
        auth.verify(token, keys[1])


@pytest.mark.parametrize("claims", [
    {"role": "admin"}, {"role": "unit"}, {"role": "department"}, {"role": None},
])
def test_roles_must_be_known_and_complete(keys, claims):
    token = jwt.encode({"sub": "x", "exp": int(time.time()) + 60, **claims}, keys[0], algorithm="RS256")
    with pytest.raises(Unauthenticated):
        auth.verify(token, keys[1])


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
