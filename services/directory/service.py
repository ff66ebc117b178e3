"""DirectoryService: the reference data every other service needs, and signing in."""

from dataclasses import asdict
from datetime import timedelta

from nameko.dependency_providers import Config

from services.directory import domain
from services.directory.domain import apikeys, gridmap
from services.directory.domain.passwords import hash_password, needs_rehash, verify_password
from services.directory.providers import GridIndexCache, TokenSigner
from services.directory.seeding import DemoSeed
from services.directory.storage import DirectoryStore
from shared.api.common import DeletedSchema
from shared.api.directory import (
    KEY_FIELD,
    ApiKeyCreateSchema,
    ApiKeyIssuedSchema,
    ApiKeySchema,
    AreasSchema,
    CategorySchema,
    DepartmentSchema,
    GridMapCheckedSchema,
    GridSchema,
    LocateQuerySchema,
    PasswordChangedSchema,
    PasswordChangeSchema,
    RoutingRuleSchema,
    SignInSchema,
    UserQuerySchema,
    UserSchema,
    UserWriteSchema,
)
from shared.auth.policy import PUBLIC_APP
from shared.auth.tokens import issue_token
from shared.clock import Clock
from shared.config import setting
from shared.errors import (
    Forbidden,
    NotFound,
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
# the answers, serialised by the schemas the OpenAPI document shows (gateway/routes/directory.py)
_user_view = UserSchema()
_user_query = UserQuerySchema()
_areas_view = AreasSchema()
_grid_view = GridSchema()
_map_checked = GridMapCheckedSchema()
_deleted = DeletedSchema()
_password_changed = PasswordChangedSchema()
_sign_in = SignInSchema()
_password = PasswordChangeSchema()
_locate = LocateQuerySchema()
_key_create = ApiKeyCreateSchema()
_key_listed = ApiKeySchema()
_key_issued = ApiKeyIssuedSchema()
# An app's token lives for one Open311 request; the key is checked (and counted) again on the next.
APP_TOKEN_TTL = timedelta(minutes=2)


#: Which event goes to which handler: the directory is the source of reference data and hears no event.
EVENT_HANDLERS: dict[str, dict[str, str]] = {}


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
    def issue_token(self, credentials: dict, client: str | None = None) -> dict:
        """A token for a username and password. ``client`` is the address the gateway saw the request come
        from: failures are counted per username and per client (a caller on the bus, which is trusted,
        may leave it out)."""
        given = load(_sign_in, credentials)
        now = self.clock.now()
        username = given["username"]
        window = self.signer.failure_window
        client = domain.client_key(str(client)) if client else None
        failures = self.store.sign_in_failures(username)
        client_failures = self.store.sign_in_failures(client, by="client") if client else []
        if domain.throttled(failures, now, limit=self.signer.max_failures, window=window) or domain.throttled(
            client_failures, now, limit=self.signer.client_max_failures, window=window
        ):
            raise TooManyRequests.of("signin.throttled")
        user = self.store.user_by_username(username)
        if not verify_password(user and user.get("password_hash"), given["password"]) or not user.get("active", True):
            self.store.record_sign_in_failure(username, now, keep=self.signer.max_failures, window=window)
            if client:  # not cleared by a success: one good account must not reset a client's guessing
                self.store.record_sign_in_failure(
                    client, now, keep=self.signer.client_max_failures, window=window, by="client"
                )
            raise Unauthenticated.of("signin.wrong_password")
        if failures:
            self.store.clear_sign_in_failures(username)
        if needs_rehash(user["password_hash"]):
            self.store.set_password_hash(user["_id"], hash_password(given["password"]))
        grids = self.store.grids_of_user(user["_id"])
        token = issue_token(self.signer.key, user=user, grids=grids, now=now, ttl=self.signer.ttl)
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": int(self.signer.ttl.total_seconds()),
            "user": domain.public_user(user),
            "grids": grids,
        }

    @rpc
    def me(self) -> dict:
        identity = self.caller.identity
        user = self.store.item("users", identity.user_id)
        return {**domain.public_user(user), "grids": self.store.grids_of_user(identity.user_id)}

    # -- Open311: apps' API keys, and the catalogue open to the public -------------------
    @rpc
    def create_api_key(self, data: dict) -> dict:
        identity = self.caller.require("open311.manage_keys")
        given = load(_key_create, data if isinstance(data, dict) else {})
        api_key = apikeys.make_key()
        document = apikeys.new_key_document(given, api_key=api_key, created_by=identity.user_id, now=self.clock.now())
        self.store.add_api_key(document)
        return _key_issued.dump({**apikeys.listed(document), "api_key": api_key})

    @rpc
    def list_api_keys(self) -> list[dict]:
        self.caller.require("open311.manage_keys")
        return [_key_listed.dump(apikeys.listed(d)) for d in self.store.api_keys()]

    @rpc
    def revoke_api_key(self, key_id: str) -> dict:
        self.caller.require("open311.manage_keys")
        return _key_listed.dump(apikeys.listed(self.store.revoke_api_key(str(key_id), self.clock.now())))

    @rpc
    def open311_session(self, api_key: str) -> dict:
        """A token for one request of the app holding ``api_key`` (the key is the credential, as a password is)."""
        key = self.store.api_key_by_hash(apikeys.key_hash(str(api_key))) if api_key else None
        if key is None or key.get("revoked_at"):
            raise Forbidden.of("open311.key_refused" if api_key else "open311.key_required")
        now = self.clock.now()
        if not self.store.take_request_slot(key, apikeys.window_of(now)):
            raise TooManyRequests.of("open311.rate_limited", limit=key["rate_limit_per_minute"])
        app = {"user_id": f"app:{key['_id']}", "name": key["app"], "roles": [PUBLIC_APP]}
        return {
            "token": issue_token(self.signer.key, user=app, grids=[], now=now, ttl=APP_TOKEN_TTL),
            "key_id": key["_id"],
            "app": key["app"],
        }

    @rpc
    def open311_catalogue(self) -> dict:
        """The categories open to the public, and the district's code. Public by design: what anyone may report."""
        services = [c for c in self.store.items("categories") if c.get("public") and c.get("active", True)]
        return {"jurisdiction_id": self.store.district_code(), "services": services}

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
        areas, grids, faults = self._parse_map(document)
        if faults:
            raise Unprocessable.of("gridmap.faults", {"faults": [asdict(f) for f in faults]}, count=len(faults))
        return self._replace_map(areas, grids, identity.actor("admin"))

    @rpc
    def check_grid_map(self, document) -> dict:
        """What an import of ``document`` would find — every fault, or how many areas and grids it would put in
        place — with nothing imported: an administrator sees the faults before anything is replaced."""
        self.caller.require("directory.write")
        areas, grids, faults = self._parse_map(document)
        current, _, _ = self.store.current_map()
        return _map_checked.dump(
            {
                "importable": not faults,
                "faults": [asdict(f) for f in faults],
                "areas": len(areas),
                "grids": len(grids),
                "map_version": current,
            }
        )

    def _parse_map(self, document):
        return gridmap.parse_feature_collection(
            document,
            known_users=self.store.user_ids(),
            overlap_tolerance_m2=setting(self.config, "MAP_OVERLAP_TOLERANCE_M2", 1.0, float),
        )

    def _replace_map(self, areas, grids, actor) -> dict:
        enriched = domain.with_places(areas, grids)
        make_event = domain.map_event_factory(
            areas, enriched, now=self.clock.now(), actor=actor, correlation_id=new_id("X")
        )
        version = self.store.replace_map(areas, enriched, make_event)
        return {"map_version": version, "areas": len(areas), "grids": len(grids)}

    @rpc
    def list_areas(self) -> dict:
        self.caller.require("directory.read")
        version, areas, grids = self.store.current_map()
        return _areas_view.dump({"map_version": version, "areas": areas, "grids": grids})

    @rpc
    def get_grid(self, code: str) -> dict:
        self.caller.require("directory.read")
        return _grid_view.dump(self.store.grid(str(code)))

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
        return ITEM_SCHEMAS[kind].dump(self.store.items(kind), many=True)

    @rpc
    def get_item(self, kind: str, key: str) -> dict:
        self._check_kind(kind)
        self.caller.require("routing.read" if kind == "routing_rules" else "directory.read")
        return ITEM_SCHEMAS[kind].dump(self.store.item(kind, str(key)))

    @rpc
    def put_item(self, kind: str, key: str, data: dict) -> dict:
        self._check_kind(kind)
        identity = self.caller.require("directory.write")
        item = load(ITEM_SCHEMAS[kind], {**(data if isinstance(data, dict) else {}), KEY_FIELD[kind]: key})
        self._check_references(kind, item)
        revision = self.store.save(kind, item, self._event_factory(kind, identity.actor("admin")))
        return ITEM_SCHEMAS[kind].dump({**item, "revision": revision})

    @rpc
    def delete_item(self, kind: str, key: str) -> dict:
        self._check_kind(kind)
        identity = self.caller.require("directory.write")
        revision = self.store.delete(kind, str(key), self._event_factory(kind, identity.actor("admin")))
        return _deleted.dump({"deleted": key, "revision": revision})

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
                item,
                categories={c["code"]: c for c in self.store.items("categories")},
                departments=departments,
                areas={a["code"]: a for a in areas},
            )

    def _event_factory(self, kind: str, actor: dict):
        return domain.event_factory(kind, now=self.clock.now(), actor=actor, correlation_id=new_id("X"))

    # -- users ---------------------------------------------------------------------
    @rpc
    def list_users(self, query: dict | None = None) -> list[dict]:
        self.caller.require("users.manage")
        q = load(_user_query, query if isinstance(query, dict) else {})
        users = self.store.items("users")
        role, department = q["role"], q["department"]
        return _user_view.dump(
            [
                u
                for u in users
                if (not role or role in u["roles"]) and (not department or u["department"] == department)
            ],
            many=True,
        )

    @rpc
    def get_user(self, user_id: str) -> dict:
        identity = self.caller.identity
        if identity.user_id != user_id:
            self.caller.require("users.manage")
        return _user_view.dump(domain.public_user(self.store.item("users", str(user_id))))

    @rpc
    def put_user(self, user_id: str, data: dict) -> dict:
        identity = self.caller.require("users.manage")
        user = load(_users, {**(data if isinstance(data, dict) else {}), "user_id": user_id})
        password = user.pop("password", None)
        domain.check_user(user, {d["code"]: d for d in self.store.items("departments")})
        extra = {"password_hash": hash_password(password)} if password else {}
        if (password or not user["active"]) and self._exists("users", user_id):
            # a deactivated account, or one whose password an administrator replaced: the tokens it holds end
            # here for good — reactivating it later does not bring them back
            extra["tokens_valid_from"] = domain.tokens_revoked_at(self.clock.now())
        revision = self.store.save(
            "users",
            user,
            self._event_factory("users", identity.actor("admin")),
            extra,
            check=domain.check_an_administrator_remains,
        )
        return _user_view.dump({**domain.public_user(user), "revision": revision})

    @rpc
    def change_password(self, user_id: str, data: dict) -> dict:
        identity = self.caller.identity
        change = load(_password, data if isinstance(data, dict) else {})
        if identity.user_id == user_id:
            user = self.store.user_by_username(self.store.item("users", user_id)["username"])
            if not verify_password(user.get("password_hash"), change.get("old_password") or ""):
                raise Forbidden.of("password.old_wrong")
            self.store.set_password_hash(user_id, hash_password(change["password"]))
        else:  # reset by an administrator (a lost or stolen phone): whatever signed in before is signed out
            self.caller.require("users.manage")
            self.store.reset_password(
                user_id,
                hash_password(change["password"]),
                domain.tokens_revoked_at(self.clock.now()),
                self._event_factory("users", identity.actor("admin")),
            )
        return _password_changed.dump({"user_id": user_id, "password_changed": True})

    def _exists(self, kind: str, key: str) -> bool:
        try:
            self.store.item(kind, key)
        except NotFound:
            return False
        return True
