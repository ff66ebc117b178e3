"""Every service has the same shape (docs/architecture.md, "One shape for every service"):

    services/<name>/service.py   the nameko entrypoints: RPCs, timers, and EVENT_HANDLERS, the service's whole
                                 subscription (source service -> event type -> handler method)
    services/<name>/domain/      the pure rules: no broker, store, network or framework
    services/<name>/storage.py   (or storage/) the repository and its dependency provider

Whatever else a service has (channels, a courier, a CLI) sits beside them, named for what it does.
"""

import ast
import importlib
from pathlib import Path

import pytest

from deploy.services import SERVICES, load_class
from shared.messaging import EventConsumer, entrypoint_name

ROOT = Path(__file__).resolve().parents[2]

# What a pure module may not import: the I/O and the framework. A domain function takes what it needs (the time,
# the ids, the reference data) as arguments, so its tests compare whole results.
IO_MODULES = (
    "amqp",
    "eventlet",
    "gridfs",
    "kombu",
    "nameko",
    "pymongo",
    "requests",
    "smtplib",
    "socket",
    "urllib.request",
    "shared.broker",
    "shared.messaging",
    "shared.mongo",
    "shared.outbox",
    "shared.rpc",
)


def _service_dir(name: str) -> Path:
    return ROOT / "services" / name


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            if node.module.startswith("services."):  # from services.x import storage: a module, not a name
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _is_io(module: str, service: str) -> bool:
    if module.startswith(f"services.{service}.") and not module.startswith(f"services.{service}.domain"):
        return True  # the service's own I/O modules (its storage, its channels)
    return any(module == io or module.startswith(io + ".") for io in IO_MODULES)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_the_service_has_the_three_places(name):
    here = _service_dir(name)
    assert (here / "service.py").is_file(), "entrypoints in service.py"
    assert (here / "domain" / "__init__.py").is_file(), "the pure rules in a domain/ package"
    assert (here / "storage.py").is_file() or (here / "storage" / "__init__.py").is_file(), "storage.py or storage/"
    assert not (here / "domain.py").exists(), "domain.py beside domain/"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_the_domain_is_pure(name):
    for path in sorted((_service_dir(name) / "domain").rglob("*.py")):
        impure = sorted(m for m in _imports(path) if _is_io(m, name))
        assert not impure, f"{path.relative_to(ROOT)} imports {impure}"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_the_event_handler_table_is_the_whole_subscription(name):
    module = importlib.import_module(f"services.{name}.service")
    table = getattr(module, "EVENT_HANDLERS", None)
    assert isinstance(table, dict), f"services/{name}/service.py has no EVENT_HANDLERS table"
    cls = load_class(SERVICES[name])
    wanted = {
        entrypoint_name(event_type): (source, event_type, handler)
        for source, events in table.items()
        for event_type, handler in events.items()
    }
    found = {}
    for attr in dir(cls):
        for entrypoint in getattr(getattr(cls, attr), "nameko_entrypoints", ()):
            if isinstance(entrypoint, EventConsumer) and not entrypoint.broadcast:
                found[attr] = (entrypoint.source_service, entrypoint.event_type)
    assert found == {attr: (source, event) for attr, (source, event, _) in wanted.items()}
    for _source, event_type, handler in wanted.values():
        assert callable(getattr(cls, handler, None)), f"{event_type} names {handler}, which {cls.__name__} lacks"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_no_consumer_is_written_by_hand(name):
    """A consumer outside the table is one a reader of the table does not see."""
    for path in sorted(_service_dir(name).rglob("*.py")):
        assert "@consume(" not in path.read_text(), (
            f"{path.relative_to(ROOT)} declares a consumer outside EVENT_HANDLERS"
        )


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_dependency_providers_live_beside_the_entrypoints_not_in_them(name):
    tree = ast.parse((_service_dir(name) / "service.py").read_text())
    providers = [
        node.name
        for node in tree.body
        if isinstance(node, ast.ClassDef)
        and any(getattr(base, "id", getattr(base, "attr", "")) == "DependencyProvider" for base in node.bases)
    ]
    assert not providers, f"services/{name}/service.py defines {providers}"


def test_indicators_hear_every_event_that_has_a_transition_kind():
    """The table is written out in full, and the domain maps event types to transition kinds: the two must name the
    same events, or a case event would go unheard (no queue) or be heard and then ignored (no kind)."""
    from services.indicators import domain
    from services.indicators.service import EVENT_HANDLERS

    heard = {event_type for events in EVENT_HANDLERS.values() for event_type in events}
    assert heard == set(domain.KIND_OF_EVENT)
