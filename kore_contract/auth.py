"""JWT minting and checking (A1, A2) and a `requests` auth object.

The token the documentation describes (jwt-token.md): HS256, signed with the app's client
secret, claims `{"sub": ..., "appId": <client id>}`; `exp` and `jti` may be present.

PyJWT warns (InsecureKeyLengthWarning) when an HMAC key is shorter than 32 bytes. A
Kore.ai client secret is what the platform issued, not something a caller can lengthen,
so this module signs and verifies with an HS256 handler that does not warn; everything
else (base64url, header parsing, the algorithm allow-list, HMAC) is PyJWT's.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any

import jwt
import requests
from jwt.algorithms import HMACAlgorithm

from kore_contract.contract.violation import Violation

__all__ = ["KoreAuth", "TokenCheck", "TokenChecker", "check_token", "mint_token", "sign_claims"]

#: Credentials used when none are given (by the contract run and the local server alike).
DEFAULT_CLIENT_ID = "kore-contract-client"
DEFAULT_CLIENT_SECRET = "kore-contract-secret"
DEFAULT_SUB = "kore-contract"
ALGORITHM = "HS256"
AUTH_HEADER = "auth"


class _HS256(HMACAlgorithm):
    """PyJWT's HS256, minus the key-length warning (the secret is the platform's)."""

    def check_key_length(self, key: bytes) -> str | None:
        return None


def _codec() -> jwt.PyJWS:
    codec = jwt.PyJWS(algorithms=[])
    codec.register_algorithm(ALGORITHM, _HS256(_HS256.SHA256))
    return codec


_JWS = _codec()


def mint_token(
    client_id: str,
    client_secret: str,
    *,
    sub: str = DEFAULT_SUB,
    jti: bool | str = False,
    ttl: float | None = None,
    now: float | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    """The JWT of jwt-token.md: HS256 over `{"sub", "appId"}` (+ `iat`/`exp`, `jti`)."""
    claims: dict[str, Any] = {"sub": sub, "appId": client_id}
    if ttl is not None:
        issued = int(time.time() if now is None else now)
        claims["iat"] = issued
        claims["exp"] = issued + int(ttl)
    if jti:
        claims["jti"] = jti if isinstance(jti, str) else uuid.uuid4().hex
    if extra:
        claims.update(extra)
    payload = json.dumps(claims, separators=(",", ":")).encode("utf-8")
    return _JWS.encode(payload, client_secret, algorithm=ALGORITHM, headers={"typ": "JWT"})


@dataclass(frozen=True)
class Refusal:
    """Why a token is refused: the status to answer (401 or 403) and the A2 violation."""

    status: int
    violation: Violation


def _refused(message: str, status: int = 401) -> Refusal:
    return Refusal(status, Violation("A2", "/headers/auth", f"auth: {message}"))


_MISSING = _refused(
    "missing; send a JWT signed with HS256 using the client secret, "
    'with claims {"sub": ..., "appId": <client id>}'
)


class TokenCheck(Enum):
    """The checks of a token; `TokenChecker(skip=...)` leaves out the ones it is given."""

    PRESENT = "a token is sent"
    SIGNED = "the token is signed (alg none is refused)"
    SIGNATURE = "the signature verifies with the client secret"
    EXPIRY = "exp is in the future, nbf in the past"
    APP_ID = "appId is the client id"


NO_SKIP: frozenset[TokenCheck] = frozenset()


class TokenChecker:
    """Checks `auth` tokens for one client; verified claims are cached per token string.

    PyJWT costs tens of microseconds a token; a client sends the same token many times,
    so a verified token's `exp`/`nbf` are remembered and re-checked against the clock on
    every use. Refusals are not cached (they are rare, and cheap to explain again).
    """

    CACHE_SIZE = 4096

    def __init__(
        self, client_id: str, client_secret: str, *, skip: frozenset[TokenCheck] = NO_SKIP
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.skip = skip
        self._cache: dict[str, tuple[float | None, float | None]] = {}

    def refusal(self, token: str | None, *, now: float | None = None) -> Refusal | None:
        """None if the token is accepted; else the status and the A2 violation."""
        if not token:
            return None if TokenCheck.PRESENT in self.skip else _MISSING
        cached = self._cache.get(token)
        if cached is None:
            try:
                checked = self._verify(token)
            except (ValueError, TypeError, OverflowError, RecursionError) as error:
                # PyJWT parses the header with json (deep nesting: RecursionError); a
                # token is the client's input, so anything it makes fail is a refusal
                checked = _refused(f"not a usable JWT ({type(error).__name__})")
            if isinstance(checked, Refusal):
                return checked
            if len(self._cache) >= self.CACHE_SIZE:
                self._cache.clear()
            self._cache[token] = cached = checked
        return self._timing(*cached, time.time() if now is None else now)

    def _verify(self, token: str) -> tuple[float | None, float | None] | Refusal:
        try:
            header = _JWS.get_unverified_header(token)
        except jwt.PyJWTError:
            return _refused(
                "not a JWT (expected header.payload.signature, base64url-encoded "
                "JSON, as jwt-token.md makes it)"
            )
        alg = header.get("alg")
        if alg == ALGORITHM or (TokenCheck.SIGNED in self.skip and str(alg).lower() == "none"):
            pass
        elif str(alg).lower() == "none":
            return _refused(
                "the token is unsigned (alg 'none'); sign it with HS256 and the client secret"
            )
        else:
            return _refused(
                f"the token is signed with alg {str(alg)[:20]!r}; only {ALGORITHM} "
                "with the client secret is accepted"
            )
        try:
            if alg == ALGORITHM and TokenCheck.SIGNATURE not in self.skip:
                decoded = _JWS.decode_complete(token, self.client_secret, algorithms=[ALGORITHM])
            else:
                decoded = _JWS.decode_complete(token, options={"verify_signature": False})
        except jwt.InvalidSignatureError:
            return _refused(
                "the signature does not verify with the client secret (HS256); "
                "sign with the secret of the app whose client id is in appId"
            )
        except jwt.PyJWTError as error:
            return _refused(f"not a usable JWT: {error}")
        try:
            claims = json.loads(decoded["payload"], parse_constant=_no_constant)
        except (ValueError, RecursionError):
            claims = None
        if not isinstance(claims, dict):
            return _refused("the token's payload is not a JSON object of claims")
        times: list[float | None] = []
        for name in ("exp", "nbf"):
            value = claims.get(name)
            if value is None:
                times.append(None)
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return _refused(
                    f"claim {name}: got {_shown(value)}; expected a number (seconds since 1970)"
                )
            if not _EARLIEST <= value <= _LATEST:  # False for NaN too
                return _refused(
                    f"claim {name}: got {_shown(value)}; expected seconds since "
                    f"1970 between {_EARLIEST} and {_LATEST} (years 1 to 9999)"
                )
            times.append(float(value))
        app_id = claims.get("appId")
        if TokenCheck.APP_ID not in self.skip:
            if app_id is None:
                near = [k for k in claims if k != "appId" and k.replace(" ", "").lower() == "appid"]
                hint = f" (found {near[0]!r}: the claim name is exactly appId)" if near else ""
                return _refused(
                    "the token has no appId claim; expected appId = the client id" + hint
                )
            if app_id != self.client_id:
                return _refused(
                    f"appId {str(app_id)[:60]!r} is not this app's client id {self.client_id!r}",
                    status=403,
                )
        return times[0], times[1]

    def _timing(self, exp: float | None, nbf: float | None, now: float) -> Refusal | None:
        skip_expiry = TokenCheck.EXPIRY in self.skip
        if exp is not None and now >= exp and not skip_expiry:
            return _refused(f"the token expired at {_when(exp)} (exp); mint a new one")
        if nbf is not None and now < nbf and not skip_expiry:
            return _refused(f"the token is not valid before {_when(nbf)} (nbf)")
        return None


#: The claim times a date can show (years 1 to 9999, in seconds since 1970).
_EARLIEST = -62135596800
_LATEST = 253402300799
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _when(seconds: float) -> str:
    """A claim time in `_EARLIEST`..`_LATEST` as an ISO date (any platform, any sign)."""
    return (_EPOCH + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def check_token(
    token: str | None, client_id: str, client_secret: str, *, skip: frozenset[TokenCheck] = NO_SKIP
) -> Violation | None:
    """A2: None if `token` is one the app (client id and secret) would accept, leaving out
    the checks in `skip`."""
    refusal = TokenChecker(client_id, client_secret, skip=skip).refusal(token)
    return None if refusal is None else refusal.violation


class KoreAuth(requests.auth.AuthBase):
    """Sets the `auth` header: a given token, or one minted (and re-minted before expiry)."""

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        token: str | None = None,
        sub: str = DEFAULT_SUB,
        ttl: float | None = None,
    ) -> None:
        if token is None and (client_id is None or client_secret is None):
            raise ValueError("KoreAuth needs a token, or a client id and a client secret")
        self._client_id = client_id
        self._client_secret = client_secret
        self._sub = sub
        self._ttl = ttl
        self._token = token
        self._expires = float("inf")

    @property
    def token(self) -> str:
        if self._token is None or time.time() > self._expires - 5:
            assert self._client_id is not None and self._client_secret is not None
            self._token = mint_token(
                self._client_id, self._client_secret, sub=self._sub, ttl=self._ttl
            )
            if self._ttl is not None:
                self._expires = time.time() + self._ttl
        return self._token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers[AUTH_HEADER] = self.token
        return request

    def __repr__(self) -> str:
        return f"KoreAuth(client_id={self._client_id!r})"  # never the secret or token


def sign_claims(claims: dict[str, Any], secret: str) -> str:
    """An HS256 JWT over exactly these claims (for tokens a server must refuse, A2)."""
    payload = json.dumps(claims, separators=(",", ":")).encode("utf-8")
    return _JWS.encode(payload, secret, algorithm=ALGORITHM, headers={"typ": "JWT"})
