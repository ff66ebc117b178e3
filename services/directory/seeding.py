"""Demo mode: an empty directory fills itself with the generated demo district.

Only when ``DEMO_MODE`` is on; then ``DEMO_PASSWORD`` is required and is every demo
person's password. Production configuration has neither, so it never contains a
default password: its first administrator is made with the CLI (``create-admin``).
"""

import logging
from datetime import timedelta

import eventlet
from nameko.extensions import DependencyProvider

from services.directory import domain
from services.directory.domain import apikeys
from services.directory.domain.demo import generate_district
from services.directory.domain.passwords import hash_password
from services.directory.storage import DirectoryRepository, DirectoryStore
from shared.api.directory import (
    AreaSchema,
    CategorySchema,
    DepartmentSchema,
    RoutingRuleSchema,
    UserSchema,
)
from shared.auth import SYSTEM
from shared.clock import clock_from_config
from shared.config import as_bool, setting
from shared.errors import Conflict
from shared.ids import new_id

_log = logging.getLogger(__name__)

SCHEMAS = {
    "departments": DepartmentSchema(many=True),
    "categories": CategorySchema(many=True),
    "users": UserSchema(many=True),
    "routing_rules": RoutingRuleSchema(many=True),
}


def seed_district(repository: DirectoryRepository, district: dict, *, password: str, now) -> bool:
    """Load each kind of ``district`` that the directory does not hold yet; False if it held them all.

    Kind by kind, each in one transaction: a replica seeding at the same moment, or a
    seed cut short by a crash, leaves every kind either complete or absent, and the
    next start fills in what is absent.
    """
    actor, correlation_id = SYSTEM.actor(), new_id("X")
    loaded = False

    def factory(kind):
        return domain.event_factory(kind, now=now, actor=actor, correlation_id=correlation_id)

    password_hash = hash_password(password)  # hashed once: Argon2 is slow on purpose
    for kind in ("departments", "categories", "users"):
        if repository.revision(kind) == 0:
            extra = {"password_hash": password_hash} if kind == "users" else None
            loaded |= _attempt(
                lambda k=kind, e=extra: repository.load_many(k, SCHEMAS[k].load(district[k]), factory(k), e)
            )
    if repository.map_version() == 0:
        areas = AreaSchema(many=True).load(district["areas"])
        grids = domain.with_places(areas, district["grids"])
        loaded |= _attempt(
            lambda: repository.replace_map(
                areas,
                grids,
                domain.map_event_factory(areas, grids, now=now, actor=actor, correlation_id=correlation_id),
            )
        )
    if repository.revision("routing_rules") == 0:
        loaded |= _attempt(
            lambda: repository.load_many(
                "routing_rules", SCHEMAS["routing_rules"].load(district["routing_rules"]), factory("routing_rules")
            )
        )
    return loaded


def _attempt(load) -> bool:
    try:
        load()
    except Conflict:  # another replica loaded it at the same moment
        return False
    return True


class DemoSeed(DependencyProvider):
    def setup(self):
        config = self.container.config
        self.enabled = setting(config, "DEMO_MODE", False, as_bool)
        self.password = setting(config, "DEMO_PASSWORD") if self.enabled else None
        # made by `make run` and kept in var/demo-open311-key, like the demo password (docs/open311.md)
        self.open311_key = setting(config, "DEMO_OPEN311_KEY", "") if self.enabled else ""
        self.clock = clock_from_config(config)

    def start(self):
        if self.enabled:
            self.container.spawn_managed_thread(self._seed, identifier="demo-seed")

    def _seed(self) -> None:
        """Seed under a lease, so that replicas starting together do not write the same things at once."""
        store = next(d for d in self.container.dependencies if isinstance(d, DirectoryStore))
        repository = DirectoryRepository(store.db, store.relay)
        holder = new_id("S")
        while True:
            try:
                if self._complete(repository):
                    self._put_open311_key(repository)
                    return
                if repository.claim_seeding(holder, self.clock.now(), timedelta(minutes=2)):
                    try:
                        if seed_district(repository, generate_district(), password=self.password, now=self.clock.now()):
                            _log.info("demo district loaded")
                    finally:
                        repository.release_seeding(holder)
                    continue
            except Exception:  # a busy or restarting store: seeding must not take the service down
                _log.exception("seeding the demo district failed; trying again")
            eventlet.sleep(1)  # another replica is seeding, or the store needs a moment

    def _put_open311_key(self, repository: DirectoryRepository) -> None:
        if self.open311_key:
            repository.put_api_key(
                apikeys.new_key_document(
                    {"app": "demo", "contact": None, "rate_limit_per_minute": 600},
                    api_key=self.open311_key,
                    created_by="system",
                    now=self.clock.now(),
                    key_id="demo",
                )
            )

    @staticmethod
    def _complete(repository: DirectoryRepository) -> bool:
        return repository.map_version() > 0 and all(
            repository.revision(kind) for kind in ("departments", "categories", "users", "routing_rules")
        )
