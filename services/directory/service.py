"""DirectoryService: the reference data every other service needs, and signing in."""

from dataclasses import asdict
from datetime import timedelta

from nameko.dependency_providers import Config
from nameko.extensions import DependencyProvider

from services.directory import domain, gridmap
from services.directory.passwords import hash_password, needs_rehash, verify_password
from services.directory.seeding import DemoSeed
from services.directory.storage import DirectoryStore
from shared.api.directory import (
    CategorySchema,
    DepartmentSchema,
    LocateQuerySchema,
    PasswordChangeSchema,
    RoutingRuleSchema,
    SignInSchema,
    UserWriteSchema,
)
from shared.auth.keys import load_private_key
from shared.auth.tokens import issue_token
from shared.clock import Clock
from shared.config import setting
from shared.errors import (
    Forbidden,
    TooManyRequests,
    Unauthenticated,
    Unprocessable,
    ValidationFailed,
)
from shared.ids import new_id
from shared.operable import Operable
from shared.rpc import rpc
from shared.validation import load, load_query

ITEM_SCHEMAS = {
    "departments": DepartmentSchema(),
    "categories": CategorySchema(),
    "routing_rules": RoutingRuleSchema(),
}
_users = UserWriteSchema()
_sign_in = SignInSchema()
_password = PasswordChangeSchema()
_locate = LocateQuerySchema()


class TokenSigner(DependencyProvider):
    """The private key that signs access tokens (held by the directory alone) and their lifetime."""

    def setup(self):
        config = self.container.config
        self.key = load_private_key(config)
        self.ttl = timedelta(seconds=setting(config, "AUTH_TOKEN_TTL_SECONDS", 8 * 3600, int))
        self.max_failures = setting(config, "SIGN_IN_MAX_FAILURES", 5, int)
        self.failure_window = timedelta(seconds=setting(config, "SIGN_IN_WINDOW_SECONDS", 900, int))

    def get_dependency(self, worker_ctx):
        return self


class GridIndexCache(DependencyProvider):
    """The spatial index of the current map, rebuilt only when the map version changes."""

    def setup(self):
        self._version, self._index = None, None

    def get_dependency(self, worker_ctx):
        return self

    def for_map(self, version: int, grids: list[dict]):
        from shared.geo import GridIndex  # shapely is loaded only where grids are needed

        if not grids:
            return None
        if version != self._version:
            self._version, self._index = version, GridIndex.from_grids(grids)
        return self._index


class DirectoryService(Operable):
    name = "directory"

    config = Config()
    store = DirectoryStore()
    clock = Clock()
    signer = TokenSigner()
    grid_index = GridIndexCache()
    demo = DemoSeed()

    # -- signing in ----------------------------------------------------------------
    @rpc
    def issue_token(self, credentials: dict) -> dict:
        given = load(_sign_in, credentials)
        now = self.clock.now()
        username = given["username"]
        failures = self.store.sign_in_failures(username)
        if domain.throttled(failures, now, limit=self.signer.max_failures, window=self.signer.failure_window):
            raise TooManyRequests("Too many failed sign-ins; wait a few minutes and try again.")
        user = self.store.user_by_username(username)
        if not verify_password(user and user.get("password_hash"), given["password"]) or not user.get("active", True):
            self.store.record_sign_in_failure(username, now, keep=self.signer.max_failures)
            raise Unauthenticated("Wrong username or password.")
        if failures:
            self.store.clear_sign_in_failures(username)
        if needs_rehash(user["password_hash"]):
            self.store.set_password_hash(user["_id"], hash_password(given["password"]))
        grids = self.store.grids_of_user(user["_id"])
        token = issue_token(self.signer.key, user=user, grids=grids, now=now, ttl=self.signer.ttl)
        return {"access_token": token, "token_type": "Bearer", "expires_in": int(self.signer.ttl.total_seconds()),
                "user": domain.public_user(user), "grids": grids}

    @rpc
    def me(self) -> dict:
        identity = self.caller.identity
        user = self.store.item("users", identity.user_id)
        return {**domain.public_user(user), "grids": self.store.grids_of_user(identity.user_id)}

    # -- copies for other services (the bus is the trust boundary; no user token) ---
    @rpc
    def reference_snapshot(self, kinds: list[str]) -> dict:
        snapshot = {}
        for kind in kinds:
            # The revision first, then the data: a change committed between the two reads then gives newer data
            # under an older revision, which the change's own event (a newer revision) brings again. The other way
            # round it gave the new revision with the old data (a service took "revision 1, no departments" while
            # the demo district was being seeded), and no event ever corrected it.
            revision = self.store.revision(kind)
            if kind == "grid_map":
                version, areas, grids = self.store.current_map()
                data = {"map_version": version, "areas": areas, "grids": grids}
            elif kind in domain.KIND_EVENT:
                data = {"items": self.store.items(kind)}
            else:
                continue
            snapshot[kind] = {"revision": revision, "data": data}
        return snapshot

    # -- the grid map --------------------------------------------------------------
    @rpc
    def export_grid_map(self) -> dict:
        self.caller.require("directory.read")
        _, areas, grids = self.store.current_map()
        return gridmap.to_feature_collection(areas, grids)

    @rpc
    def import_grid_map(self, document) -> dict:
        identity = self.caller.require("directory.write")
        areas, grids, faults = gridmap.parse_feature_collection(
            document,
            known_users=self.store.user_ids(),
            overlap_tolerance_m2=setting(self.config, "MAP_OVERLAP_TOLERANCE_M2", 1.0, float),
        )
        if faults:
            raise Unprocessable(
                f"The map has {len(faults)} fault(s); nothing was imported.",
                {"faults": [asdict(f) for f in faults]},
            )
        return self._replace_map(areas, grids, identity.actor("admin"))

    def _replace_map(self, areas, grids, actor) -> dict:
        enriched = domain.with_places(areas, grids)
        make_event = domain.map_event_factory(areas, enriched, now=self.clock.now(), actor=actor,
                                              correlation_id=new_id("X"))
        version = self.store.replace_map(areas, enriched, make_event)
        return {"map_version": version, "areas": len(areas), "grids": len(grids)}

    @rpc
    def list_areas(self) -> dict:
        self.caller.require("directory.read")
        version, areas, grids = self.store.current_map()
        return {"map_version": version, "areas": areas,
                "grids": [{k: g[k] for k in ("code", "name", "parent", "community", "street")} for g in grids]}

    @rpc
    def get_grid(self, code: str) -> dict:
        self.caller.require("directory.read")
        return self.store.grid(str(code))

    @rpc
    def locate(self, query: dict) -> dict:
        self.caller.require("directory.read")
        point = load_query(_locate, query)
        version, areas, grids = self.store.current_map()
        index = self.grid_index.for_map(version, grids)
        code = index.locate(point["lat"], point["lon"]) if index else None
        grid = next((g for g in grids if g["code"] == code), None)
        return {"grid": code, "community": grid and grid.get("community"), "street": grid and grid.get("street")}

    # -- departments, categories, routing rules --------------------------------------
    @rpc
    def list_items(self, kind: str) -> list[dict]:
        self._check_kind(kind)
        self.caller.require("routing.read" if kind == "routing_rules" else "directory.read")
        return self.store.items(kind)

    @rpc
    def get_item(self, kind: str, key: str) -> dict:
        self._check_kind(kind)
        self.caller.require("routing.read" if kind == "routing_rules" else "directory.read")
        return self.store.item(kind, str(key))

    @rpc
    def put_item(self, kind: str, key: str, data: dict) -> dict:
        self._check_kind(kind)
        identity = self.caller.require("directory.write")
        item = load(ITEM_SCHEMAS[kind], {**(data if isinstance(data, dict) else {}),
                                          domain.KEY_FIELD[kind]: key})
        self._check_references(kind, item)
        revision = self.store.save(kind, item, self._event_factory(kind, identity.actor("admin")))
        return {**item, "revision": revision}

    @rpc
    def delete_item(self, kind: str, key: str) -> dict:
        self._check_kind(kind)
        identity = self.caller.require("directory.write")
        revision = self.store.delete(kind, str(key), self._event_factory(kind, identity.actor("admin")))
        return {"deleted": key, "revision": revision}

    def _check_kind(self, kind: str) -> None:
        if kind not in ITEM_SCHEMAS:
            raise ValidationFailed.from_messages({"kind": [f"Unknown kind '{kind}'."]})

    def _check_references(self, kind: str, item: dict) -> None:
        departments = {d["code"]: d for d in self.store.items("departments")}
        if kind == "categories":
            domain.check_category(item, departments)
        elif kind == "routing_rules":
            _, areas, _ = self.store.current_map()
            domain.check_routing_rule(
                item, categories={c["code"]: c for c in self.store.items("categories")},
                departments=departments, areas={a["code"]: a for a in areas},
            )

    def _event_factory(self, kind: str, actor: dict):
        return domain.event_factory(kind, now=self.clock.now(), actor=actor, correlation_id=new_id("X"))

    # -- users ---------------------------------------------------------------------
    @rpc
    def list_users(self, query: dict | None = None) -> list[dict]:
        self.caller.require("users.manage")
        query = query if isinstance(query, dict) else {}
        users = self.store.items("users")
        role, department = query.get("role"), query.get("department")
        return [u for u in users if (not role or role in u["roles"]) and (not department or u["department"] == department)]

    @rpc
    def get_user(self, user_id: str) -> dict:
        identity = self.caller.identity
        if identity.user_id != user_id:
            self.caller.require("users.manage")
        return domain.public_user(self.store.item("users", str(user_id)))

    @rpc
    def put_user(self, user_id: str, data: dict) -> dict:
        identity = self.caller.require("users.manage")
        user = load(_users, {**(data if isinstance(data, dict) else {}), "user_id": user_id})
        password = user.pop("password", None)
        domain.check_user(user, {d["code"]: d for d in self.store.items("departments")})
        extra = {"password_hash": hash_password(password)} if password else None
        revision = self.store.save("users", user, self._event_factory("users", identity.actor("admin")), extra)
        return {**domain.public_user(user), "revision": revision}

    @rpc
    def change_password(self, user_id: str, data: dict) -> dict:
        identity = self.caller.identity
        change = load(_password, data if isinstance(data, dict) else {})
        if identity.user_id == user_id:
            user = self.store.user_by_username(self.store.item("users", user_id)["username"])
            if not verify_password(user.get("password_hash"), change.get("old_password") or ""):
                raise Forbidden("The old password is wrong.")
        else:
            self.caller.require("users.manage")
            self.store.item("users", user_id)
        self.store.set_password_hash(user_id, hash_password(change["password"]))
        return {"user_id": user_id, "password_changed": True}
