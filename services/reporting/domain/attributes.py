"""A category's extra fields (Open311 service-definition attributes), checked. Pure."""

from datetime import datetime

from shared.errors import ValidationFailed
from shared.validation import BLANK


def _problem(attribute: dict, value) -> str | None:
    datatype = attribute["datatype"]
    keys = {v["key"] for v in attribute.get("values", ())}
    if datatype in ("string", "text"):
        limit = 4000 if datatype == "text" else 500
        if not isinstance(value, str) or len(value) > limit:
            return f"Must be text of at most {limit} characters."
        return None if value.strip() else BLANK
    if datatype == "number":
        return None if isinstance(value, int | float) and not isinstance(value, bool) else "Must be a number."
    if datatype == "datetime":
        try:
            datetime.fromisoformat(value)
        except (TypeError, ValueError):
            return "Must be a date and time (ISO 8601)."
        return None
    if datatype == "singlevaluelist":  # a key is text: anything else (a list, an object) is not one of them
        return None if isinstance(value, str) and value in keys else f"Must be one of: {', '.join(sorted(keys))}."
    if datatype == "multivaluelist":
        ok = isinstance(value, list) and value and all(isinstance(v, str) and v in keys for v in value)
        return None if ok else f"Must be a list of: {', '.join(sorted(keys))}."
    return f"Unsupported datatype {datatype}."


def check_attributes(given: dict, category: dict) -> dict:
    """``given`` checked against the category's definition; every problem listed at once."""
    definitions = {a["code"]: a for a in category.get("attributes", ())}
    errors: dict[str, list[str]] = {}
    for code in given.keys() - definitions.keys():
        errors[code] = [f"The category '{category['code']}' has no field '{code}'."]
    for code, attribute in definitions.items():
        value = given.get(code)
        if value is None or value == "" or value == []:
            if attribute.get("required"):
                errors[code] = ["Missing data for required field."]
            continue
        problem = _problem(attribute, value)
        if problem:
            errors[code] = [problem]
    if errors:
        raise ValidationFailed.from_messages({"attributes": errors})
    return {code: value for code, value in given.items() if value not in (None, "", [])}
