"""The lease's own rules, without a store: its terms, its holder, how long its holder may work under it."""

from datetime import UTC, datetime, timedelta

import pytest
from pymongo.errors import AutoReconnect, DuplicateKeyError

from shared.config import ConfigError
from shared.lease import Lease, Leases, LeaseTerms, lease_terms, new_holder, takeable

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self):
        self.at = 1000.0

    def __call__(self):
        return self.at


class Collection:
    """What a lease writes, or the error the store answers with."""

    def __init__(self, error=None):
        self.error = error
        self.updates, self.deletes = [], []

    def update_one(self, filter_, update, upsert):
        if self.error:
            raise self.error
        self.updates.append((filter_, update, upsert))

    def delete_one(self, filter_):
        self.deletes.append(filter_)


def test_the_terms_default_to_a_fifteen_second_lease_used_for_ten():
    terms = lease_terms({})
    assert (terms.seconds, terms.skew, terms.usable) == (15.0, 5.0, 10.0)
    assert lease_terms({"SCAN_LEASE_SECONDS": "6", "LEASE_SKEW_SECONDS": "2"}).usable == 4.0


@pytest.mark.parametrize("seconds, skew", [("5", "5"), ("5", "9"), ("5", "-1")])
def test_a_skew_margin_that_leaves_no_time_to_work_fails_at_start_up(seconds, skew):
    with pytest.raises(ConfigError, match="LEASE_SKEW_SECONDS"):
        lease_terms({"SCAN_LEASE_SECONDS": seconds, "LEASE_SKEW_SECONDS": skew})


def test_a_holder_names_its_machine_and_process_and_differs_per_call():
    first, second = new_holder(), new_holder()
    assert first != second
    assert first.rsplit(":", 2)[1] == second.rsplit(":", 2)[1]


def test_the_lease_may_be_taken_by_its_holder_or_once_expired():
    assert takeable("escalation", "h1", NOW) == {
        "_id": "escalation",
        "$or": [{"holder": "h1"}, {"expires_at": {"$lte": NOW}}],
    }


def test_taking_it_writes_its_expiry_in_wall_time_and_the_holder_works_until_the_skew_margin():
    ticks, collection = Ticks(), Collection()
    lease = Lease(collection, "escalation", "h1", LeaseTerms(15, 5), monotonic=ticks)
    assert not lease.held()
    assert lease.try_acquire(NOW)
    ((filter_, update, upsert),) = collection.updates
    assert upsert and filter_ == takeable("escalation", "h1", NOW)
    assert update["$set"]["expires_at"] == NOW + timedelta(seconds=15) and update["$set"]["holder"] == "h1"
    ticks.at += 9.9
    assert lease.held()
    ticks.at += 0.1
    assert not lease.held()  # five seconds before the expiry it wrote


def test_the_usable_time_counts_from_before_the_write_was_sent():
    ticks = Ticks()

    class Slow(Collection):
        def update_one(self, *args, **kwargs):
            ticks.at += 3  # the store took three seconds to answer
            super().update_one(*args, **kwargs)

    lease = Lease(Slow(), "courier", "h1", LeaseTerms(15, 5), monotonic=ticks)
    assert lease.try_acquire(NOW)
    ticks.at += 6.9
    assert lease.held()
    ticks.at += 0.1
    assert not lease.held()


@pytest.mark.parametrize("error", [DuplicateKeyError("held by another"), AutoReconnect("store restarting")])
def test_a_lease_someone_else_holds_or_a_store_that_does_not_answer_is_not_held(error):
    ticks, collection = Ticks(), Collection()
    lease = Lease(collection, "outbox", "h1", LeaseTerms(15, 5), monotonic=ticks)
    assert lease.try_acquire(NOW)
    collection.error = error
    assert not lease.try_acquire(NOW + timedelta(seconds=5))
    assert not lease.held()  # a failed renewal gives up what was left of the last one


def test_release_gives_up_only_a_lease_this_holder_took():
    collection = Collection()
    lease = Lease(collection, "outbox", "h1", LeaseTerms())
    lease.release()
    assert collection.deletes == []
    assert lease.try_acquire()
    lease.release()
    assert collection.deletes == [{"_id": "outbox", "holder": "h1"}] and not lease.held()


def test_a_process_has_the_leases_its_store_declares_under_one_holder_and_no_others():
    leases = Leases(Collection(), LeaseTerms(), ["escalation", "outbox"])
    assert leases["escalation"].holder == leases["outbox"].holder
    with pytest.raises(KeyError, match="courier"):
        leases["courier"]
