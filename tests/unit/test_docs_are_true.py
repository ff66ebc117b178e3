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


def _table(text: str, heading: str) -> dict[str, list[str]]:
    """The rows of the first table after ``heading``: first cell's `code` -> the other cells."""
    after = text[text.index(heading) :]
    rows = {}
    for line in after.splitlines()[1:]:
        if rows and not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        code = re.fullmatch(r"`(\w+)`", cells[0]) if line.startswith("|") else None
        if code:
            rows[code.group(1)] = cells[1:]
    return rows


def _app_label(key: str) -> str:
    """The zh-CN label the web app shows for ``key`` (zh-CN comes first in web/src/i18n.js)."""
    found = re.search(rf"'{re.escape(key)}': '([^']*)'", (ROOT / "web" / "src" / "i18n.js").read_text())
    assert found, key
    return found.group(1)


def test_the_domain_page_names_every_role():
    from shared.auth.policy import ROLES

    roles = _table((ROOT / "docs" / "domain.md").read_text(), "## 1. Who uses it")
    assert set(roles) == set(ROLES)


def test_the_domain_page_tells_the_closed_loop_as_the_code_runs_it():
    from services.cases.domain.actions import ACTIONS
    from services.cases.domain.model import OPEN, STATUSES
    from services.cases.domain.rules import WHO

    text = (ROOT / "docs" / "domain.md").read_text()
    statuses = _table(text, "| Status | 中文 |")
    assert list(statuses) == list(STATUSES)
    for status, (zh, _) in statuses.items():
        assert zh == _app_label(f"status.{status}"), status

    actions = _table(text, "| Action | 中文 |")
    assert set(actions) == set(ACTIONS)
    words = {"open": OPEN, "any": frozenset(STATUSES)}
    for name, (zh, states, who) in actions.items():
        assert zh == _app_label(f"action.{name}"), name
        named = words.get(states) or frozenset(s.strip() for s in states.split(","))
        assert named == ACTIONS[name].states, name
        assert {p.strip() for p in who.split(",")} == WHO[name], name


def test_the_architecture_page_shows_every_event_handler_table():
    """docs/architecture.md's "Which event goes to which handler" is each service's EVENT_HANDLERS, row for row."""
    import importlib

    from deploy.services import SERVICES

    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text[text.index("### Which event goes to which handler") :]
    for name in SERVICES:
        table = importlib.import_module(f"services.{name}.service").EVENT_HANDLERS
        start = section.index(f"**{name}**")
        block = section[start : section.find("\n**", start + 1)]
        shown = {
            (row.group(1), row.group(2), event)
            for row in re.finditer(r"^\| `(\w+)` \| (\w+) \| (.*) \|$", block, re.M)
            for event in re.findall(r"`([\w.]+)`", row.group(3))
        }
        wanted = {(handler, source, event) for source, events in table.items() for event, handler in events.items()}
        assert shown == wanted, name
