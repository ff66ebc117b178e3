"""Keys and tokens for tests."""

from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from shared.auth.keys import ensure_keypair, load_private_key
from shared.auth.tokens import issue_token


@cache
def keypair(directory: str) -> tuple[str, str]:
    private, public = ensure_keypair(Path(directory))
    return str(private), str(public)


def token_for(private_key_file: str, user: dict, grids=(), ttl=timedelta(hours=1), now=None) -> str:
    key = load_private_key({"AUTH_PRIVATE_KEY_FILE": private_key_file})
    return issue_token(key, user=user, grids=list(grids), now=now or datetime.now(UTC), ttl=ttl)
