"""Signed, expiring access tokens (JWT, EdDSA)."""

import math
import uuid
from datetime import datetime, timedelta

import jwt
from cachetools import LRUCache

from shared.auth.identity import Identity
from shared.errors import Unauthenticated

ISSUER = "civicgrid"
ALGORITHM = "EdDSA"


def signing_moment(now: datetime) -> float:
    """A token's ``iat``: epoch seconds to the millisecond (a JWT NumericDate may be fractional), so a token
    signed after an account is reactivated is never taken for one signed in the same second before."""
    return math.floor(now.timestamp() * 1000) / 1000


def issue_token(private_key, *, user: dict, grids: list[str], now: datetime, ttl: timedelta) -> str:
    claims = {
        "iss": ISSUER,
        "sub": user["user_id"],
        "name": user.get("name", ""),
        "roles": sorted(user.get("roles", [])),
        "grids": sorted(grids),
        "department": user.get("department"),
        "lang": user.get("language", "zh-CN"),
        "iat": signing_moment(now),
        "exp": int((now + ttl).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, private_key, algorithm=ALGORITHM)


def verify_token(public_key, token: str | None, now: datetime) -> Identity:
    """The identity in ``token``; ``Unauthenticated`` if it is missing, forged or expired at ``now``."""
    return Identity.from_claims(verify_claims(public_key, token, now))


def verify_claims(public_key, token: str | None, now: datetime) -> dict:
    """The claims of ``token``; ``Unauthenticated`` if it is missing, forged or expired at ``now``.

    Expiry is checked against the platform clock, not the system's, so a test that
    moves time moves token expiry with it.
    """
    return _unexpired(_signed_claims(public_key, token), now)


def _signed_claims(public_key, token: str | None) -> dict:
    """The claims of a token whose signature, issuer and required claims hold, whenever it expires."""
    if not token:
        raise Unauthenticated.of("auth.sign_in_first")
    try:
        return jwt.decode(
            token,
            public_key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError:
        raise Unauthenticated.of("auth.token_invalid") from None


def _unexpired(claims: dict, now: datetime) -> dict:
    if claims["exp"] <= now.timestamp():
        raise Unauthenticated.of("auth.token_expired")
    return claims


class TokenVerifier:
    """``verify_claims`` with one public key, checking each token's signature once: a person's token comes with every
    request they make for hours, and checking an EdDSA signature is most of what verifying costs (~0.2 ms, twice per
    request: the gateway, then the service). What a token's bytes say never changes, so the claims of the last
    ``size`` tokens whose signature held are kept; expiry is checked against ``now`` on every call, and a token that
    failed is checked again each time (nothing is kept of it)."""

    def __init__(self, public_key, size: int = 4096):
        self.public_key = public_key
        self._signed: LRUCache = LRUCache(maxsize=size)

    def claims(self, token: str | None, now: datetime) -> dict:
        signed = self._signed.get(token) if token else None
        if signed is None:
            signed = _signed_claims(self.public_key, token)
            self._signed[token] = signed
        return dict(_unexpired(signed, now))

    def identity(self, token: str | None, now: datetime) -> Identity:
        return Identity.from_claims(self.claims(token, now))
