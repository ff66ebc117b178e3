"""A named lease in a service's own database: a periodic scan runs in one replica at a time.

``@timer`` runs in every replica; a scan (escalation, the courier, the outbox's
orphans, feed pruning) runs where its lease is held. A lease is one document in the
service's ``leases`` collection — ``{_id: name, holder, expires_at}`` — taken or
renewed by one conditional write: an ``update_one`` that matches only if the caller
holds it already or it has expired, with ``upsert`` for the first time; when someone
else holds it, the upsert collides on ``_id`` (DuplicateKeyError) and the caller
does not hold it. The holder renews it at the start of every run, and releases it on
a graceful stop so another replica takes over at once.

Clocks. ``expires_at`` is wall time (``datetime.now(UTC)``), because other machines
compare it with theirs; never the platform's ``Clock``, which tests move by days. The
holder itself uses its monotonic clock: it stops working ``skew`` seconds before the
moment it wrote, counted from before it sent the write. A replica whose wall clock is
``d`` seconds ahead of the holder's sees the lease lapse ``d`` seconds early, so two
replicas never scan at once while ``d <= skew``. Beyond that, both may scan for up to
``d - skew`` seconds, until the holder's next renewal fails. That is harmless, as is
a holder stalled past its lease (a long pause, a blocked hub): the lease saves work,
it does not keep anything correct. Every effect a scan has is guarded on its own: a
case's rung by the ladder and rung it saw, a delivery by its claim, an outbox event
by the consumers' deduplication, a pruned feed entry by being gone.
"""

import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pymongo.errors import DuplicateKeyError, PyMongoError

from shared.config import ConfigError, setting

_log = logging.getLogger(__name__)

LEASES = "leases"


@dataclass(frozen=True)
class LeaseTerms:
    seconds: float = 15.0  # how long a lease lasts after its last renewal
    skew: float = 5.0  # how much sooner the holder stops: the clock difference between machines it tolerates

    @property
    def usable(self) -> float:
        """Seconds the holder may work after a renewal."""
        return self.seconds - self.skew


def lease_terms(config) -> LeaseTerms:
    terms = LeaseTerms(
        setting(config, "SCAN_LEASE_SECONDS", LeaseTerms.seconds, float),
        setting(config, "LEASE_SKEW_SECONDS", LeaseTerms.skew, float),
    )
    if not 0 <= terms.skew < terms.seconds:
        raise ConfigError(
            f"configuration LEASE_SKEW_SECONDS={terms.skew} must be at least 0 and less than "
            f"SCAN_LEASE_SECONDS={terms.seconds}"
        )
    return terms


def new_holder() -> str:
    """Who holds a lease: the machine and process, and a random part, as two containers may share a process."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def takeable(name: str, holder: str, now: datetime) -> dict:
    """The filter of the lease ``holder`` may take at ``now``: its own, or one that has expired."""
    return {"_id": name, "$or": [{"holder": holder}, {"expires_at": {"$lte": now}}]}


class Lease:
    def __init__(self, collection, name: str, holder: str, terms: LeaseTerms, monotonic=time.monotonic):
        self._collection = collection
        self.name = name
        self.holder = holder
        self.terms = terms
        self._monotonic = monotonic
        self._until: float | None = None  # the monotonic moment this holder stops using it

    def try_acquire(self, now: datetime | None = None) -> bool:
        """Take or renew the lease; whether this holder holds it now. ``now``: wall time (tests shift it)."""
        started = self._monotonic()
        now = now or datetime.now(UTC)
        self._until = None  # until the store says otherwise
        try:
            self._collection.update_one(
                takeable(self.name, self.holder, now),
                {
                    "$set": {
                        "holder": self.holder,
                        "expires_at": now + timedelta(seconds=self.terms.seconds),
                        "renewed_at": now,
                    }
                },
                upsert=True,
            )
        except DuplicateKeyError:
            return False  # another holder's, and not expired
        except PyMongoError as exc:  # the store may be restarting: nobody scans meanwhile, the next run tries again
            _log.warning("lease %s: could not take or renew it (%s)", self.name, exc)
            return False
        self._until = started + self.terms.usable
        return True

    def held(self) -> bool:
        """Whether this holder may still work under the lease (no store call)."""
        return self._until is not None and self._monotonic() < self._until

    def release(self) -> None:
        """Give the lease up, so another replica takes it at its next run instead of when it expires."""
        if self._until is None:
            return
        self._until = None
        try:
            self._collection.delete_one({"_id": self.name, "holder": self.holder})
        except PyMongoError as exc:  # it expires by itself
            _log.warning("lease %s: could not release it (%s)", self.name, exc)


class Leases:
    """The leases of one process's scans, one per name declared by its store; released together on stop."""

    def __init__(self, collection, terms: LeaseTerms, names):
        holder = new_holder()
        self._leases = {name: Lease(collection, name, holder, terms) for name in names}

    def __getitem__(self, name: str) -> Lease:
        try:
            return self._leases[name]
        except KeyError:  # its collection is made before start-up only for a store that declares its scans
            raise KeyError(f"no scan {name!r} declared by this store (MongoStore.scans)") from None

    def release(self) -> None:
        for lease in self._leases.values():
            lease.release()
