"""Registry of event contracts: type -> (payload schema, version, producing service).

The producer owns each contract; the modules beside this one declare them with
``@contract``. Adding a field needs no new version; removing or renaming one does.
"""

from marshmallow import Schema

_CONTRACTS: dict[str, tuple[Schema, int, str]] = {}


def contract(event_type: str, *, producer: str, version: int = 1):
    """Class decorator registering a payload schema as the contract of ``event_type``."""

    def register(schema_cls: type[Schema]) -> type[Schema]:
        if event_type in _CONTRACTS:
            raise ValueError(f"event type {event_type} is declared twice")
        _CONTRACTS[event_type] = (schema_cls(), version, producer)
        schema_cls.event_type = event_type
        return schema_cls

    return register


def contract_for(event_type: str) -> tuple[Schema, int, str]:
    _load_contracts()
    return _CONTRACTS[event_type]


def all_contracts() -> dict[str, tuple[Schema, int, str]]:
    _load_contracts()
    return dict(_CONTRACTS)


def _load_contracts() -> None:
    # Imported lazily: the contract modules import this one to register themselves.
    from shared.events.contracts import cases, directory, dispatch, notifications, reporting  # noqa: F401
