"""Open311 GeoReport v2 on the wire: reading its forms and queries, writing its JSON and XML. Pure: no I/O.

The specification (http://wiki.open311.org/GeoReport_v2) fixes the names: each
answer's root element (``services``, ``service_definition``, ``service_requests``,
``discovery``, ``errors``), each list's item element, flat ``key=value`` forms with
``attribute[code]`` (``attribute[code][]`` for a multi-value list), W3C datetimes,
and errors as a list of ``{code, description}`` whose code is the HTTP status.
XML is ``text/xml`` in UTF-8 without a namespace.
"""

from datetime import datetime
from xml.etree import ElementTree

from shared.api.open311 import MAX_SPAN

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# A list's element name in XML: the item each list holds.
ITEM_OF = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-06T00:00:00+08:00"  # when this endpoint's behaviour last changed (discovery)
CONTACT_FIELDS = ("email", "phone", "first_name", "last_name")


class Open311Error(Exception):
    """A request the specification answers with an error list: ``status`` and one description per problem."""

    def __init__(self, status: int, *descriptions: str):
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = list(descriptions)


# -- writing -------------------------------------------------------------------------------


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _append(parent: ElementTree.Element, tag: str, value) -> None:
    element = ElementTree.SubElement(parent, tag)
    if isinstance(value, dict):
        for key, inner in value.items():
            _append(element, key, inner)
    elif isinstance(value, list):
        for inner in value:
            _append(element, ITEM_OF[tag], inner)
    else:
        element.text = _text(value)


def to_xml(root: str, value) -> bytes:
    """``value`` (a list of items, or one object) under the root element ``root``."""
    element = ElementTree.Element(root)
    if isinstance(value, list):
        for item in value:
            _append(element, ITEM_OF[root], item)
    else:
        for key, inner in value.items():
            _append(element, key, inner)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(
        element, encoding="utf-8", xml_declaration=False
    )


def errors_body(status: int, descriptions: list[str]) -> list[dict]:
    return [{"code": status, "description": d} for d in descriptions]


def service_entry(category: dict, language: str) -> dict:
    """A category as an entry of ``services``."""
    group = category.get("group") or {}
    return {
        "service_code": category["code"],
        "service_name": _named(category, language),
        "description": _named(category, language),
        "metadata": bool(category.get("attributes")),
        "type": "realtime",
        "keywords": ",".join(category.get("keywords", ())),
        "group": _named(group, language) if group else None,
    }


def _named(item: dict, language: str) -> str:
    return item["name_en"] if language == "en" else item["name_zh"]


def service_definition(category: dict, language: str) -> dict:
    """A category's extra fields as the specification's ``attributes``."""
    attributes = sorted(category.get("attributes", ()), key=lambda a: (a.get("order", 0), a["code"]))
    return {
        "service_code": category["code"],
        "attributes": [
            {
                "variable": True,
                "code": a["code"],
                "datatype": a["datatype"],
                "required": bool(a.get("required")),
                "datatype_description": a.get("datatype_description"),
                "order": a.get("order", 0),
                "description": (a.get("description_zh") or a["description"]) if language != "en" else a["description"],
                "values": [
                    {"key": v["key"], "name": (v.get("name_zh") or v["name"]) if language != "en" else v["name"]}
                    for v in a.get("values", ())
                ],
            }
            for a in attributes
        ],
    }


def discovery(endpoint_url: str) -> dict:
    return {
        "changeset": CHANGESET,
        "contact": "The district's command centre (指挥中心).",
        "key_service": "Ask the district's administrator for an api_key (docs/open311.md).",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": endpoint_url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": list(FORMATS.values()),
            }
        ],
    }


def created(accepted: dict, account_id: str | None) -> list[dict]:
    """The answer to a POST: the request's id at once (realtime), never a token."""
    notice = (
        "This looks like a problem already reported nearby; it will be checked."
        if accepted.get("possible_duplicates")
        else None
    )
    return [{"service_request_id": accepted["case_id"], "service_notice": notice, "account_id": account_id}]


# -- reading -------------------------------------------------------------------------------


def form_value(values: list[str]) -> str | None:
    value = values[-1] if values else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def attributes_of(pairs: list[tuple[str, list]]) -> dict:
    """``attribute[code]=v`` and ``attribute[code][]=v1&attribute[code][]=v2`` as ``{code: value or [values]}``."""
    found: dict = {}
    problems = []
    for key, values in pairs:
        if not key.startswith("attribute["):
            continue
        inner = key[len("attribute[") :]
        if inner.endswith("][]"):
            code, many = inner[:-3], True
        elif inner.endswith("]"):
            code, many = inner[:-1], False
        else:
            problems.append(f"{key}: write attribute[code] or attribute[code][].")
            continue
        if not code or "[" in code or "]" in code:
            problems.append(f"{key}: write attribute[code] or attribute[code][].")
            continue
        kept = [v for v in values if v not in (None, "")]
        if many:
            found.setdefault(code, [])
            found[code] = (found[code] if isinstance(found[code], list) else [found[code]]) + kept
        elif kept:
            found[code] = kept[-1]
    if problems:
        raise Open311Error(400, *problems)
    return found


def _json_attributes(value) -> dict:
    if not isinstance(value, dict):
        raise Open311Error(400, "attribute: send an object of code to value.")
    return {str(k): v for k, v in value.items()}


def _coordinate(text: str | None, name: str, low: float, high: float) -> float | None:
    if text is None:
        return None
    try:
        number = float(text)
    except (TypeError, ValueError):
        raise Open311Error(400, f"{name}: not a number: {text!r}.") from None
    if not low <= number <= high:
        raise Open311Error(400, f"{name}: must be between {low:g} and {high:g}.")
    return number


def pairs_of_json(body: dict) -> list[tuple[str, list]]:
    """A JSON body as the form's (key, values) pairs, so that both read the same way."""
    pairs = []
    for key, value in body.items():
        if key == "attribute":
            pairs += [
                (
                    f"attribute[{code}][]" if isinstance(v, list) else f"attribute[{code}]",
                    v if isinstance(v, list) else [v],
                )
                for code, v in _json_attributes(value).items()
            ]
        else:
            pairs.append((key, value if isinstance(value, list) else [value]))
    return [
        (k, ["" if v is None else (v if isinstance(v, str) else _json_scalar(k, v)) for v in vs]) for k, vs in pairs
    ]


def _json_scalar(key: str, value):
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Open311Error(400, f"{key}: send text or a number.")
    return repr(value)


def read_new_request(pairs: list[tuple[str, list]]) -> dict:
    """The report for the reporting service from a POST's (key, values) pairs."""
    form = {key: form_value(values) for key, values in pairs if not key.startswith("attribute[")}
    problems = []
    if not form.get("service_code"):
        problems.append("service_code: required.")
    lat = _coordinate(form.get("lat"), "lat", -90, 90)
    lon = _coordinate(form.get("long"), "long", -180, 180)
    if (lat is None) != (lon is None):
        problems.append("lat and long: give both.")
    elif lat is None and not form.get("address_string"):
        problems.append(
            "A location is required: lat and long, or an address_string naming a grid of the district "
            "(address_id is not used)."
        )
    if problems:
        raise Open311Error(400, *problems)
    report = {
        "category": form["service_code"],
        "description": form.get("description"),
        # without coordinates, reporting places the request by its address_string
        # (services/reporting/domain/addressing.py)
        "location": {"lat": lat, "lon": lon} if lat is not None else None,
        "address": form.get("address_string"),
        "media_url": form.get("media_url"),
        "attributes": attributes_of(pairs),
        "device_id": form.get("device_id"),
        "account_id": form.get("account_id"),
        "contact": {k: form[k] for k in CONTACT_FIELDS if form.get(k)},
        # the notices the reporter gets are in their language; without one, the district's own (zh-CN)
        "language": language_of(form) if form.get("locale") else None,
    }
    return report


def w3c_datetime(text: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise Open311Error(400, f"{name}: not a W3C datetime (e.g. 2026-12-01T00:00:00Z): {text!r}.") from None
    if moment.tzinfo is None:
        raise Open311Error(400, f"{name}: give the time zone (Z or ±hh:mm).")
    return moment


def _listed(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _page_number(text: str | None, name: str, default: int, high: int) -> int:
    if text is None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= high:
        raise Open311Error(400, f"{name}: a whole number from 1 to {high}.")
    return int(text)


def read_request_query(args: dict, now: datetime) -> dict:
    """The query for the cases service from ``GET requests``' parameters (last value of each).

    Without dates the range is the most recent 90 days; with one, 90 days from or to it.
    ``service_request_id`` overrides every other filter, as the specification says.
    """
    start = w3c_datetime(args["start_date"], "start_date") if args.get("start_date") else None
    end = w3c_datetime(args["end_date"], "end_date") if args.get("end_date") else None
    if start is None and end is None:
        end = now
    if start is None:
        start = end - MAX_SPAN
    if end is None:
        end = min(start + MAX_SPAN, max(now, start))
    if end < start:
        raise Open311Error(400, "end_date: before start_date.")
    if end - start > MAX_SPAN:
        raise Open311Error(400, "start_date and end_date: at most 90 days apart.")
    statuses = _listed(args.get("status"))
    unknown = [s for s in statuses if s not in ("open", "closed")]
    if unknown:
        raise Open311Error(400, f"status: open or closed, not {', '.join(unknown)}.")
    return {
        "ids": _listed(args.get("service_request_id")),
        "categories": _listed(args.get("service_code")),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "status": statuses,
        "page": _page_number(args.get("page"), "page", 1, 10_000),
        "page_size": _page_number(args.get("page_size"), "page_size", 50, 200),
        "language": language_of(args),
    }


def language_of(args: dict) -> str:
    """``locale`` (a common extension): en, or the district's own zh-CN."""
    return "en" if (args.get("locale") or "").lower().startswith("en") else "zh-CN"
