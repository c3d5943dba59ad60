"""A1, A2: minting and checking the token; KoreAuth; redaction of tokens (S11)."""

from __future__ import annotations

import json
import time
import warnings

import jwt
import pytest
import requests

from kore_contract.auth import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    KoreAuth,
    TokenCheck,
    TokenChecker,
    check_token,
    mint_token,
    sign_claims,
)
from kore_contract.redaction import REDACTED, redact

ID, SECRET = DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET


def claims(token: str) -> dict[str, object]:
    decoded: dict[str, object] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def test_A1_minted_token_is_hs256_with_appId_and_sub() -> None:
    token = mint_token(ID, SECRET, sub="1234567890")
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    assert claims(token) == {"sub": "1234567890", "appId": ID}
    long_secret = "s" * 40
    assert jwt.decode(mint_token(ID, long_secret), long_secret, algorithms=["HS256"])["appId"] == ID


def test_A1_ttl_adds_iat_and_exp_and_jti_is_random() -> None:
    token = mint_token(ID, SECRET, ttl=60, jti=True, now=1_000_000)
    found = claims(token)
    assert found["iat"] == 1_000_000 and found["exp"] == 1_000_060
    assert isinstance(found["jti"], str) and len(found["jti"]) == 32
    assert claims(mint_token(ID, SECRET, jti=True))["jti"] != found["jti"]


def test_A1_short_secret_mints_and_checks_without_a_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_token(mint_token(ID, "short"), ID, "short") is None


def test_A2_check_token_explains_each_refusal() -> None:
    expired = mint_token(ID, SECRET, ttl=10, now=time.time() - 60)
    cases = {
        None: "missing",
        "abc": "not a JWT",
        mint_token(ID, "other-secret"): "signature does not verify",
        mint_token("other", SECRET): "appId 'other' is not this app's client id",
        sign_claims({"sub": "1", "appid": ID}, SECRET): "exactly appId",
        expired: "expired at",
        sign_claims({"appId": ID, "exp": "soon"}, SECRET): "claim exp",
        sign_claims({"appId": ID, "nbf": time.time() + 3600}, SECRET): "not valid before",
    }
    for token, words in cases.items():
        found = check_token(token, ID, SECRET)
        assert found is not None and found.rule == "A2" and words in found.message, token
        assert found.pointer == "/headers/auth"


def test_A2_wrong_appId_is_403_and_bad_signature_401() -> None:
    checker = TokenChecker(ID, SECRET)
    refusal = checker.refusal(mint_token("other", SECRET))
    assert refusal is not None and refusal.status == 403
    refusal = checker.refusal(mint_token(ID, "x" * 20))
    assert refusal is not None and refusal.status == 401


def test_A2_cached_token_is_still_checked_for_expiry() -> None:
    checker = TokenChecker(ID, SECRET)
    token = mint_token(ID, SECRET, ttl=60)
    assert checker.refusal(token) is None
    assert checker.refusal(token) is None  # from the cache
    refusal = checker.refusal(token, now=time.time() + 120)
    assert refusal is not None and "expired" in refusal.violation.message


def test_A2_check_token_skips_only_the_checks_it_is_told_to() -> None:
    """Plain parameters, for a server that lets one kind of bad token through on purpose."""
    expired = mint_token(ID, SECRET, ttl=10, now=time.time() - 60)
    unsigned = jwt.encode({"sub": "1", "appId": ID}, None, algorithm="none")
    cases = {
        TokenCheck.PRESENT: None,
        TokenCheck.SIGNED: unsigned,
        TokenCheck.SIGNATURE: mint_token(ID, "other-secret"),
        TokenCheck.EXPIRY: expired,
        TokenCheck.APP_ID: sign_claims({"sub": "1"}, SECRET),
    }
    for skipped, token in cases.items():
        assert check_token(token, ID, SECRET, skip=frozenset({skipped})) is None, skipped
        assert check_token(token, ID, SECRET) is not None, skipped
        others = frozenset(TokenCheck) - {skipped}
        assert check_token(token, ID, SECRET, skip=others) is not None, skipped
    foreign = mint_token("other", SECRET)
    assert TokenChecker(ID, SECRET, skip=frozenset({TokenCheck.APP_ID})).refusal(foreign) is None


def test_KoreAuth_sets_the_auth_header_and_hides_the_secret() -> None:
    request = requests.Request("GET", "http://127.0.0.1/", auth=KoreAuth(ID, SECRET)).prepare()
    assert check_token(request.headers["auth"], ID, SECRET) is None
    assert SECRET not in repr(KoreAuth(ID, SECRET))
    given = requests.Request("GET", "http://127.0.0.1/", auth=KoreAuth(token="t.t.t")).prepare()
    assert given.headers["auth"] == "t.t.t"
    with pytest.raises(ValueError, match="token, or a client id"):
        KoreAuth(ID)


def test_KoreAuth_mints_a_new_token_before_expiry() -> None:
    auth = KoreAuth(ID, SECRET, ttl=3)
    first = auth.token
    assert auth.token != first or claims(first)["exp"]  # re-minted within 5 s of exp


def test_S11_redact_replaces_tokens_and_secrets_in_text_and_data() -> None:
    token = mint_token(ID, SECRET)
    data = {
        "headers": {"auth": token},
        "text": f"curl -H 'auth: {token}' secret={SECRET}",
        "list": [SECRET, ("a", token)],
        "n": 5,
    }
    found = redact(data, [token, SECRET])
    text = json.dumps(found)
    assert token not in text and SECRET not in text and text.count(REDACTED) == 5
    assert found["n"] == 5
    assert redact("eyJhbGciOiJIUzI1NiJ9.eyJhIjoxfQ.abc and more") == f"{REDACTED} and more"
    assert redact("a short x", ["x"]) == "a short x"  # too short to scrub from free text
