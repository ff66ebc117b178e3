"""The documents name what the code has: every event, every setting."""

import re
from pathlib import Path

from shared.events.catalogue import all_contracts

ROOT = Path(__file__).resolve().parents[2]


def test_every_event_is_in_the_architecture_catalogue():
    text = (ROOT / "docs" / "architecture.md").read_text()
    for event_type, (_, _, producer) in all_contracts().items():
        assert re.search(rf"\| `{re.escape(event_type)}` \| {producer} \|", text), event_type


def test_every_setting_is_documented():
    config = (ROOT / "deploy" / "nameko.yaml").read_text()
    config = "\n".join(line for line in config.splitlines() if not line.lstrip().startswith("#"))
    settings = set(re.findall(r"\$\{([A-Z_]+):", config))
    documented = (ROOT / "docs" / "configuration.md").read_text()
    missing = {s for s in settings if f"`{s}`" not in documented}
    assert not missing


def _subscriptions() -> dict[str, set[str]]:
    from deploy.services import GATEWAY, load_class, service_classes
    from shared.messaging import EventConsumer

    found: dict[str, set[str]] = {}
    for cls in [*service_classes(), load_class(GATEWAY)]:
        for name in dir(cls):
            for entrypoint in getattr(getattr(cls, name), "nameko_entrypoints", ()):
                if isinstance(entrypoint, EventConsumer):
                    found.setdefault(entrypoint.event_type, set()).add(cls.name)
    return found


def test_the_event_catalogue_names_every_consumer():
    from deploy.services import SERVICES

    services = {*SERVICES, "gateway"}
    text = (ROOT / "docs" / "architecture.md").read_text()
    for event_type, consumers in _subscriptions().items():
        if event_type.startswith(("grid_map.", "departments.", "categories.", "routing_rules.", "users.")):
            continue  # the directory's events reach every service (broadcast): the table says so
        row = re.search(rf"^\| `{re.escape(event_type)}` \| \w+ \| ([^|]*) \|", text, re.M)
        assert row, event_type
        named = {s for s in services if re.search(rf"\b{s}\b", row.group(1))}
        assert named == consumers, event_type
