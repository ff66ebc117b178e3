"""Who is calling, and what they may do.

The directory signs access tokens (Ed25519 JWTs) with its private key; every other
process holds only the public key, so no service but the directory can mint one.
The gateway checks the token of every request, and passes it on with each RPC
(nameko context data ``auth_token``); the service that owns the data checks it
again and decides — the gateway is not the only guard.
"""

from shared.auth.identity import SYSTEM, Identity
from shared.auth.policy import ROLES, may
from shared.auth.visibility import can_see_case, case_filters

__all__ = ["ROLES", "SYSTEM", "Identity", "can_see_case", "case_filters", "may"]
