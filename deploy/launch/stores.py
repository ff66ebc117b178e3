"""Which embedded stores `make run` starts when ``MONGO_URI`` is unset: one per service (the default), or one for
all (``CIVICGRID_DB_STORES=one``), and the ``MONGO_URI``/``<SERVICE>_MONGO_URI`` that point the services at them."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from deploy.launch import LaunchError, say
from deploy.launch.embedded_store import MEMORY, EmbeddedStore
from deploy.launch.processes import free_port
from deploy.services import SERVICES
from shared.config import as_bool


def single_store_data(storage: str) -> bool:
    """Whether ``storage`` holds one store's data (WiredTiger's files at its top), not a directory per service."""
    return storage != MEMORY and (Path(storage) / "WiredTiger").exists()


def start_stores(env: dict, var: Path) -> list[EmbeddedStore]:
    """Start the embedded stores and point ``env`` at them. SecantusDB is one Python process on one core: one per
    service spreads the store's work over the machine's cores, and gives each service its own server, as in a
    deployment. A data directory an earlier ``one`` layout left is kept in that layout."""
    port = int(env.get("CIVICGRID_DB_PORT") or 27017)
    storage = env.get("CIVICGRID_DB_PATH") or str(var / "db")
    mode = env.get("CIVICGRID_DB_STORES") or ("one" if single_store_data(storage) else "per-service")
    if mode not in ("one", "per-service"):
        raise LaunchError(f"CIVICGRID_DB_STORES={mode!r}: one or per-service")
    if mode == "one" and not env.get("CIVICGRID_DB_STORES"):
        say(
            f"{storage} holds the data of one store for all services: keeping that layout "
            f"(CIVICGRID_DB_STORES=one; docs/configuration.md)"
        )
    try:
        sync = as_bool(env.get("CIVICGRID_DB_SYNC") or "1")
    except ValueError:
        raise LaunchError(f"CIVICGRID_DB_SYNC={env['CIVICGRID_DB_SYNC']!r}: 1 or 0") from None

    def store(name: str, port: int, storage: str) -> EmbeddedStore:
        # Without --sync-on-commit SecantusDB keeps its log's last moments in the process: a store killed then loses
        # writes it had acknowledged (a report answered 202, a case whose events went out). A throw-away store
        # (:memory:) loses everything on a restart anyway.
        return EmbeddedStore(
            port or free_port(),
            storage,
            name=name,
            sync=sync and storage != MEMORY,
            log_file=var / "log" / f"{name}.log",
            pid_file=var / "run" / f"{name}.pid",
        )

    if mode == "one":
        stores = [store("store", port, storage)]
    else:

        def place(name):
            return storage if storage == MEMORY else str(Path(storage) / name)

        stores = [store(f"store-{name}", (port + i) if port else 0, place(name)) for i, name in enumerate(SERVICES)]
    for each in stores:
        say(f"starting the embedded store (SecantusDB) {each.name} on port {each.port}, data in {each.storage}")
    # started one after the other from this thread, then waited for together: each takes a second or two to open its
    # data
    for each in stores:
        each.spawn()
    with ThreadPoolExecutor(len(stores)) as pool:
        for ready in [pool.submit(each.wait_ready) for each in stores]:
            ready.result()
    env["MONGO_URI"] = stores[0].uri
    if mode == "per-service":
        for name, each in zip(SERVICES, stores, strict=True):
            env[f"{name.upper()}_MONGO_URI"] = each.uri
    return stores


def store_uris(env: dict) -> dict[str, str]:
    """Each service's store, as the services find it (``shared.config.mongo_target``)."""
    return {name: env.get(f"{name.upper()}_MONGO_URI") or env["MONGO_URI"] for name in SERVICES}
