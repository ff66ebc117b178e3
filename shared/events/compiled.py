"""Event schemas loaded without marshmallow's per-call machinery, with marshmallow's answer.

Every delivery loads its event through the envelope and the payload's contract (a message from
outside, an older producer or a replayed dead letter must not reach a handler unchecked, and
loading is what fills the contract's defaults and turns its times into datetimes), and every
producer checks an event against its contract before it goes. ``Schema.load`` spends most of its
~0.1–0.4 ms per event on its own machinery — an error store, a closure and a call per field,
hooks looked up — rather than on the checks.

``Loader(schema)`` compiles a schema once into a plan: per field, its key and how to load it.
A call walks the plan, calling each leaf field's own ``deserialize`` (its type check, conversion,
validators and default: marshmallow's code) — or, for text, whole numbers and booleans that are
already of their type, the field's validators alone, which is all ``deserialize`` would do with
them — and recurses into nested schemas and lists itself. Whatever it is not sure of (any
validation error, a key a nested schema does not know, a shape it does not handle, a schema
with hooks) it hands to ``schema.load``: a result it returns is the one marshmallow would
return, and every error is marshmallow's own, with its messages (``tests/unit/test_compiled_schemas.py``
holds the two to the same answers over every contract).

``Dumper(schema)`` does the same for ``schema.dump``: each field's own ``_serialize`` (or the value
itself, for text, whole numbers and booleans already of their type), ``schema.dump`` for anything
else — a producer dumps every event it makes, the gateway every announcement it streams, and the cases
service every case it answers with (a case and its history: a list of nested objects; its ``Method``
fields are handed the whole object, as marshmallow does).
"""

from collections.abc import Callable
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields
from marshmallow.utils import missing


class _Unsure(Exception):
    """The plan cannot vouch for this input: marshmallow decides."""


def _leaf(field: fields.Field) -> Callable[[Any], Any]:
    validate = field._validate if field.validators else None
    deserialize = field.deserialize
    # Exactly what ``deserialize`` does with a value already of the field's type (marshmallow 4's String, Integer
    # and Boolean return it unchanged, then validate it); anything else goes through ``deserialize`` itself.
    kind = type(field)
    exact = {fields.String: (str,), fields.Integer: (int,), fields.Boolean: (bool,)}.get(kind)
    if field.pre_load or field.post_load:
        exact = None

    def load(raw):
        if exact is not None and type(raw) in exact:
            if validate is not None:
                validate(raw)
            return raw
        return deserialize(raw)

    return load


def _absent_or_none(field: fields.Field, raw):
    """``Field.deserialize``'s first steps: the missing and null checks, the default."""
    field._validate_missing(raw)
    if raw is missing:
        default = field.load_default
        return default() if callable(default) else default
    return None  # raw is None and the field allows it


def _nested(field: fields.Nested) -> Callable[[Any], Any]:
    schema = field.schema
    inner = _plan(schema, field.unknown if field.unknown is not None else schema.unknown)
    validate = field._validate if field.validators else None

    def load(raw):
        if raw is missing or raw is None:
            return _absent_or_none(field, raw)
        out = inner(raw)
        if validate is not None:
            validate(out)
        return out

    return load


def _list(field: fields.List) -> Callable[[Any], Any]:
    each = _field(field.inner)
    validate = field._validate if field.validators else None

    def load(raw):
        if raw is missing or raw is None:
            return _absent_or_none(field, raw)
        if type(raw) is not list:
            raise _Unsure
        out = [each(item) for item in raw]
        if validate is not None:
            validate(out)
        return out

    return load


def _field(field: fields.Field) -> Callable[[Any], Any]:
    if isinstance(field, fields.Nested):
        if field.many or field.pre_load or field.post_load:
            raise _Unsure
        return _nested(field)
    if type(field) is fields.List:
        if field.pre_load or field.post_load:
            raise _Unsure
        return _list(field)
    return _leaf(field)


def _plan(schema: Schema, unknown: str) -> Callable[[Any], dict]:
    if any(schema._hooks.values()) or schema.many or schema.partial or unknown not in (EXCLUDE, RAISE):
        raise _Unsure
    steps = []
    for name, field in schema.load_fields.items():
        attribute = field.attribute or name
        if "." in attribute:
            raise _Unsure  # marshmallow nests such a value; not worth copying
        steps.append((field.data_key if field.data_key is not None else name, attribute, _field(field)))
    known = frozenset(key for key, _, _ in steps)
    strict = unknown == RAISE

    def load(data):
        if type(data) is not dict or (strict and not known.issuperset(data)):
            raise _Unsure
        out = {}
        get = data.get
        for key, attribute, step in steps:
            value = step(get(key, missing))
            if value is not missing:
                out[attribute] = value
        return out

    return load


class Loader:
    """``schema.load(data, unknown=unknown)``, sooner."""

    def __init__(self, schema: Schema, unknown: str | None = None):
        self.schema = schema
        self.unknown = schema.unknown if unknown is None else unknown
        try:
            self._plan = _plan(schema, self.unknown)
        except _Unsure:
            self._plan = None

    def __call__(self, data: Any) -> dict:
        if self._plan is not None:
            try:
                return self._plan(data)
            except (_Unsure, ValidationError):
                pass
        return self.schema.load(data, unknown=self.unknown)

    def errors(self, data: Any) -> dict:
        """``schema.validate(data)``: the errors, or ``{}``."""
        try:
            self(data)
        except ValidationError as exc:
            return exc.messages
        return {}


# -- dumping -----------------------------------------------------------------------------------------------------


def _dump_leaf(field: fields.Field) -> Callable[[Any, str, dict], Any]:
    serialize = field._serialize
    # what ``_serialize`` returns for a value already of the field's type: the value itself
    kind = type(field)
    exact = {fields.String: (str,), fields.Integer: (int,), fields.Boolean: (bool,)}.get(kind)
    if getattr(field, "as_string", False):
        exact = None

    def dump(value, attr, obj):
        if exact is not None and type(value) in exact:
            return value
        return serialize(value, attr, obj)

    return dump


def _dump_field(field: fields.Field) -> Callable[[Any, str, dict], Any]:
    if isinstance(field, fields.Nested):
        # the schema a ``many`` field nests is itself ``many``: its plan is one item's
        inner = _dump_plan(field.schema, each_of_many=bool(field.many))
        if field.many:
            return lambda value, attr, obj: None if value is None else [inner(item) for item in value]
        return lambda value, attr, obj: None if value is None else inner(value)
    if type(field) is fields.List:
        each = _dump_field(field.inner)
        return lambda value, attr, obj: None if value is None else [each(item, attr, obj) for item in value]
    return _dump_leaf(field)


def _dump_plan(schema: Schema, each_of_many: bool = False) -> Callable[[Any], dict]:
    if any(schema._hooks.values()) or bool(schema.many) is not each_of_many:
        raise _Unsure
    steps, whole_object = [], []
    for name, field in schema.dump_fields.items():
        key = field.data_key if field.data_key is not None else name
        if not field._CHECK_ATTRIBUTE:  # a Method or Function field: marshmallow hands it the whole object
            if type(field) not in (fields.Method, fields.Function):
                raise _Unsure
            whole_object.append((name, key, field._serialize))
            continue
        attr = field.attribute or name
        if "." in attr:
            raise _Unsure
        # A key the object lacks: marshmallow then takes the dict's attribute of that name, if any (``items``: left
        # to it), or the field's dump default, or leaves the key out, as the plan does.
        if hasattr(dict, attr):
            raise _Unsure
        steps.append((attr, key, _dump_field(field), field.dump_default))
    # marshmallow's output keeps the fields' order
    order = [f.data_key if f.data_key is not None else n for n, f in schema.dump_fields.items()]

    def dump(obj):
        if type(obj) is not dict:
            raise _Unsure
        out = {}
        for attr, key, step, default in steps:
            value = obj.get(attr, missing)
            if value is missing:
                if default is missing:
                    continue
                value = default() if callable(default) else default
            out[key] = step(value, attr, obj)
        for name, key, serialize in whole_object:
            out[key] = serialize(None, name, obj)
        return out if not whole_object else {k: out[k] for k in order if k in out}

    return dump


class Dumper:
    """``schema.dump(obj)``, sooner: each field's own ``_serialize`` (or the value itself, for text, whole numbers
    and booleans already of their type), walked by a plan made once; anything else is left to ``schema.dump``."""

    def __init__(self, schema: Schema):
        self.schema = schema
        try:
            self._plan = _dump_plan(schema)
        except _Unsure:
            self._plan = None

    def __call__(self, obj: Any) -> dict:
        if self._plan is not None:
            try:
                return self._plan(obj)
            except Exception:  # noqa: BLE001 - whatever it was, marshmallow's own dump says what it says
                pass
        return self.schema.dump(obj)
