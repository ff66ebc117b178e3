"""Signed, expiring access tokens (JWT, EdDSA)."""

import math
import uuid
from datetime import datetime, timedelta

import jwt

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
    if not token:
        raise Unauthenticated.of("auth.sign_in_first")
    try:
        claims = jwt.decode(
            token,
            public_key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError:
        raise Unauthenticated.of("auth.token_invalid") from None
    if claims["exp"] <= now.timestamp():
        raise Unauthenticated.of("auth.token_expired")
    return claims
