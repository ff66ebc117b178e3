"""Reports from the public (Open311): what differs from a staff report. Pure: no I/O, time passed in.

A public report is filed by an app for a resident: the reporter recorded on the case
is the app (``public:<key id>``), the resident's contact details stay in the report
document (personal data, never in an event), and a retry is recognised by the
device and the content within a short window, since Open311 has no idempotency key.
"""

import hashlib
from datetime import datetime, timedelta

from services.reporting.domain.intake import fingerprint
from shared.errors import UnknownCategory, ValidationFailed

WINDOWS_LOOKED_AT = 2  # this window and the one before: a retry just after a boundary still finds its report


def check_public_category(code: str, categories: dict) -> dict:
    category = categories.get(code)
    if category is None or not category.get("active", True) or not category.get("public"):
        raise UnknownCategory.of("open311.unknown_service", {"category": code}, code=code)
    return category


def typed_attributes(given: dict, category: dict) -> dict:
    """Form values (text) as the category's datatypes want them; what cannot be read is left for the check."""
    definitions = {a["code"]: a for a in category.get("attributes", ())}
    typed = {}
    for code, value in given.items():
        datatype = definitions.get(code, {}).get("datatype")
        if datatype == "multivaluelist" and isinstance(value, str):
            value = [value]
        elif datatype == "number" and isinstance(value, str):
            value = _number(value)
        elif datatype not in ("multivaluelist", None) and isinstance(value, list):
            if len(value) != 1:
                raise ValidationFailed.from_messages({"attributes": {code: ["Give one value."]}})
            value = value[0]
            value = _number(value) if datatype == "number" and isinstance(value, str) else value
        typed[code] = value
    return typed


def _number(text: str):
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text else number


def submission_of(given: dict, category: dict) -> dict:
    """The report as a staff report would be submitted: what the intake rules check and fingerprint."""
    return {
        "category": category["code"],
        "description": given.get("description") or category["name_zh"],
        "location": dict(given["location"]),
        "attributes": typed_attributes(given.get("attributes") or {}, category),
        "attachments": [],
        "handled_on_spot": False,
        "result_note": None,
        "idempotency_key": None,
        "grid": None,
    }


def reporter_of(app_user_id: str) -> str:
    """The app that filed it (``app:<key id>`` in its token), as the case's reporter."""
    return "public:" + app_user_id.removeprefix("app:")


def window_index(now: datetime, window: timedelta) -> int:
    return int(now.timestamp() // window.total_seconds())


def dedup_keys(
    reporter: str, device_id: str | None, submission: dict, given: dict, *, now: datetime, window: timedelta
) -> list[str]:
    """The keys a retry of this report would have been stored under, the one to store it under first.

    Without a device id there is nothing to recognise a retry by: an empty list.
    """
    if not device_id:
        return []
    content = fingerprint({**submission, "media_url": given.get("media_url"), "address": given.get("address")})
    base = hashlib.sha256(f"{reporter}\x1f{device_id}\x1f{content}".encode()).hexdigest()
    current = window_index(now, window)
    return [f"public\x1f{base}\x1f{current - back}" for back in range(WINDOWS_LOOKED_AT)]


def is_recent_retry(first: dict | None, *, now: datetime, window: timedelta) -> bool:
    return first is not None and now - first["received_at"] <= window


def public_facts(given: dict) -> dict:
    """What the case may show to everyone (Open311 GET): never the contact details."""
    return {"address": given.get("address"), "media_url": given.get("media_url")}


def contact_of(given: dict, account_id: str | None, device_id: str | None) -> dict:
    """The resident's personal data, kept in the report only."""
    contact = {k: v for k, v in (given.get("contact") or {}).items() if v}
    return {
        **contact,
        **({"account_id": account_id} if account_id else {}),
        **({"device_id": device_id} if device_id else {}),
    }
