"""A rule that needs a field holds when the field is left out: marshmallow runs a field's validators only on a
value that was sent, never on its ``load_default`` — so a default the field's own rule refuses is a way round it."""

import importlib
import inspect
import pkgutil

import pytest
from marshmallow import Schema, ValidationError, fields

import shared.api
import shared.events.contracts
from services.cases.domain.actions import ACTIONS
from shared.errors import ValidationFailed
from shared.validation import load


def _schemas():
    found = {}
    for package in (shared.api, shared.events.contracts):
        for module in pkgutil.iter_modules(package.__path__):
            loaded = importlib.import_module(f"{package.__name__}.{module.name}")
            for name, value in vars(loaded).items():
                if inspect.isclass(value) and issubclass(value, Schema) and value.__module__ == loaded.__name__:
                    found[f"{loaded.__name__}.{name}"] = value
    for name, spec in ACTIONS.items():
        found[f"action {name}"] = type(spec.schema)
    return found


def _defaults_refused_by_their_own_rules(schema: Schema) -> list[str]:
    refused = []
    for name, field in schema.fields.items():
        if field.required or field.load_default is None or field.load_default is fields.missing_:
            continue
        default = field.load_default() if callable(field.load_default) else field.load_default
        try:
            for validator in field.validators:
                validator(default)
        except ValidationError:
            refused.append(name)
    return refused


@pytest.mark.parametrize("name, schema_cls", sorted(_schemas().items()), ids=lambda v: v if isinstance(v, str) else "")
def test_no_field_left_out_escapes_its_own_rule(name, schema_cls):
    assert _defaults_refused_by_their_own_rules(schema_cls()) == []


@pytest.mark.parametrize("body", [{"note": "已处理"}, {"note": "已处理", "attachments": []}])
def test_a_resolution_without_evidence_is_refused_naming_the_photos(body):
    with pytest.raises(ValidationFailed) as refused:
        load(ACTIONS["resolve"].schema, body)
    assert "attachments" in refused.value.details["fields"]
