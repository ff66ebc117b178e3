"""Loading client input through a schema: field-by-field errors, nothing partial.

Two layers, both here so every schema gets them without saying so:

* ``json_problems`` — what any JSON body must be to be read, validated and stored:
  nested at most ``MAX_DEPTH`` deep, text that is Unicode (no unpaired surrogates)
  without control characters (tab and line breaks aside), numbers that are finite
  and integers a 64-bit store can hold. The gateway's body reader applies it before
  anything else; ``load`` again, for input that arrives another way.
* ``type_problems`` — what marshmallow lets through but a JSON API must not: a
  number sent as a string (``"lat": "34.2"``), a boolean as ``"yes"`` or ``1``,
  text that is only spaces. Query parameters are text by nature: ``load_query``
  leaves numbers and booleans to the schema.

Every problem is reported under the field's name, nested as marshmallow nests its
own messages, so a client sees all of them at once.
"""

import math
import re

from marshmallow import Schema, ValidationError, fields

from shared.errors import ValidationFailed

MAX_DEPTH = 32
INT64 = (-(2**63), 2**63 - 1)

NOT_AN_OBJECT = "The body must be a JSON object."
BLANK = "Must not be blank (only spaces)."
NOT_A_NUMBER = "Not a number: send a JSON number, not text."
NOT_A_BOOLEAN = "Not a boolean: send true or false."
NOT_WHOLE = "Not a whole number."
TOO_LARGE = "The number is too large to store (64-bit integers only)."


# the control characters (Unicode category Cc) but tab and line breaks, and the surrogates, alone
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be taken as text, or None."""
    found = _NOT_TEXT.search(text)
    if found is None:
        return None
    if "\ud800" <= found.group() <= "\udfff":
        return "Not valid Unicode text (an unpaired surrogate)."
    return f"Control character U+{ord(found.group()):04X} is not allowed in text."


def printable_key(key) -> str:
    """A field name fit to be shown back in an error answer, whatever the client sent."""
    return str(key).encode("utf-8", "backslashreplace").decode("utf-8")


def _add(problems: dict, path: tuple, message: str) -> None:
    node = problems
    for step in path[:-1]:
        child = node.get(step)
        if not isinstance(child, dict):
            child = node[step] = {}
        node = child
    leaf = path[-1] if path else "_body"
    messages = node.setdefault(leaf, [])
    if isinstance(messages, list) and message not in messages:
        messages.append(message)


def _scalar_problem(value) -> str | None:
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int) and not INT64[0] <= value <= INT64[1]:
        return TOO_LARGE
    if isinstance(value, float) and not math.isfinite(value):
        return "Not a finite number."
    return None


def json_problems(document) -> dict:
    """Problems with a decoded JSON document, by path; empty when it may be read, validated and stored.

    Iterative, so a document nested deeper than Python's recursion limit is reported, not fatal.
    """
    problems: dict = {}
    stack = [((), document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, (dict, list)) and len(path) >= MAX_DEPTH:
            _add(problems, path, f"Nested deeper than {MAX_DEPTH} levels.")
            continue
        if isinstance(value, dict):
            for key, item in value.items():
                shown = printable_key(key)
                why = text_problem(key) if isinstance(key, str) else None
                if why:
                    _add(problems, path + (shown,), f"The field name is not allowed: {why}")
                else:
                    stack.append((path + (shown,), item))
        elif isinstance(value, list):
            stack.extend((path + (i,), item) for i, item in enumerate(value))
        else:
            why = _scalar_problem(value)
            if why:
                _add(problems, path, why)
    return problems


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _field_problems(field: fields.Field, value, strict: bool):
    """Problems with ``value`` as input to ``field``: a list of messages, a dict of nested ones, or None."""
    if value is None:
        return None
    if isinstance(field, fields.Nested):
        schema = field.schema
        if field.many and isinstance(value, list):
            nested = {
                i: p
                for i, item in enumerate(value)
                if isinstance(item, dict) and (p := type_problems(schema, item, strict=strict))
            }
            return nested or None
        return (type_problems(schema, value, strict=strict) or None) if isinstance(value, dict) else None
    if isinstance(field, fields.List) and isinstance(value, list):
        nested = {i: p for i, item in enumerate(value) if (p := _field_problems(field.inner, item, strict))}
        return nested or None
    if isinstance(field, fields.Mapping) and isinstance(value, dict):
        nested = {}
        for key, item in value.items():
            entry = {}
            if field.key_field is not None and (p := _field_problems(field.key_field, key, strict)):
                entry["key"] = p
            if field.value_field is not None and (p := _field_problems(field.value_field, item, strict)):
                entry["value"] = p
            if entry:
                nested[key] = entry
        return nested or None
    if strict and isinstance(field, fields.Number) and not _is_number(value):
        return [NOT_A_NUMBER]
    if isinstance(field, fields.Integer) and _is_number(value):
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            return [NOT_WHOLE]  # marshmallow would quietly drop the fraction
        if not INT64[0] <= value <= INT64[1]:
            return [TOO_LARGE]
    if strict and isinstance(field, fields.Boolean) and not isinstance(value, bool):
        return [NOT_A_BOOLEAN]
    if isinstance(field, fields.String) and isinstance(value, str) and value and not value.strip():
        return [BLANK]
    return None


def type_problems(schema: Schema, data: dict, *, strict: bool = True) -> dict:
    """Problems marshmallow would let through, by field (its ``data_key``)."""
    problems = {}
    for name, field in schema.load_fields.items():
        key = field.data_key or name
        if key in data and (found := _field_problems(field, data[key], strict)):
            problems[key] = found
    return problems


def _merge(ours: dict, theirs: dict) -> dict:
    merged = dict(theirs)
    for key, value in ours.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(value, merged[key])
        elif isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = value + [m for m in merged[key] if m not in value]
        else:
            merged[key] = value
    return merged


def _load(schema: Schema, data, strict: bool, kwargs):
    if not isinstance(data, dict):
        raise ValidationFailed.from_messages({"_schema": [NOT_AN_OBJECT]})
    unreadable = json_problems(data)
    if unreadable:
        raise ValidationFailed.from_messages(unreadable)
    ours = type_problems(schema, data, strict=strict)
    try:
        loaded = schema.load(data, **kwargs)
    except ValidationError as exc:
        raise ValidationFailed.from_messages(_merge(ours, exc.messages)) from None
    if ours:
        raise ValidationFailed.from_messages(ours)
    return loaded


def load(schema: Schema, data, **kwargs):
    """A JSON body through ``schema``; ``ValidationFailed`` naming every faulty field otherwise."""
    return _load(schema, data, True, kwargs)


def load_query(schema: Schema, data, **kwargs):
    """Query parameters through ``schema``: numbers and booleans arrive as text and the schema reads them."""
    return _load(schema, data, False, kwargs)
